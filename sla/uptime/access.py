"""Who may see and manage monitored items, downtime, maintenance and shortfalls."""

from helpdesk.accounts.models import MonitoredItem, User
from helpdesk.kit.roles import is_billing_admin, is_customer, is_staff
from sla.clocks.access import may_manage_exclusions
from sla.uptime.models import Downtime, MaintenanceWindow, UptimeShortfall

# --- uptime ----------------------------------------------------------------------------
# Monitored items, their downtime, maintenance windows and shortfalls follow the account like
# tickets. Items are contract terms (their level sets the guarantee): billing admins add and edit
# them, from the API or the uptime pages. Support staff record and correct downtime and schedule
# maintenance; an emergency window is a declared exclusion, so it is a billing admin's, like
# every exclusion period.


def items_visible_to(user: User):
    if is_staff(user):
        return MonitoredItem.objects.all()
    if is_customer(user):
        return MonitoredItem.objects.filter(account_id=user.account_id, is_active=True)
    return MonitoredItem.objects.none()


def downtimes_visible_to(user: User):
    """Customers see their own account's downtime (never the records voided as mistakes); staff all."""

    if is_staff(user):
        return Downtime.objects.all()
    if is_customer(user):
        return Downtime.objects.filter(
            account_id=user.account_id, voided_at__isnull=True, item__is_active=True
        )
    return Downtime.objects.none()


def maintenance_windows_visible_to(user: User):
    if is_staff(user):
        return MaintenanceWindow.objects.all()
    if is_customer(user):
        return MaintenanceWindow.objects.filter(account_id=user.account_id)
    return MaintenanceWindow.objects.none()


def shortfalls_visible_to(user: User):
    if is_staff(user):
        return UptimeShortfall.objects.all()
    if is_customer(user):
        return UptimeShortfall.objects.filter(account_id=user.account_id)
    return UptimeShortfall.objects.none()


def may_read_uptime(user: User) -> bool:
    """Status pages and monthly uptime: a customer their own account's, staff every account's."""
    return is_staff(user) or is_customer(user)


def may_manage_uptime(user: User) -> bool:
    """Create and change monitored items (their level is the guarantee the contract gives): billing
    admins, as the public API says."""
    return is_billing_admin(user)


def may_record_downtime(user: User) -> bool:
    """Record, correct, annotate and void downtime, and link it to tickets."""
    return is_staff(user)


def may_read_incidents(user: User) -> bool:
    """The staff incident view and the month view of every account."""
    return is_staff(user)


def may_schedule_maintenance(user: User) -> bool:
    return is_staff(user)


def may_declare_emergency_maintenance(user: User) -> bool:
    """An emergency window after the fact is an exclusion period: a billing decision."""
    return may_manage_exclusions(user)


def may_assess_uptime(user: User) -> bool:
    """Run a month's uptime assessment (the hourly task does it anyway)."""
    return is_billing_admin(user)
