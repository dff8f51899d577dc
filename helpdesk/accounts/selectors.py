"""Reads about accounts and people: whom to tell about what."""

from django.db.models import Q
from django.utils import timezone
from knox.models import AuthToken

from helpdesk.accounts.models import User
from helpdesk.kit.roles import Role


def _emails(users) -> list[str]:
    return list(users.filter(is_active=True).exclude(email="").order_by("pk").values_list("email", flat=True))


def account_emails(account_id: int) -> list[str]:
    """The addresses of an account's active people."""
    return _emails(User.objects.filter(account_id=account_id))


def engineer_emails() -> list[str]:
    return _emails(User.objects.filter(role=Role.ENGINEER))


def billing_admin_emails() -> list[str]:
    return _emails(User.objects.filter(Q(role=Role.BILLING_ADMIN) | Q(is_superuser=True)))


def auth_tokens_of(*, user: User):
    """The user's API tokens that still work, newest first."""
    alive = Q(expiry__isnull=True) | Q(expiry__gt=timezone.now())
    return AuthToken.objects.filter(alive, user=user).order_by("-created")
