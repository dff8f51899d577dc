"""Misses: recorded by the system at the deadline, once per clock, and judged against exclusions.

The database is the only record of what is due: `Ticket.miss_pending` plus the deadline.
`misses_record_due` (the sweep) records every overdue clock, in batches of locked rows,
so several sweeps may run at once; a unique constraint makes a second miss impossible.
"""

import datetime as dt
import logging

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from helpdesk.accounts.models import User
from helpdesk.kit.enqueue import enqueue_after_commit
from helpdesk.kit.errors import ConflictError
from helpdesk.kit.months import month_of
from helpdesk.tickets.models import Ticket, TicketEvent
from helpdesk.tickets.services.events import event_record
from sla import pausing
from sla.clocks import hooks, notifications
from sla.clocks.models import Miss
from sla.clocks.services import pauses
from sla.terms.policies import calendar_of

log = logging.getLogger(__name__)

SWEEP_BATCH = 500


def _unpaused(deadline: dt.datetime) -> pausing.PausedClock:
    return pausing.PausedClock(
        deadline=deadline, excused=dt.timedelta(0), paused_working=dt.timedelta(0), counted=()
    )


def _skip_locked(queryset):
    """Row claims that let sweeps run side by side; SQLite has one writer and no such clause."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    return queryset.select_for_update()


SUPERSEDED = "superseded"


def _counting(ticket_ids) -> set[int]:
    """Tickets that already have a counted miss: one request counts one failure at most."""
    return set(
        Miss.objects.filter(ticket_id__in=ticket_ids, counted=True, voided_at__isnull=True).values_list(
            "ticket_id", flat=True
        )
    )


def _new_miss(ticket: Ticket, clock, *, now: dt.datetime, superseded: bool = False) -> Miss:
    return Miss(
        counted=not superseded,
        excluded_reason=SUPERSEDED if superseded else "",
        ticket=ticket,
        account_id=ticket.account_id,
        deadline_version=ticket.deadline_version,
        priority=ticket.priority,
        target_seconds=ticket.work_started_target,
        clock_started_at=ticket.clock_started_at,
        deadline=clock.deadline,
        excused_seconds=clock.excused_seconds,
        lateness_seconds=_lateness(ticket, clock.deadline),
        recorded_at=now,
        month=month_of(clock.deadline),
    )


def _lateness(ticket: Ticket, deadline: dt.datetime) -> int | None:
    """Known once the clock has stopped; a running clock's lateness is still growing."""
    if ticket.responded_at is None:
        return None
    calendar = calendar_of(ticket.promise)
    return pausing.lateness_seconds(calendar=calendar, deadline=deadline, responded_at=ticket.responded_at)


def _clock(ticket: Ticket, periods) -> pausing.PausedClock:
    return pauses.paused(
        ticket,
        periods,
        start=ticket.clock_started_at,
        target_seconds=ticket.work_started_target,
        stopped_at=ticket.responded_at,
    )


def _periods_before(tickets: list[Ticket], now: dt.datetime):
    """Only periods that began before now can move a deadline that is already behind us."""
    return pauses.periods_for(
        account_ids={t.account_id for t in tickets}, since=min(t.clock_started_at for t in tickets), until=now
    )


def miss_record(*, ticket: Ticket, now: dt.datetime) -> Miss | None:
    """Record the miss of the ticket's current clock if it is due; the caller holds the row lock.

    A clock stopped in time just stops pending; one still running before its deadline is left.
    """
    if not ticket.miss_pending:
        return None
    started = ticket.responded_at
    if started is not None and started <= ticket.work_started_deadline:
        Ticket.objects.filter(pk=ticket.pk).update(miss_pending=False)
        ticket.miss_pending = False
        return None
    if started is None and now <= ticket.work_started_deadline:
        return None
    clock = _clock(ticket, _periods_before([ticket], now))
    if clock.deadline != ticket.work_started_deadline:
        # A period changed under this clock since its deadline was stored: keep the stored one true.
        Ticket.objects.filter(pk=ticket.pk).update(work_started_deadline=clock.deadline)
        ticket.work_started_deadline = clock.deadline
        return miss_record(ticket=ticket, now=now)
    earlier = Miss.objects.filter(ticket=ticket, deadline_version=ticket.deadline_version).first()
    if earlier is not None:
        return _revive(earlier, ticket, clock, now=now)
    miss = _new_miss(ticket, clock, now=now, superseded=ticket.pk in _counting([ticket.pk]))
    try:
        with transaction.atomic():
            miss.save()
    except IntegrityError:
        log.info("miss of ticket %s clock %s already recorded", ticket.pk, ticket.deadline_version)
        miss = None
    Ticket.objects.filter(pk=ticket.pk).update(miss_pending=False)
    ticket.miss_pending = False
    if miss is not None:
        event_record(
            ticket=ticket,
            code="missed",
            actor=None,
            at=now,
            deadline=miss.deadline.isoformat(),
            counted=miss.counted,
            excluded_reason=miss.excluded_reason,
            miss=miss.pk,
        )
        notify_missed(miss)
        if miss.counted:
            hooks.counted_failures_changed(account_id=miss.account_id, month=miss.month)
    return miss


