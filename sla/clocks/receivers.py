"""The clocks' answers to what happens on a ticket (helpdesk.tickets.signals), connected at start-up."""

from sla.clocks.services.misses import miss_record, misses_void


def record_if_overdue(*, ticket, now, **_) -> None:
    miss_record(ticket=ticket, now=now)


def void_old_clock(*, ticket, actor, reason, now, **_) -> None:
    misses_void(ticket=ticket, actor=actor, reason=reason, now=now)
