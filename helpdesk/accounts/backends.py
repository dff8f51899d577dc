"""Django's username-and-password backend, with the signed-in user's account read in the same query.

Every page's top bar names a customer's account, and the access rules read it: loading it with
the user spares each request a query of its own. The query is the same on every request but for
the user's id, so it is compiled once per connection (helpdesk.kit.prepared).
"""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from helpdesk.accounts.models import User
from helpdesk.kit.prepared import PreparedGet

_USER_WITH_ACCOUNT = PreparedGet(lambda pk: User._default_manager.select_related("account").filter(pk=pk))


class AccountModelBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        if not isinstance(pk, int) or not -(2**63) <= pk < 2**63:
            return None  # no row has it (and SQLite could not even be asked)
        user = _USER_WITH_ACCOUNT.get(pk)
        return user if user is not None and self.user_can_authenticate(user) else None
