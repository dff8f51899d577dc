"""Who may see misses and reports, and declare exclusion periods."""

from helpdesk.accounts.models import User
from helpdesk.kit.roles import is_billing_admin, is_customer, is_staff
from sla.clocks.models import Miss


def misses_visible_to(user: User):
    """Customers see their own account's misses (voided ones too, with who and why); staff all."""

    if is_staff(user):
        return Miss.objects.all()
    if is_customer(user):
        return Miss.objects.filter(account_id=user.account_id)
    return Miss.objects.none()


def may_manage_exclusions(user: User) -> bool:
    """Declared exclusion periods are a billing decision."""
    return is_billing_admin(user)


def may_read_sla_report(user: User) -> bool:
    """Staff see every account's compliance; a customer sees their own account's."""
    return is_staff(user) or is_customer(user)
