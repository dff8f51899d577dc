"""API tokens that end: one per sign-in (per device), expiring, revocable, all revoked with the password.

Tokens are django-rest-knox's: only a digest is stored, the key is shown once when it is issued.
"""

from django.conf import settings
from django.db import transaction
from knox.models import AuthToken

from helpdesk.accounts.models import User
from helpdesk.kit.errors import ValidationError


@transaction.atomic
def auth_token_issue(*, user: User) -> tuple[AuthToken, str]:
    """A new token for one device: (the stored token, the key to hand over once)."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    kept = AuthToken.objects.filter(user=user).order_by("-created").values_list("pk", flat=True)
    stale = list(kept[settings.API_TOKENS_PER_USER - 1 :])
    if stale:
        AuthToken.objects.filter(pk__in=stale).delete()
    return AuthToken.objects.create(user=user)


@transaction.atomic
def auth_token_revoke(*, user: User, token_key: str) -> None:
    """Revoke one of the user's own tokens, named by the key's first characters (its `token_key`)."""
    deleted, _ = AuthToken.objects.filter(user=user, token_key=token_key).delete()
    if not deleted:
        raise ValidationError({"token_key": ["No such token."]})


@transaction.atomic
def auth_tokens_revoke_all(*, user: User) -> int:
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted
