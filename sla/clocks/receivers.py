"""The clocks' answers to what happens on a ticket (helpdesk.tickets.signals), connected at start-up."""

from sla.clocks.services.lapses import progress_apply_pauses
from sla.clocks.services.misses import miss_record, miss_responded, misses_void
from sla.clocks.services.pauses import clock_apply_pauses


def record_if_overdue(*, ticket, now, **_) -> None:
    miss_record(ticket=ticket, now=now)


def record_and_measure(*, ticket, now, **_) -> None:
    miss_record(ticket=ticket, now=now)
    miss_responded(ticket=ticket, now=now)


def apply_pauses(*, ticket, **_) -> None:
    clock_apply_pauses(ticket=ticket)


def void_old_clock(*, ticket, actor, reason, now, **_) -> None:
    misses_void(ticket=ticket, actor=actor, reason=reason, now=now)


def apply_progress_pauses(*, ticket, **_) -> None:
    progress_apply_pauses(ticket=ticket)