def _revive(miss: Miss, ticket: Ticket, clock, *, now: dt.datetime) -> Miss | None:
    """The clock's miss was excused by a period while it still ran; its extended deadline passed now."""
    Ticket.objects.filter(pk=ticket.pk).update(miss_pending=False)
    ticket.miss_pending = False
    if miss.voided or miss.counted or miss.exclusion_period_id is None:
        return None
    superseded = ticket.pk in _counting([ticket.pk])
    miss.counted, miss.exclusion_period = not superseded, None
    miss.excluded_reason = SUPERSEDED if superseded else ""
    miss.deadline, miss.excused_seconds, miss.recorded_at = clock.deadline, clock.excused_seconds, now
    miss.month = month_of(clock.deadline)
    miss.lateness_seconds = _lateness(ticket, clock.deadline)
    miss.save()
    event_record(
        ticket=ticket,
        code="missed",
        actor=None,
        at=now,
        deadline=miss.deadline.isoformat(),
        counted=miss.counted,
        excluded_reason=miss.excluded_reason,
        miss=miss.pk,
    )
    notify_missed(miss)
    if miss.counted:
        hooks.counted_failures_changed(account_id=miss.account_id, month=miss.month)
    return miss


def miss_responded(*, ticket: Ticket, now: dt.datetime) -> None:
    """The clock stopped at `now`: a miss of it learns how late the response was."""
    calendar = calendar_of(ticket.promise)
    for miss in Miss.objects.filter(
        ticket=ticket, deadline_version=ticket.deadline_version, lateness_seconds__isnull=True
    ):
        miss.lateness_seconds = pausing.lateness_seconds(
            calendar=calendar, deadline=miss.deadline, responded_at=now
        )
        miss.save(update_fields=["lateness_seconds"])


def notify_missed(*misses: Miss) -> None:

    ids = [miss.pk for miss in misses]
    enqueue_after_commit(notifications.notify_missed, ids)


def misses_record_due(*, now: dt.datetime | None = None, batch: int = SWEEP_BATCH) -> int:
    """The sweep: record every clock past its deadline, however far behind we are.

    Each batch of claimed rows costs a fixed handful of queries, whatever its size.
    """
    total = 0
    while True:
        now_ = now or timezone.now()
        with transaction.atomic():
            claimed = list(
                _skip_locked(Ticket.objects.overdue(now_).order_by("work_started_deadline", "pk")).only(
                    "pk",
                    "account_id",
                    "priority",
                    "deadline_version",
                    "work_started_target",
                    "clock_started_at",
                    "work_started_deadline",
                    "responded_at",
                    "miss_pending",
                    "promise",
                )[:batch]
            )
            if claimed:
                total += _record_batch(claimed, now=now_)
        if len(claimed) < batch:
            return total


def _record_batch(tickets: list[Ticket], *, now: dt.datetime) -> int:
    periods = _periods_before(tickets, now)
    taken = set(
        Miss.objects.filter(ticket__in=[t.pk for t in tickets]).values_list("ticket_id", "deadline_version")
    )
    misses, one_by_one = [], []
    counting = _counting([t.pk for t in tickets])
    for ticket in tickets:
        clock = _clock(ticket, periods) if periods else None
        moved = clock is not None and clock.deadline != ticket.work_started_deadline
        if moved or (ticket.pk, ticket.deadline_version) in taken:
            one_by_one.append(ticket)
        else:
            clock = clock or _unpaused(ticket.work_started_deadline)
            misses.append(_new_miss(ticket, clock, now=now, superseded=ticket.pk in counting))
    recorded = sum(miss_record(ticket=ticket, now=now) is not None for ticket in one_by_one)
    tickets = [t for t in tickets if t not in one_by_one]
    if not misses:
        return recorded
    try:
        with transaction.atomic():
            Miss.objects.bulk_create(misses)
    except IntegrityError:
        # Some clock already has its miss (a state only a bug could leave): go one by one.
        return recorded + sum(miss_record(ticket=ticket, now=now) is not None for ticket in tickets)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(miss_pending=False)
    TicketEvent.objects.bulk_create(
        TicketEvent(
            ticket_id=miss.ticket_id,
            code="missed",
            actor=None,
            at=now,
            data={
                "deadline": miss.deadline.isoformat(),
                "counted": miss.counted,
                "excluded_reason": miss.excluded_reason,
                "miss": miss.pk,
            },
        )
        for miss in misses
    )
    notify_missed(*misses)
    for account_id, month in sorted({(m.account_id, m.month) for m in misses if m.counted}):
        hooks.counted_failures_changed(account_id=account_id, month=month)
    return recorded + len(misses)


