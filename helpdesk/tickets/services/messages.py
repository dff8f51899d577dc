"""Replies, internal notes and attachments on tickets."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from helpdesk.accounts.models import User
from helpdesk.kit import roles
from helpdesk.kit.errors import ConflictError, ValidationError
from helpdesk.kit.validation import clean_text
from helpdesk.tickets import access, signals
from helpdesk.tickets.models import Message, Ticket, TicketStatus
from helpdesk.tickets.services.attachments import attachments_discard, attachments_store, validate_files
from helpdesk.tickets.services.events import event_record
from helpdesk.tickets.services.progress import progress_clock_set
from helpdesk.tickets.services.tickets import ticket_create, ticket_respond, ticket_start_work


@transaction.atomic
def message_create(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    public: bool = True,
    files=(),
    now: dt.datetime | None = None,
) -> Message:
    """Add a reply. The first public staff reply starts work and answers the customer (the clock
    stops); an internal note does neither. A customer reply wakes a waiting ticket."""
    if not access.may_reply(author, ticket):
        raise roles.Denied("You may not reply on this ticket.")
    if not public and not access.may_post_internal(author):
        raise roles.Denied("Only support staff can write internal notes.")
    errors: dict[str, list] = {}
    body = clean_text(body, field="body", max_length=20_000, errors=errors)
    if errors:
        raise ValidationError(errors)
    validate_files(files)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    now = now or timezone.now()  # read under the lock: see ticket_start_work
    if ticket.status == TicketStatus.CLOSED:
        raise ConflictError("This ticket is closed; open a new one.", code="ticket_closed")

    message = Message.objects.create(ticket=ticket, author=author, body=body, public=public, created_at=now)
    stored = attachments_store(ticket=ticket, uploaded_by=author, files=files, message=message)
    try:
        return _after_message(ticket=ticket, author=author, message=message, public=public, now=now)
    except Exception:
        attachments_discard(stored)
        raise


def _after_message(*, ticket: Ticket, author: User, message: Message, public: bool, now) -> Message:
    event_record(
        ticket=ticket,
        code="message_added" if public else "note_added",
        actor=author,
        at=now,
        message=message.pk,
        public=public,
    )
    staff = roles.is_staff(author)
    if staff and public:
        if ticket.work_started_at is None:
            ticket = ticket_start_work(ticket=ticket, actor=author, now=now)
        if ticket.responded_at is None:
            ticket = ticket_respond(ticket=ticket, actor=author, how="reply", now=now)
        # Every public staff reply is a progress report: the next one is due from now.
        progress_clock_set(ticket=ticket, since=now)
    elif not staff and ticket.status in (TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.RESOLVED):
        # A reply on a Resolved ticket reopens it: back in the queue, and the auto-close no longer
        # applies. The Work Started promise was about the first response: it stays as it was.
        previous = ticket.status
        Ticket.objects.filter(pk=ticket.pk).update(
            status=TicketStatus.WORK_STARTED, resolved_at=None, updated_at=now
        )
        event_record(
            ticket=ticket,
            code="customer_replied",
            actor=author,
            at=now,
            reopened=previous == TicketStatus.RESOLVED,
            **{"from": previous, "to": TicketStatus.WORK_STARTED},
        )
        if previous == TicketStatus.RESOLVED:
            ticket.status = TicketStatus.WORK_STARTED
            progress_clock_set(ticket=ticket, since=now)
    signals.message_added.send(sender=Message, message=message, now=now)
    return message


@transaction.atomic
def ticket_follow_up(
    *, closed: Ticket, author: User, body: str, files=(), now: dt.datetime | None = None
) -> Ticket:
    """A reply to a Closed ticket opens a new ticket on the same account, linked to the old one."""
    if not access.may_reply(author, closed):
        raise roles.Denied("You may not reply on this ticket.")
    subject = closed.subject if closed.subject.startswith("Re: ") else f"Re: {closed.subject}"
    ticket = ticket_create(
        account=closed.account,
        created_by=author,
        subject=subject[:200],
        description=body,
        priority=closed.priority if closed.priority != "high" else "general",
        severity=closed.severity,
        files=files,
        now=now,
    )
    Ticket.objects.filter(pk=ticket.pk).update(follow_up_of=closed, cc_addresses=closed.cc_addresses)
    ticket.follow_up_of, ticket.cc_addresses = closed, closed.cc_addresses
    event_record(
        ticket=ticket, code="follow_up_of", actor=author, at=ticket.created_at, closed_ticket=closed.pk
    )
    return ticket
