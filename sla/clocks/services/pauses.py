"""Exclusion periods pause response clocks: the stored deadline moves, and misses are judged again.

The sweep finds due clocks by `Ticket.work_started_deadline` alone, so that column always holds
the deadline extended by the periods in force (`sla.pausing` computes it on the clock's own
calendar). Whenever a period applying to a ticket is created, changed or cancelled, the tickets
and misses whose clocks it may touch are judged again here.
"""

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db.models import Q
from django.utils import timezone

from helpdesk.accounts.models import User
from helpdesk.kit.months import month_of
from helpdesk.tickets.models import Ticket
from helpdesk.tickets.services.events import event_record
from sla import pausing
from sla.clocks import hooks
from sla.clocks.models import ExclusionPeriod, Miss
from sla.terms.policies import calendar_of

# A clock never reaches further than this past its start, however many periods pause it.
REACH = dt.timedelta(days=3 * 366)


def at_risk_seconds(ticket: Ticket) -> int:
    return max(1, ticket.work_started_target * ticket.promise.get("at_risk_percent", 80) // 100)


def periods_for(
    *, account_ids: Iterable[int], since: dt.datetime, until: dt.datetime
) -> list[ExclusionPeriod]:
    """Periods in force for these accounts (or every account) overlapping [since, until]."""
    return list(
        ExclusionPeriod.objects.in_force()
        .filter(starts_at__lt=until, ends_at__gt=since)
        .filter(Q(account__isnull=True) | Q(account_id__in=set(account_ids)))
        .order_by("starts_at", "id")
    )


def _applying(periods: Sequence[ExclusionPeriod], account_id: int) -> list[ExclusionPeriod]:
    return [p for p in periods if p.account_id in (None, account_id)]


def paused(
    ticket: Ticket,
    periods: Sequence[ExclusionPeriod],
    *,
    start: dt.datetime,
    target_seconds: int,
    stopped_at: dt.datetime | None,
) -> pausing.PausedClock:
    """The clock of `ticket` from `start` for `target_seconds`, paused by those of `periods` applying."""
    return pausing.paused_clock(
        calendar=calendar_of(ticket.promise),
        start=start,
        target_seconds=target_seconds,
        periods=[(p.starts_at, p.ends_at) for p in _applying(periods, ticket.account_id)],
        stopped_at=stopped_at,
    )


def first_period(periods: Sequence[ExclusionPeriod], clock: pausing.PausedClock, account_id: int):
    """The first applying period that paused the clock: the one a miss it excuses names."""
    for low, high in clock.counted:
        for period in _applying(periods, account_id):
            if period.starts_at < high and period.ends_at > low:
                return period
    return None


def period_reason(period: ExclusionPeriod) -> str:
    label = period.get_kind_display()
    label = f"{label} ({period.provider})" if period.provider else label
    return f"{label} #{period.pk}"


def clock_apply_pauses(*, ticket: Ticket) -> None:
    """A clock just (re)started: move its deadline and at-risk instant for the periods in force."""
    if ticket.responded_at is not None and ticket.responded_at <= ticket.clock_started_at:
        return
    periods = periods_for(
        account_ids=[ticket.account_id], since=ticket.clock_started_at, until=ticket.clock_started_at + REACH
    )
    if not periods:
        return
    _move_deadline(ticket, periods)


def _move_deadline(ticket: Ticket, periods: Sequence[ExclusionPeriod]) -> pausing.PausedClock:
    stopped = ticket.responded_at
    clock = paused(
        ticket,
        periods,
        start=ticket.clock_started_at,
        target_seconds=ticket.work_started_target,
        stopped_at=stopped,
    )
    at_risk = paused(
        ticket,
        periods,
        start=ticket.clock_started_at,
        target_seconds=at_risk_seconds(ticket),
        stopped_at=stopped,
    ).deadline
    if (ticket.work_started_deadline, ticket.at_risk_at) != (clock.deadline, at_risk):
        ticket.work_started_deadline, ticket.at_risk_at = clock.deadline, at_risk
        Ticket.objects.filter(pk=ticket.pk).update(work_started_deadline=clock.deadline, at_risk_at=at_risk)
    return clock


def clocks_rejudge(
    *,
    start: dt.datetime,
    end: dt.datetime,
    account_ids: set[int] | None,
    actor: User | None,
    period: ExclusionPeriod,
    now: dt.datetime | None = None,
) -> int:
    """Judge again every clock a period's change in [start, end] may touch; the caller is atomic.

    `account_ids` None: every account (a global period). Returns how many misses changed.
    """
    now = now or timezone.now()
    scope = Q() if account_ids is None else Q(account_id__in=account_ids)
    # Misses first, then tickets: the order a claim takes them in (its miss, then its ticket's
    # event), so the two never wait for each other. A miss excluded on review (decision_reason)
    # stays excluded whatever periods come or go.
    misses = list(
        Miss.objects.select_for_update(of=("self",))
        .filter(
            scope, voided_at__isnull=True, decision_reason="", clock_started_at__lt=end, deadline__gt=start
        )
        .select_related("ticket")
        .order_by("pk")
    )
    tickets = list(
        Ticket.objects.select_for_update()
        .filter(scope, clock_started_at__lt=end, work_started_deadline__gt=start)
        .filter(Q(responded_at__isnull=True) | Q(responded_at__gt=start))
        .order_by("pk")
    )
    if not tickets and not misses:
        return 0
    clock_starts = [t.clock_started_at for t in tickets] + [m.clock_started_at for m in misses]
    periods = periods_for(
        account_ids={t.account_id for t in tickets} | {m.account_id for m in misses},
        since=min(clock_starts),
        until=max(clock_starts) + REACH,
    )
    by_ticket = {t.pk: t for t in tickets}
    changed = 0
    for ticket in tickets:
        clock = _move_deadline(ticket, periods)
        current = next(
            (m for m in misses if m.ticket_id == ticket.pk and m.deadline_version == ticket.deadline_version),
            None,
        )
        if current is None:
            changed += _record_late(ticket, clock, periods, now=now, actor=actor, period=period)
    for miss in misses:
        ticket = by_ticket.get(miss.ticket_id, miss.ticket)
        changed += miss_judge(miss=miss, ticket=ticket, periods=periods, now=now, actor=actor, cause=period)
    return changed


def _record_late(ticket, clock, periods, *, now, actor, period) -> int:
    """A clock that stopped within its old extended deadline but after its new one (a cancel)."""
    responded = ticket.responded_at
    if responded is None or responded <= clock.deadline:
        return 0
    if Miss.objects.filter(ticket=ticket, deadline_version=ticket.deadline_version).exists():
        return 0
    calendar = calendar_of(ticket.promise)
    superseded = Miss.objects.filter(ticket=ticket, counted=True, voided_at__isnull=True).exists()
    miss = Miss.objects.create(
        counted=not superseded,
        excluded_reason="superseded" if superseded else "",
        ticket=ticket,
        account_id=ticket.account_id,
        deadline_version=ticket.deadline_version,
        priority=ticket.priority,
        target_seconds=ticket.work_started_target,
        clock_started_at=ticket.clock_started_at,
        deadline=clock.deadline,
        excused_seconds=clock.excused_seconds,
        lateness_seconds=pausing.lateness_seconds(
            calendar=calendar, deadline=clock.deadline, responded_at=responded
        ),
        recorded_at=now,
        month=month_of(clock.deadline),
    )
    event_record(
        ticket=ticket,
        code="missed",
        actor=actor,
        at=now,
        deadline=miss.deadline.isoformat(),
        counted=miss.counted,
        excluded_reason=miss.excluded_reason,
        miss=miss.pk,
        period=period.pk,
    )
    hooks.counted_failures_changed(account_id=miss.account_id, month=miss.month)
    return 1


def miss_judge(
    *,
    miss: Miss,
    ticket: Ticket,
    periods: Sequence[ExclusionPeriod],
    now: dt.datetime,
    actor: User | None,
    cause: ExclusionPeriod | None,
) -> int:
    """Judge one miss against the periods in force: excused, or counted with its lateness.

    Only a miss counted, or uncounted because of a period, is the periods' to judge: a miss
    voided, superseded or excluded on review keeps its state (its deadline is still updated).
    """
    responded = ticket.responded_at
    current = miss.deadline_version == ticket.deadline_version
    clock = paused(
        ticket, periods, start=miss.clock_started_at, target_seconds=miss.target_seconds, stopped_at=responded
    )
    calendar = calendar_of(ticket.promise)
    excused_by = None
    in_time = clock.deadline >= responded if responded is not None else clock.deadline > now
    if in_time:
        excused_by = first_period(periods, clock, ticket.account_id)
    lateness = None
    if excused_by is None and responded is not None:
        lateness = pausing.lateness_seconds(
            calendar=calendar, deadline=clock.deadline, responded_at=responded
        )
    old = (miss.counted, miss.excluded_reason, miss.exclusion_period_id, miss.month)
    miss.deadline, miss.excused_seconds = clock.deadline, clock.excused_seconds
    miss.month = month_of(clock.deadline)
    miss.lateness_seconds = 0 if excused_by else lateness
    ours = miss.counted or miss.exclusion_period_id is not None
    if ours and excused_by is None and miss.exclusion_period_id is not None:
        # Counting again: unless an earlier miss of this request counts already.
        others = Miss.objects.filter(ticket=ticket, counted=True, voided_at__isnull=True).exclude(pk=miss.pk)
        if others.exists():
            miss.counted, miss.excluded_reason, miss.exclusion_period = False, "superseded", None
            ours = False
    if ours:
        miss.counted = excused_by is None
        miss.excluded_reason = period_reason(excused_by) if excused_by else ""
        miss.exclusion_period = excused_by
    miss.save(
        update_fields=[
            "deadline",
            "excused_seconds",
            "month",
            "lateness_seconds",
            "counted",
            "excluded_reason",
            "exclusion_period",
        ]
    )
    if current and excused_by is not None and responded is None and not ticket.miss_pending:
        # Excused while the clock still runs: the sweep judges it again at the extended deadline.
        ticket.miss_pending = True
        Ticket.objects.filter(pk=ticket.pk).update(miss_pending=True)
    new = (miss.counted, miss.excluded_reason, miss.exclusion_period_id, miss.month)
    if new == old:
        return 0
    event_record(
        ticket=ticket,
        code="miss_counted" if miss.counted else "miss_excluded",
        actor=actor,
        at=now,
        miss=miss.pk,
        reason=miss.excluded_reason,
        deadline=miss.deadline.isoformat(),
        excused_seconds=miss.excused_seconds,
        **({"period": cause.pk} if cause else {}),
    )
    for month in {old[3], miss.month}:
        hooks.counted_failures_changed(account_id=miss.account_id, month=month)
    return 1
