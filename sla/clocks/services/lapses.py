"""Progress-update lapses (seed 004): a public staff update that fell due and was not given.

The ticket says when the next update is due (`Ticket.next_update_due`, set by the ticket services
on start, each public staff update, resolve and reopen). The sweep records a lapse for every due
instant that passed, moves the clock on by the plan's interval from that instant, and mails the
engineers; exclusion periods pause the clock as they pause response clocks. One lapse per ticket
and due instant (a unique constraint): a sweep run twice, or two side by side, record it once.
Lapses earn no money and do not count toward termination.
"""

import datetime as dt
from collections import Counter

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from helpdesk.kit.enqueue import enqueue_after_commit
from helpdesk.kit.months import month_of
from helpdesk.tickets.models import OPEN_STATUSES, Ticket, TicketEvent
from sla.clocks import notifications
from sla.clocks.models import UpdateLapse
from sla.clocks.services import pauses
from sla.clocks.services.misses import SWEEP_BATCH, _skip_locked

# A ticket far behind (a sweep that did not run for days) gets at most this many lapses per run;
# its clock stays overdue, so the next run goes on from where this one stopped.
MAX_LAPSES_PER_TICKET = 100


def _due(ticket: Ticket, periods, *, since: dt.datetime, every: int) -> dt.datetime:
    """`every` working seconds after `since`, paused by the periods applying to the ticket."""
    return pauses.paused(ticket, periods, start=since, target_seconds=every, stopped_at=None).deadline


def progress_apply_pauses(*, ticket: Ticket) -> None:
    """A progress clock was just set: move its due instant for the exclusion periods in force."""
    since, every = ticket.update_clock_started_at, ticket.promise.get("progress_update_every")
    if since is None or not every:
        return
    periods = pauses.periods_for(account_ids=[ticket.account_id], since=since, until=since + pauses.REACH)
    if not periods:
        return
    due = _due(ticket, periods, since=since, every=every)
    if due != ticket.next_update_due:
        ticket.next_update_due = due
        Ticket.objects.filter(pk=ticket.pk).update(next_update_due=due)


def progress_clocks_repause(*, start: dt.datetime, end: dt.datetime, account_ids: set[int] | None) -> int:
    """A period over [start, end] was declared, changed or cancelled: the running progress clocks it
    may touch get their due instant again (lapses already recorded stay). Returns how many moved."""
    scope = Q() if account_ids is None else Q(account_id__in=account_ids)
    tickets = list(
        Ticket.objects.select_for_update()
        .filter(
            scope, next_update_due__isnull=False, update_clock_started_at__lt=end, next_update_due__gt=start
        )
        .order_by("pk")
        .only("pk", "account_id", "promise", "next_update_due", "update_clock_started_at")
    )
    if not tickets:
        return 0
    since = min(t.update_clock_started_at for t in tickets)
    periods = pauses.periods_for(
        account_ids={t.account_id for t in tickets},
        since=since,
        until=max(t.update_clock_started_at for t in tickets) + pauses.REACH,
    )
    moved = 0
    for ticket in tickets:
        every = ticket.promise.get("progress_update_every")
        if not every:
            continue
        due = _due(ticket, periods, since=ticket.update_clock_started_at, every=every)
        if due != ticket.next_update_due:
            Ticket.objects.filter(pk=ticket.pk).update(next_update_due=due)
            moved += 1
    return moved


def _lapses_of(ticket: Ticket, periods, *, now: dt.datetime) -> list[UpdateLapse]:
    """The lapses due on one claimed ticket, its clock moved on past them (saved on the ticket)."""
    since, every = ticket.update_clock_started_at, ticket.promise.get("progress_update_every")
    if since is None or not every or ticket.status not in OPEN_STATUSES:
        # No report is due any more (a state only an older release could leave): stop the clock.
        Ticket.objects.filter(pk=ticket.pk).update(next_update_due=None, update_clock_started_at=None)
        return []
    lapses = []
    due = _due(ticket, periods, since=since, every=every)
    while due < now and len(lapses) < MAX_LAPSES_PER_TICKET:
        lapses.append(
            UpdateLapse(
                ticket_id=ticket.pk,
                account_id=ticket.account_id,
                since=since,
                due_at=due,
                recorded_at=now,
                month=month_of(due),
            )
        )
        since, due = due, _due(ticket, periods, since=due, every=every)
    ticket.update_clock_started_at, ticket.next_update_due = since, due
    Ticket.objects.filter(pk=ticket.pk).update(update_clock_started_at=since, next_update_due=due)
    return lapses


def _record_batch(tickets: list[Ticket], *, now: dt.datetime) -> list[UpdateLapse]:
    periods = pauses.periods_for(
        account_ids={t.account_id for t in tickets},
        since=min(t.update_clock_started_at or now for t in tickets),
        until=now,
    )
    taken = set(
        UpdateLapse.objects.filter(ticket__in=[t.pk for t in tickets]).values_list("ticket_id", "due_at")
    )
    lapses = [
        lapse
        for ticket in tickets
        for lapse in _lapses_of(ticket, periods, now=now)
        if (lapse.ticket_id, lapse.due_at) not in taken
    ]
    if not lapses:
        return []
    UpdateLapse.objects.bulk_create(lapses)
    for ticket_id, count in Counter(lapse.ticket_id for lapse in lapses).items():
        Ticket.objects.filter(pk=ticket_id).update(lapsed_updates=F("lapsed_updates") + count)
    TicketEvent.objects.bulk_create(
        TicketEvent(
            ticket_id=lapse.ticket_id,
            code="update_lapsed",
            actor=None,
            at=now,
            data={"due_at": lapse.due_at.isoformat(), "lapse": lapse.pk},
        )
        for lapse in lapses
    )
    enqueue_after_commit(notifications.notify_update_lapsed, [lapse.pk for lapse in lapses])
    return lapses


def lapses_record_due(*, now: dt.datetime | None = None, batch: int = SWEEP_BATCH) -> int:
    """The sweep: record every progress update that fell due with none given, however far behind."""
    total = 0
    while True:
        now_ = now or timezone.now()
        with transaction.atomic():
            claimed = list(
                _skip_locked(Ticket.objects.update_overdue(now_).order_by("next_update_due", "pk")).only(
                    "pk", "account_id", "status", "promise", "next_update_due", "update_clock_started_at"
                )[:batch]
            )
            if claimed:
                total += len(_record_batch(claimed, now=now_))
        if len(claimed) < batch:
            return total
