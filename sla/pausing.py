"""Exclusion periods pause a response clock: the deadline moves later by the working time they cover.

Pure: aware datetimes and seconds in, no ORM, no settings, no clock (pass ``now=`` when a period
is still open).

A clock starts at ``start`` and runs for ``target_seconds`` of working time on its calendar
(``None`` or a calendar without opening hours is 24x7). While any exclusion period covers it, it
stands still. Its deadline is the first instant at which the working time outside every period
since ``start`` reaches the target (with a zero target: the first instant the clock would run,
as ``calendars.add_working_time`` does). Equivalently, the deadline ``D`` is the fixpoint of

    D = add_working_time(start, target + working time of the periods inside [start, D))

so a period beginning at or after the original deadline does not count, but one beginning
before it pushes the deadline out, and may bring later periods into range.

Periods may overlap or touch each other and the clock's edges; only their union counts, and
the order they come in does not matter. A period whose end is ``None`` is still going on and
counts as lasting until ``now`` (the deadline is then provisional: it moves later while the
period lasts, so no miss falls inside an ongoing pause). Once the clock has stopped (the
response at ``stopped_at``), nothing after that instant counts.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sla.calendars import WorkingCalendar, add_working_time, working_time_between

__all__ = ["PausedClock", "lateness_seconds", "paused_clock", "paused_deadline"]

Period = tuple[datetime, datetime | None]

_ALWAYS_OPEN = WorkingCalendar("UTC")
_ONE_SECOND = timedelta(seconds=1)
_ZERO = timedelta(0)


@dataclasses.dataclass(frozen=True)
class PausedClock:
    """A clock's deadline after its pauses, and how much the pauses took.

    ``excused`` is wall-clock time: the length of the union of the counted periods, each clipped
    to ``[start, deadline]`` (and to ``stopped_at``). ``paused_working`` is the working time on
    the clock's calendar inside them, which is exactly how far the deadline moved in working
    time. ``counted`` are those merged, clipped periods in order (UTC).
    """

    deadline: datetime
    excused: timedelta
    paused_working: timedelta
    counted: tuple[tuple[datetime, datetime], ...]

    @property
    def excused_seconds(self) -> int:
        """Whole seconds of ``excused``, rounded down."""
        return self.excused // _ONE_SECOND

    @property
    def paused_working_seconds(self) -> int:
        """Whole seconds of ``paused_working``, rounded down."""
        return self.paused_working // _ONE_SECOND


def paused_clock(
    *,
    calendar: WorkingCalendar | None,
    start: datetime,
    target_seconds: int,
    periods: Iterable[Period],
    stopped_at: datetime | None = None,
    now: datetime | None = None,
) -> PausedClock:
    """The clock's deadline moved out by the periods that overlap it while it runs (see the module)."""
    calendar = _calendar(calendar)
    _require_aware(start, "start")
    if stopped_at is not None:
        _require_aware(stopped_at, "stopped_at")
    if now is not None:
        _require_aware(now, "now")
    if isinstance(target_seconds, bool) or not isinstance(target_seconds, int):
        raise TypeError(f"target_seconds must be a whole number of seconds, not {target_seconds!r}")
    if target_seconds < 0:
        raise ValueError(f"target_seconds must not be negative, got {target_seconds}")

    remaining = timedelta(seconds=target_seconds)
    cursor = start
    counted: list[tuple[datetime, datetime]] = []
    paused_working = _ZERO
    # Merged and sorted, one pass reaches the fixpoint: each period either begins at or after
    # the deadline known so far (and so does every later one), or it stops the clock until it ends.
    for low, high in _merged(periods, start=start, stopped_at=stopped_at, now=now):
        deadline = add_working_time(calendar, cursor, remaining)
        if low >= deadline:
            break
        remaining -= working_time_between(calendar, cursor, low)
        paused_working += working_time_between(calendar, low, high)
        counted.append((low, high))
        cursor = high
    deadline = add_working_time(calendar, cursor, remaining)
    return PausedClock(
        deadline=deadline,
        excused=sum((high - low for low, high in counted), _ZERO),
        paused_working=paused_working,
        counted=tuple(counted),
    )


def paused_deadline(
    *,
    calendar: WorkingCalendar | None,
    start: datetime,
    target_seconds: int,
    periods: Iterable[Period],
    stopped_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[datetime, int]:
    """(deadline, excused_seconds): ``paused_clock`` for callers that need only those two."""
    clock = paused_clock(
        calendar=calendar,
        start=start,
        target_seconds=target_seconds,
        periods=periods,
        stopped_at=stopped_at,
        now=now,
    )
    return clock.deadline, clock.excused_seconds


def lateness_seconds(*, calendar: WorkingCalendar | None, deadline: datetime, responded_at: datetime) -> int:
    """Working seconds from the (already extended) deadline to the response; 0 if on time.

    Rounded up: a response half a second late is one second late, so it starts an hour late.
    On a working-hours calendar a response after the deadline but before the next opening is
    late by 0 working seconds.
    """
    late = working_time_between(_calendar(calendar), deadline, responded_at)
    return math.ceil(late / _ONE_SECOND)


def _calendar(calendar: WorkingCalendar | None) -> WorkingCalendar:
    if calendar is None:
        return _ALWAYS_OPEN
    if not isinstance(calendar, WorkingCalendar):
        raise TypeError(f"calendar must be a WorkingCalendar or None (24x7), not {calendar!r}")
    return calendar


def _require_aware(value: object, name: str) -> None:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {value!r}")


def _merged(
    periods: Iterable[Period], *, start: datetime, stopped_at: datetime | None, now: datetime | None
) -> list[tuple[datetime, datetime]]:
    """The periods clipped to when the clock can run, merged where they overlap or touch, in order."""
    clipped: list[tuple[datetime, datetime]] = []
    for position, period in enumerate(periods, start=1):
        try:
            low, high = period
        except (TypeError, ValueError):
            raise ValueError(f"period {position}: give (starts_at, ends_at), not {period!r}") from None
        _require_aware(low, f"period {position} starts_at")
        if high is None:
            high = now if now is not None else stopped_at
            if high is None:
                raise ValueError(f"period {position} has no end: pass now= (or stopped_at=) to count it")
        else:
            _require_aware(high, f"period {position} ends_at")
            if high < low:
                raise ValueError(f"period {position} ends before it starts: {low} to {high}")
        low, high = max(low, start).astimezone(UTC), high.astimezone(UTC)
        if stopped_at is not None:
            high = min(high, stopped_at)
        if low < high:
            clipped.append((low, high))
    clipped.sort()
    merged: list[tuple[datetime, datetime]] = []
    for low, high in clipped:
        if merged and low <= merged[-1][1]:
            if high > merged[-1][1]:
                merged[-1] = (merged[-1][0], high)
        else:
            merged.append((low, high))
    return merged
