"""Misses: recorded by the system at the deadline, once per clock, and judged against exclusions.

The database is the only record of what is due: `Ticket.miss_pending` plus the deadline.
`misses_record_due` (the sweep) records every overdue clock, in batches of locked rows,
so several sweeps may run at once; a unique constraint makes a second miss impossible.
"""

import datetime as dt
import logging

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from helpdesk.accounts.models import User
from helpdesk.kit.enqueue import enqueue_after_commit
from helpdesk.kit.errors import ConflictError
from helpdesk.kit.months import month_of
from helpdesk.tickets.models import Ticket, TicketEvent
from helpdesk.tickets.services.events import event_record
from sla.clocks import hooks, notifications
from sla.clocks.models import ExclusionPeriod, Miss

log = logging.getLogger(__name__)

SWEEP_BATCH = 500


def _skip_locked(queryset):
    """Row claims that let sweeps run side by side; SQLite has one writer and no such clause."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    return queryset.select_for_update()


def _exclusion_for(ticket: Ticket, start: dt.datetime, end: dt.datetime) -> ExclusionPeriod | None:
    """The first declared period overlapping the clock [start, end] of this ticket's account."""
    return (
        ExclusionPeriod.objects.filter(starts_at__lt=end, ends_at__gt=start)
        .filter(Q(account__isnull=True) | Q(account_id=ticket.account_id))
        .order_by("starts_at", "id")
        .first()
    )


def _new_miss(ticket: Ticket, *, now: dt.datetime, period: ExclusionPeriod | None = None) -> Miss:
    return Miss(
        ticket=ticket,
        account_id=ticket.account_id,
        deadline_version=ticket.deadline_version,
        priority=ticket.priority,
        target_seconds=ticket.work_started_target,
        clock_started_at=ticket.clock_started_at,
        deadline=ticket.work_started_deadline,
        recorded_at=now,
        month=month_of(ticket.work_started_deadline),
        counted=period is None,
        excluded_reason=_period_reason(period) if period else "",
        exclusion_period=period,
    )


def _period_reason(period: ExclusionPeriod) -> str:
    label = period.get_kind_display()
    return f"{label} ({period.provider})" if period.provider else label


def miss_record(*, ticket: Ticket, now: dt.datetime) -> Miss | None:
    """Record the miss of the ticket's current clock if it is due; the caller holds the row lock.

    A clock stopped in time just stops pending; one still running before its deadline is left.
    """
    if not ticket.miss_pending:
        return None
    started = ticket.work_started_at
    if started is not None and started <= ticket.work_started_deadline:
        Ticket.objects.filter(pk=ticket.pk).update(miss_pending=False)
        ticket.miss_pending = False
        return None
    if started is None and now <= ticket.work_started_deadline:
        return None
    period = _exclusion_for(ticket, ticket.clock_started_at, ticket.work_started_deadline)
    miss = _new_miss(ticket, now=now, period=period)
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
                    "work_started_at",
                    "miss_pending",
                )[:batch]
            )
            if claimed:
                total += _record_batch(claimed, now=now_)
        if len(claimed) < batch:
            return total


def _record_batch(tickets: list[Ticket], *, now: dt.datetime) -> int:
    periods = list(
        ExclusionPeriod.objects.filter(
            starts_at__lt=max(t.work_started_deadline for t in tickets),
            ends_at__gt=min(t.clock_started_at for t in tickets),
        ).order_by("starts_at", "id")
    )
    misses = []
    for ticket in tickets:
        period = next(
            (
                p
                for p in periods
                if p.starts_at < ticket.work_started_deadline
                and p.ends_at > ticket.clock_started_at
                and p.account_id in (None, ticket.account_id)
            ),
            None,
        )
        misses.append(_new_miss(ticket, now=now, period=period))
    try:
        with transaction.atomic():
            Miss.objects.bulk_create(misses)
    except IntegrityError:
        # Some clock already has its miss (a state only a bug could leave): go one by one.
        return sum(miss_record(ticket=ticket, now=now) is not None for ticket in tickets)
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
    return len(misses)


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
                    work_started_at__isnull=True,
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
    """A downgrade voids the misses of the ticket's earlier clocks ("misclassified")."""
    voided = list(Miss.objects.select_for_update().filter(ticket=ticket, voided_at__isnull=True))
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
def misses_reevaluate(*, start: dt.datetime, end: dt.datetime, actor: User | None = None) -> int:
    """Judge again every unvoided miss whose clock overlaps [start, end] (a period came or went)."""
    changed = 0
    misses = (
        Miss.objects.select_for_update()
        .filter(voided_at__isnull=True, decision_reason="", clock_started_at__lt=end, deadline__gt=start)
        .select_related("ticket")
        .order_by("pk")
    )
    now = timezone.now()
    for miss in misses:
        period = _exclusion_for(miss.ticket, miss.clock_started_at, miss.deadline)
        counted = period is None
        reason = "" if counted else _period_reason(period)
        if (miss.counted, miss.excluded_reason, miss.exclusion_period_id) == (
            counted,
            reason,
            period.pk if period else None,
        ):
            continue
        miss.counted, miss.excluded_reason, miss.exclusion_period = counted, reason, period
        miss.save(update_fields=["counted", "excluded_reason", "exclusion_period"])
        event_record(
            ticket=miss.ticket,
            code="miss_counted" if counted else "miss_excluded",
            actor=actor,
            at=now,
            miss=miss.pk,
            reason=reason,
        )
        hooks.counted_failures_changed(account_id=miss.account_id, month=miss.month)
        changed += 1
    return changed


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
