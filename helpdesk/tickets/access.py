"""Who may see tickets and what they may do on them."""

from django.db.models import QuerySet

from helpdesk.accounts.models import Account, User
from helpdesk.kit.roles import is_customer, is_staff
from helpdesk.tickets.models import Attachment, Ticket


def tickets_visible_to(user: User, tickets: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    """The tickets the user may see, out of `tickets` (every ticket when None)."""
    tickets = Ticket.objects.all() if tickets is None else tickets
    if is_staff(user):
        return tickets
    if is_customer(user):
        return tickets.filter(account_id=user.account_id)
    return tickets.none()


def messages_visible_to(user: User, ticket: Ticket):
    """A ticket's messages: customers never see internal staff notes."""
    messages = ticket.messages.all()
    if not is_staff(user):
        messages = messages.filter(public=True)
    return messages


def attachments_visible_to(user: User):
    attachments = Attachment.objects.filter(ticket__in=tickets_visible_to(user))
    if not is_staff(user):
        attachments = attachments.exclude(message__public=False)
    return attachments


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
