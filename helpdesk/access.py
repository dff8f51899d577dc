"""The one answer to "may this user see or do this".

Every view, API endpoint, queryset and template asks here. Customers see only their
own account's objects: anything else is filtered out of their querysets, so it is a
404, never a 403 that would leak its existence. A role that may not act gets a 403.
"""
from django.db.models import QuerySet

from helpdesk.models import Account, Role, Ticket, User


class Denied(Exception):
    """The user may see the object but their role may not do this (HTTP 403)."""


def is_customer(user) -> bool:
    return user.is_authenticated and user.is_customer


def is_staff(user) -> bool:
    return user.is_authenticated and user.is_support_staff


def is_billing_admin(user) -> bool:
    return user.is_authenticated and user.is_billing_admin


# --- what a user may see -------------------------------------------------------------

def accounts_visible_to(user: User) -> QuerySet[Account]:
    if is_staff(user):
        return Account.objects.all()
    if is_customer(user):
        return Account.objects.filter(pk=user.account_id)
    return Account.objects.none()


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    if is_staff(user):
        return Ticket.objects.all()
    if is_customer(user):
        return Ticket.objects.filter(account_id=user.account_id)
    return Ticket.objects.none()


def messages_visible_to(user: User, ticket: Ticket):
    """A ticket's messages: customers never see internal staff notes."""
    messages = ticket.messages.all()
    if not is_staff(user):
        messages = messages.filter(public=True)
    return messages


def attachments_visible_to(user: User):
    from helpdesk.models import Attachment

    attachments = Attachment.objects.filter(ticket__in=tickets_visible_to(user))
    if not is_staff(user):
        attachments = attachments.exclude(message__public=False)
    return attachments


def misses_visible_to(user: User):
    """Customers see their own account's misses (voided ones too, with who and why); staff all."""
    from sla.models import Miss

    if is_staff(user):
        return Miss.objects.all()
    if is_customer(user):
        return Miss.objects.filter(account_id=user.account_id)
    return Miss.objects.none()


def users_visible_to(user: User) -> QuerySet[User]:
    if is_billing_admin(user):
        return User.objects.all()
    return User.objects.none()


# --- what a user may do ---------------------------------------------------------------

def may_create_ticket_for(user: User, account: Account) -> bool:
    if is_staff(user):
        return True
    return is_customer(user) and account.pk == user.account_id


def may_work_tickets(user: User) -> bool:
    """Start work, resolve, downgrade, upgrade, write internal notes."""
    return is_staff(user)


def may_reply(user: User, ticket: Ticket) -> bool:
    return is_staff(user) or (is_customer(user) and ticket.account_id == user.account_id)


def may_post_internal(user: User) -> bool:
    return is_staff(user)


def may_close_or_reopen(user: User, ticket: Ticket) -> bool:
    """Customers may close or reopen their own resolved tickets; staff any."""
    return may_reply(user, ticket)


def may_manage_plans(user: User) -> bool:
    return is_billing_admin(user)


def may_read_calendars(user: User) -> bool:
    return is_staff(user)


def may_manage_accounts(user: User) -> bool:
    return is_billing_admin(user)


def may_manage_users(user: User) -> bool:
    return is_billing_admin(user)


def may_manage_exclusions(user: User) -> bool:
    """Declared exclusion periods are a billing decision."""
    return is_billing_admin(user)


def may_read_sla_report(user: User) -> bool:
    """Staff see every account's compliance; a customer sees their own account's."""
    return is_staff(user) or is_customer(user)


def require(allowed: bool, message: str = "Your role may not do this.") -> None:
    if not allowed:
        raise Denied(message)


ROLE_HOME = {Role.CUSTOMER: "portal", Role.ENGINEER: "queue", Role.BILLING_ADMIN: "queue"}


def home_for(user: User) -> str:
    if user.is_superuser:
        return "queue"
    return ROLE_HOME.get(user.role, "portal")


# --- live chat ------------------------------------------------------------------------
# Reading a session (its record and transcript) follows the account, like tickets; being
# on its socket, writing in it and ending it are for its parties: the customer who asked
# and support staff (only the engineer who accepted it writes on support's side).

def chats_visible_to(user: User):
    from helpdesk.models import ChatSession

    if is_staff(user):
        return ChatSession.objects.all()
    if is_customer(user):
        return ChatSession.objects.filter(account_id=user.account_id)
    return ChatSession.objects.none()


def may_request_chat(user: User) -> bool:
    return is_customer(user)


def may_take_chats(user: User) -> bool:
    """See the waiting line and accept chats."""
    return is_staff(user)


def may_log_phone_calls(user: User) -> bool:
    return is_staff(user)


def _asked_for(user: User, session) -> bool:
    return is_customer(user) and session.customer_id == user.pk and session.account_id == user.account_id


def may_join_chat(user: User, session) -> bool:
    """Be on the session's live socket: the customer who asked, or support staff."""
    return is_staff(user) or _asked_for(user, session)


