"""Disputes: a customer says Pledge failed them on a ticket where Pledge recorded no miss.

On an automatic plan the recorded failures are paid when the month closes, with no claim; what
Pledge did not record can still be disputed. A dispute is a claim an admin reviews (the same
review, approve or deny, and the same claim window); upholding it records the miss on the ticket
(sla.clocks) and pays its voucher on the month's scale, within the same caps. It is open on a
claim plan too, where an unrecorded failure has no miss to claim.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from billing import access, notifications
from billing.models import Claim
from billing.services.claims import NOTE_MAX, _create, _require_window_open
from billing.services.events import billing_event
from helpdesk.accounts.models import User
from helpdesk.kit import roles
from helpdesk.kit.enqueue import enqueue_after_commit
from helpdesk.kit.errors import ConflictError, ValidationError, field_error
from helpdesk.kit.months import month_of
from helpdesk.kit.validation import clean_text
from helpdesk.tickets.models import Ticket
from helpdesk.tickets.services.events import event_record
from sla.clocks.models import Miss


def _already(ticket: Ticket) -> ConflictError:
    return ConflictError(f"Ticket #{ticket.pk} is disputed already.", code="already_disputed")


@transaction.atomic
def dispute_open(*, ticket: Ticket, created_by: User, note: str, now: dt.datetime | None = None) -> Claim:
    """Dispute the response on one of the customer's own tickets; the note says what went wrong.

    Refused: another account's ticket, a ticket with a miss on record (it is credited, or claimed,
    as recorded), a clock still running with no response yet, a claim window that has closed, a
    ticket disputed already.
    """
    now = now or timezone.now()
    roles.require(access.may_open_claims(created_by), "A dispute is opened by the account's customer.")
    errors: dict[str, list] = {}
    note = clean_text(note, field="note", max_length=NOTE_MAX, errors=errors)
    if errors:
        errors["note"] = ["Say what happened that Pledge did not record (up to 2000 characters)."]
        raise ValidationError(errors)
    ticket = Ticket.objects.select_for_update().select_related("account").get(pk=ticket.pk)
    if ticket.account_id != created_by.account_id:
        raise field_error("ticket", "This ticket is not on your account.", code="not_yours")
    if Claim.objects.filter(disputed_ticket=ticket).exists():
        raise _already(ticket)
    if Miss.objects.filter(ticket=ticket).exists():
        raise ConflictError(
            f"Pledge recorded a miss on ticket #{ticket.pk}: it is credited (or claimed) as recorded, "
            "not disputed.",
            code="recorded",
        )
    if ticket.responded_at is None and ticket.work_started_deadline > now:
        raise ConflictError(
            f"The response clock of ticket #{ticket.pk} is still running: its deadline is "
            f"{timezone.localtime(ticket.work_started_deadline):%Y-%m-%d %H:%M}.",
            code="clock_running",
        )
    month = month_of(ticket.work_started_deadline)
    _require_window_open(field="ticket", what="this ticket", account=ticket.account, month=month, now=now)
    claim = _create(
        already=_already(ticket),
        disputed_ticket=ticket,
        account_id=ticket.account_id,
        month=month,
        note=note,
        created_by=created_by,
        created_at=now,
    )
    event_record(ticket=ticket, code="dispute_opened", actor=created_by, at=now, claim=claim.pk)
    billing_event(
        code="dispute_opened",
        at=now,
        actor=created_by,
        account_id=ticket.account_id,
        month=month,
        claim=claim,
        ticket=ticket.pk,
    )
    enqueue_after_commit(notifications.notify_claim_received, claim.pk)
    return claim