def at_risk_flag_due(*, now: dt.datetime | None = None, batch: int = SWEEP_BATCH) -> list[int]:
    """Flag running clocks that passed their at-risk instant (80% of the target) and tell engineers."""
    now = now or timezone.now()
    flagged: list[int] = []
    with transaction.atomic():
        claimed = list(
            _skip_locked(
                Ticket.objects.filter(
                    miss_pending=True,
                    at_risk_notified=False,
                    at_risk_at__lte=now,
                    work_started_deadline__gte=now,
                    responded_at__isnull=True,
                ).order_by("at_risk_at", "pk")
            ).only("pk")[:batch]
        )
        ids = [ticket.pk for ticket in claimed]
        if ids:
            Ticket.objects.filter(pk__in=ids).update(at_risk_notified=True)
            for ticket in claimed:
                event_record(ticket=ticket, code="at_risk", actor=None, at=now)

            enqueue_after_commit(notifications.notify_at_risk, ids)
        flagged.extend(ids)
    return flagged


def misses_void(*, ticket: Ticket, actor: User, reason: str, now: dt.datetime) -> list[Miss]:
    """A downgrade voids the misses of the ticket's earlier clocks ("misclassified").

    Refused (409, nothing voided) once an invoice covers the month of a miss it would void.
    """
    voided = list(Miss.objects.select_for_update().filter(ticket=ticket, voided_at__isnull=True))
    for miss in voided:
        if hooks.month_invoiced(account_id=miss.account_id, month=miss.month):
            raise ConflictError(
                f"The miss of {miss.month} is on an issued invoice: that month is closed, "
                "so this ticket can no longer be reclassified.",
                code="month_invoiced",
            )
    for miss in voided:
        miss.voided_at = now
        miss.voided_by = actor
        miss.void_reason = reason
        was_counted = miss.counted
        miss.counted = False
        miss.excluded_reason = "Misclassified: downgraded from High"
        miss.save(update_fields=["voided_at", "voided_by", "void_reason", "counted", "excluded_reason"])
        event_record(
            ticket=ticket,
            code="miss_voided",
            actor=actor,
            at=now,
            miss=miss.pk,
            reason=reason,
            was_counted=was_counted,
        )
        if was_counted:
            hooks.counted_failures_changed(account_id=miss.account_id, month=miss.month)
    return voided


@transaction.atomic
def miss_exclude(*, miss: Miss, actor: User, reason: str, reason_text: str, now: dt.datetime) -> Miss:
    """Stop counting a miss for a contract exclusion found on review (`reason`, a stable code).

    The caller (billing, which knows the contract's reasons) has checked the reason; this records
    it, writes the ticket's event and tells the listeners when the month's count changed.
    """
    miss = Miss.objects.select_for_update().select_related("ticket").get(pk=miss.pk)
    if miss.decision_reason:
        raise ConflictError(
            f"This miss was already excluded on review ({miss.excluded_reason}).", code="excluded"
        )
    was_counted = miss.counted
    miss.counted, miss.excluded_reason, miss.decision_reason = False, reason_text[:200], reason
    miss.save(update_fields=["counted", "excluded_reason", "decision_reason"])
    event_record(
        ticket=miss.ticket,
        code="miss_excluded",
        actor=actor,
        at=now,
        miss=miss.pk,
        reason=miss.excluded_reason,
        decision=reason,
        was_counted=was_counted,
    )
    if was_counted:
        hooks.counted_failures_changed(account_id=miss.account_id, month=miss.month)
    return miss


@transaction.atomic
def miss_record_on_review(*, ticket: Ticket, actor: User, lateness_seconds: int, now: dt.datetime) -> Miss:
    """A failure Pledge did not record, found when a billing admin upholds the customer's dispute.

    Recorded now against the ticket's current clock, counted, `lateness_seconds` late (as the
    review found it); the caller (billing) has checked who may. A ticket with a miss on record
    already is a 409: one request counts one failure at most.
    """
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if Miss.objects.filter(ticket=ticket).exists():
        raise ConflictError(f"Ticket #{ticket.pk} has a miss on record already.", code="recorded")
    miss = _new_miss(ticket, _unpaused(ticket.work_started_deadline), now=now)
    miss.lateness_seconds = lateness_seconds
    miss.save()
    event_record(
        ticket=ticket,
        code="miss_recorded_on_review",
        actor=actor,
        at=now,
        miss=miss.pk,
        deadline=miss.deadline.isoformat(),
        lateness_seconds=lateness_seconds,
    )
    hooks.counted_failures_changed(account_id=miss.account_id, month=miss.month)
    return miss
