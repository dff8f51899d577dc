"""Reads about accounts and people: whom to tell about what, and what an account has covered."""

from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from helpdesk.accounts.models import Account, MonitoredItem, User
from helpdesk.kit.roles import Role
from sla.terms.models import Plan, PlanVersion
from sla.terms.versions import plan_terms


def _emails(users, category: str | None = None) -> list[str]:
    users = users.filter(is_active=True).exclude(email="")
    if category:
        users = users.exclude(muted_notifications__category=category)
    return list(users.order_by("pk").values_list("email", flat=True))


def account_emails(account_id: int, *, category: str | None = None) -> list[str]:
    """The addresses of an account's active people (less those who turned `category` off)."""
    return _emails(User.objects.filter(account_id=account_id), category)


def engineer_emails(*, category: str | None = None) -> list[str]:
    return _emails(User.objects.filter(role=Role.ENGINEER), category)


def user_emails(user_ids, *, category: str | None = None) -> list[str]:
    return _emails(User.objects.filter(pk__in=list(user_ids)), category)


def billing_admin_emails() -> list[str]:
    return _emails(User.objects.filter(Q(role=Role.BILLING_ADMIN) | Q(is_superuser=True)))


def user_by_email(address: str) -> User | None:
    """The active person with this address; None when nobody, or more than one person, has it."""
    found = list(
        User.objects.filter(is_active=True, email__iexact=address.strip()).select_related("account")[:2]
    )
    return found[0] if len(found) == 1 else None


def muted_categories(user: User) -> set[str]:
    return set(user.muted_notifications.values_list("category", flat=True))


def auth_tokens_of(*, user: User):
    """The user's API tokens that still work, newest first."""
    alive = Q(expiry__isnull=True) | Q(expiry__gt=timezone.now())
    return AuthToken.objects.filter(alive, user=user).select_related("device").order_by("-created")


def auth_token_device_name(token: AuthToken) -> str:
    """The device a token was issued for ("" for a token issued before devices were named)."""
    try:
        return token.device.name
    except AuthToken.device.RelatedObjectDoesNotExist:
        return ""


def totp_device_of(*, user: User, confirmed: bool) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).first()


def has_two_factor(user) -> bool:
    """Whether every sign-in of this user asks for a code (read once per request object)."""
    if user.pk is None:
        return False
    if not hasattr(user, "_pledge_two_factor"):
        user._pledge_two_factor = TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()
    return user._pledge_two_factor


def covered_items(*, account_id: int):
    """The items a ticket of this account may name as affected: its active ones, by name."""
    return MonitoredItem.objects.filter(account_id=account_id, is_active=True).order_by("name", "pk")


def active_accounts():
    """Accounts under contract, by name (whom staff may open a ticket for)."""
    return Account.objects.filter(is_active=True).order_by("name", "pk")


def account_terms(*, account: Account) -> dict:
    """The terms the account's current term promises: its pinned plan version's (sla.terms.versions
    shape), or its plan's as they stand when it is not pinned yet (it will be at its first ticket)."""
    if account.plan_version_id is not None:
        pinned = PlanVersion.objects.filter(pk=account.plan_version_id, plan_id=account.plan_id).first()
        if pinned is not None:
            return pinned.terms
    return plan_terms(Plan.objects.prefetch_related("response_targets").get(pk=account.plan_id))
