"""API tokens that end: one per sign-in (per device), expiring, revocable, all revoked with the password.

Tokens are django-rest-knox's: only a digest is stored, the key is shown once when it is issued.
"""

import re
import unicodedata

from django.conf import settings
from django.db import transaction
from knox.models import AuthToken

from helpdesk.accounts.models import DEVICE_NAME_MAX_LENGTH, AuthTokenDevice, User
from helpdesk.kit.errors import ValidationError, field_error

_SPACES = re.compile(r"\s+")
_MARKUP = frozenset("<>")


def _is_control(char: str) -> bool:
    # Cc (controls), Cf (format: bidi overrides, zero-width), Co and Cn (private, unassigned), Cs.
    return unicodedata.category(char).startswith("C")


def device_name_clean(raw: str) -> str:
    """A device name as given: stripped, inner whitespace as one space; markup, control characters
    and over-long names are refused (the name is shown on pages and handed back by the API)."""
    name = _SPACES.sub(" ", raw).strip()
    if len(name) > DEVICE_NAME_MAX_LENGTH:
        raise field_error(
            "device", f"Ensure this field has no more than {DEVICE_NAME_MAX_LENGTH} characters."
        )
    if any(char in _MARKUP or _is_control(char) for char in name):
        raise field_error("device", "A device name is plain text: no <, > or control characters.")
    return name


def device_name_from_user_agent(user_agent: str) -> str:
    """The default device name: the client's User-Agent, less markup and control characters, cut short."""
    text = "".join(" " if char in _MARKUP or _is_control(char) else char for char in user_agent)
    text = _SPACES.sub(" ", text).strip()
    if len(text) > DEVICE_NAME_MAX_LENGTH:
        text = text[: DEVICE_NAME_MAX_LENGTH - 1].rstrip() + "…"
    return text


@transaction.atomic
def auth_token_issue(*, user: User, device: str = "", user_agent: str = "") -> tuple[AuthToken, str]:
    """A new token for one device: (the stored token, the key to hand over once).

    `device` names it (checked by `device_name_clean`); without one, the User-Agent does."""
    name = device_name_clean(device) if device else ""
    name = name or device_name_from_user_agent(user_agent)
    User.objects.select_for_update().filter(pk=user.pk).first()
    kept = AuthToken.objects.filter(user=user).order_by("-created").values_list("pk", flat=True)
    stale = list(kept[settings.API_TOKENS_PER_USER - 1 :])
    if stale:
        AuthToken.objects.filter(pk__in=stale).delete()
    token, key = AuthToken.objects.create(user=user)
    AuthTokenDevice.objects.create(token=token, name=name)
    return token, key


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
