"""Django's username-and-password backend, with the signed-in user's account read in the same query.

Every page's top bar names a customer's account, and the access rules read it: loading it with
the user spares each request a query of its own.
"""

from django.contrib.auth.backends import ModelBackend

from helpdesk.accounts.models import User


class AccountModelBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            user = User._default_manager.select_related("account").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
