"""Progress reports (seed 004): when the next public staff update falls due on a started ticket."""

import datetime as dt

from helpdesk.tickets import signals
from helpdesk.tickets.models import OPEN_STATUSES, Ticket
from sla.terms.policies import next_update_due


def progress_clock_set(*, ticket: Ticket, since: dt.datetime | None) -> None:
    """Count the next update from `since`; `since=None` (or a ticket not open, or not started, or a
    plan that promises no reports) means none is due. The caller holds the ticket's row lock.
    """
    due = None
    if since is not None and ticket.work_started_at is not None and ticket.status in OPEN_STATUSES:
        due = next_update_due(ticket.promise, since=since)
    started = since if due is not None else None
    if (ticket.next_update_due, ticket.update_clock_started_at) != (due, started):
        ticket.next_update_due, ticket.update_clock_started_at = due, started
        Ticket.objects.filter(pk=ticket.pk).update(next_update_due=due, update_clock_started_at=started)
    if due is not None:
        # Exclusion periods in force may pause the new clock: the clocks move the instant.
        signals.progress_clock_set.send(sender=Ticket, ticket=ticket)
