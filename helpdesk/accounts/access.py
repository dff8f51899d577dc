"""Who may see and manage accounts and users."""

from django.db.models import QuerySet

from helpdesk.accounts.models import Account, User
from helpdesk.kit.roles import Role, is_billing_admin, is_customer, is_staff

# --- what a user may see -------------------------------------------------------------


def accounts_visible_to(user: User) -> QuerySet[Account]:
    if is_staff(user):
        return Account.objects.all()
    if is_customer(user):
        return Account.objects.filter(pk=user.account_id)
    return Account.objects.none()


def users_visible_to(user: User) -> QuerySet[User]:
    if is_billing_admin(user):
        return User.objects.all()
    return User.objects.none()


def may_manage_accounts(user: User) -> bool:
    return is_billing_admin(user)


def may_manage_users(user: User) -> bool:
    return is_billing_admin(user)


def may_use_two_factor(user: User) -> bool:
    """Staff may turn on two-factor sign-in; customers never see the option."""
    return is_staff(user)


ROLE_HOME = {Role.CUSTOMER: "portal", Role.ENGINEER: "queue", Role.BILLING_ADMIN: "queue"}


def home_for(user: User) -> str:
    if user.is_superuser:
        return "queue"
    return ROLE_HOME.get(user.role, "portal")
