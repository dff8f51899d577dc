"""Reads: querysets tuned for each screen, every one scoped through access.py."""

from django.db.models import BooleanField, Case, Prefetch, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from helpdesk.accounts import access as accounts_access
from helpdesk.accounts.models import User
from helpdesk.kit import roles
from helpdesk.tickets import access, origins
from helpdesk.tickets.models import OPEN_STATUSES, Attachment, Message, Ticket, TicketEvent
from sla.terms.models import Plan

TICKET_LIST_RELATED = ("account", "account__plan", "created_by", "work_started_by")


def queue_tickets(*, user: User, filters: dict | None = None) -> QuerySet[Ticket]:
    """Every open ticket the user may see: unstarted ones first, soonest deadline first.

    `filters` may hold plan (code), priority, status, account (id); unknown values match nothing.
    """
    filters = filters or {}
    tickets = access.tickets_visible_to(user).filter(status__in=OPEN_STATUSES)
    if filters.get("plan"):
        tickets = tickets.filter(plan__code=filters["plan"])
    if filters.get("priority"):
        tickets = tickets.filter(priority=filters["priority"])
    if filters.get("status"):
        tickets = tickets.filter(status=filters["status"])
    if filters.get("account"):
        tickets = tickets.filter(account_id=filters["account"])
    return (
        tickets.select_related(*TICKET_LIST_RELATED)
        .annotate(
            started=Case(
                When(responded_at__isnull=True, then=Value(False)),
                default=Value(True),
                output_field=BooleanField(),
            )
        )
        .order_by("started", "work_started_deadline", "id")
    )


def account_tickets(*, user: User, status: str = "", with_chat: bool = False) -> QuerySet[Ticket]:
    """The tickets a customer's portal lists, newest first (`with_chat`: with their origin, see origins)."""
    tickets = access.tickets_visible_to(user)
    if status == "open":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    elif status:
        tickets = tickets.filter(status=status)
    if with_chat:
        tickets = origins.with_origin(tickets, user=user)
    return tickets.select_related(*TICKET_LIST_RELATED).order_by("-created_at", "-id")


def ticket_for(*, user: User, pk) -> Ticket:
    """One ticket the user may see, or 404 (never a 403 that leaks another account's ticket).

    It carries where it came from (helpdesk.tickets.origins), e.g. the chat it was escalated from.
    """
    tickets = origins.with_origin(access.tickets_visible_to(user), user=user)
    return get_object_or_404(tickets.select_related(*TICKET_LIST_RELATED), pk=pk)


def ticket_messages(*, user: User, ticket: Ticket) -> QuerySet[Message]:
    return (
        access.messages_visible_to(user, ticket)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def ticket_attachments(*, user: User, ticket: Ticket) -> QuerySet[Attachment]:
    """Files attached to the ticket itself (not to a message)."""
    return access.attachments_visible_to(user).filter(ticket=ticket, message__isnull=True)


def ticket_events(*, user: User, ticket: Ticket) -> QuerySet[TicketEvent]:
    events = ticket.events.select_related("actor").order_by("at", "id")
    if not roles.is_staff(user):
        events = events.exclude(code="note_added")
    return events


def attachment_for(*, user: User, pk) -> Attachment:
    return get_object_or_404(access.attachments_visible_to(user), pk=pk)


# --- reads tuned for the browser pages ------------------------------------------------


def queue_page_tickets(*, user: User, filters: dict | None = None) -> QuerySet[Ticket]:
    """The queue screen's rows: queue_tickets plus the plan each ticket was promised under."""
    return queue_tickets(user=user, filters=filters).select_related("plan")


def queue_filter_choices(*, user: User) -> dict:
    """The options of the queue's filter selects: plans and the accounts the user may see."""

    return {
        "plans": list(Plan.objects.order_by("name").only("id", "code", "name")),
        "accounts": list(accounts_access.accounts_visible_to(user).order_by("name").only("id", "name")),
    }


def customer_account(*, user: User):
    """The customer's own account with its plan and the plan's Work Started targets, or 404."""
    return get_object_or_404(
        accounts_access.accounts_visible_to(user)
        .select_related("plan")
        .prefetch_related("plan__response_targets"),
        pk=user.account_id,
    )
