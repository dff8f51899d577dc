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