def may_post_chat(user: User, session) -> bool:
    return _asked_for(user, session) or (is_staff(user) and session.engineer_id == user.pk)


def may_end_chat(user: User, session) -> bool:
    return is_staff(user) or _asked_for(user, session)


def may_escalate_chat(user: User, session) -> bool:
    """Turn a session into a ticket: staff on the customer's behalf, or the customer who asked."""
    return is_staff(user) or _asked_for(user, session)


# --- billing ---------------------------------------------------------------------------
# Claims, vouchers, invoices and termination follow the account like tickets do. Models are
# looked up by name so that helpdesk never imports billing (dependencies point one way).

def _billing_model(name: str):
    from django.apps import apps

    return apps.get_model("billing", name)


def _own_account_or_all(user: User, model_name: str, *, staff: bool):
    model = _billing_model(model_name)
    if (is_staff(user) if staff else is_billing_admin(user)):
        return model.objects.all()
    if is_customer(user):
        return model.objects.filter(account_id=user.account_id)
    return model.objects.none()


def claims_visible_to(user: User):
    """Customers their own account's claims; support staff every claim."""
    return _own_account_or_all(user, "Claim", staff=True)


def vouchers_visible_to(user: User):
    """Customers their own account's vouchers; billing admins every voucher; engineers none."""
    return _own_account_or_all(user, "Voucher", staff=False)


def invoices_visible_to(user: User):
    """Customers their own account's invoices; billing admins every invoice; engineers none."""
    return _own_account_or_all(user, "Invoice", staff=False)


def termination_requests_visible_to(user: User):
    return _own_account_or_all(user, "TerminationRequest", staff=False)


def may_open_claims(user: User) -> bool:
    """Compensation is applied for by the customer, through the portal."""
    return is_customer(user)


def may_decide_claims(user: User) -> bool:
    return is_billing_admin(user)


def may_read_claims(user: User) -> bool:
    return is_staff(user) or is_customer(user)


def may_read_money(user: User) -> bool:
    """Vouchers and invoices: the customer's own, or a billing admin's every one."""
    return is_billing_admin(user) or is_customer(user)


def may_read_account_months(user: User) -> bool:
    return is_staff(user) or is_customer(user)


def may_close_months(user: User) -> bool:
    return is_billing_admin(user)


def may_mark_invoices_paid(user: User) -> bool:
    return is_billing_admin(user)


def may_request_termination(user: User, account: Account) -> bool:
    return is_customer(user) and account.pk == user.account_id


def may_decide_terminations(user: User) -> bool:
    return is_billing_admin(user)


def may_manage_subscriptions(user: User) -> bool:
    return is_billing_admin(user)


def may_read_terminations(user: User) -> bool:
    """Billing admins (all requests) and customers (their account's); engineers have no part in them."""
    return is_billing_admin(user) or is_customer(user)


def may_read_subscriptions(user: User) -> bool:
    """Billing admins (every account's terms) and customers (their account's own fee and plan)."""
    return is_billing_admin(user) or is_customer(user)


# --- uptime ----------------------------------------------------------------------------
# Monitored items, their downtime, maintenance windows and shortfalls follow the account like
# tickets. Items are contract terms (their level sets the guarantee): billing admins manage
# them. Support staff record and correct downtime and schedule maintenance; an emergency window
# is a declared exclusion, so it is a billing admin's, like every exclusion period.

def items_visible_to(user: User):
    from sla.models import MonitoredItem

    if is_staff(user):
        return MonitoredItem.objects.all()
    if is_customer(user):
        return MonitoredItem.objects.filter(account_id=user.account_id, is_active=True)
    return MonitoredItem.objects.none()


def downtimes_visible_to(user: User):
    """Customers see their own account's downtime (never the records voided as mistakes); staff all."""
    from sla.models import Downtime

    if is_staff(user):
        return Downtime.objects.all()
    if is_customer(user):
        return Downtime.objects.filter(
            account_id=user.account_id, voided_at__isnull=True, item__is_active=True
        )
    return Downtime.objects.none()


def maintenance_windows_visible_to(user: User):
    from sla.models import MaintenanceWindow

    if is_staff(user):
        return MaintenanceWindow.objects.all()
    if is_customer(user):
        return MaintenanceWindow.objects.filter(account_id=user.account_id)
    return MaintenanceWindow.objects.none()


def shortfalls_visible_to(user: User):
    from sla.models import UptimeShortfall

    if is_staff(user):
        return UptimeShortfall.objects.all()
    if is_customer(user):
        return UptimeShortfall.objects.filter(account_id=user.account_id)
    return UptimeShortfall.objects.none()


def may_read_uptime(user: User) -> bool:
    """Status pages and monthly uptime: a customer their own account's, staff every account's."""
    return is_staff(user) or is_customer(user)


def may_manage_uptime(user: User) -> bool:
    """Create and change monitored items (their level is the guarantee the contract gives)."""
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
