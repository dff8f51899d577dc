"""Business-calendar arithmetic: how much working time lies between two instants.

Working time is real elapsed time (as measured in UTC) during which the wall clock of the
calendar's time zone is inside its opening hours. A calendar without opening hours is
24x7: always open, holidays ignored.

Each opening (a shift) belongs to the local day it starts on; a shift whose end is at or
before its start runs overnight into the next day (``00:00-00:00`` is the whole day), and
a shift that starts on a holiday does not happen. Overlapping or touching shifts merge.

Every shift is one contiguous stretch of real time, from the instant its start is first
shown on the wall clock to the instant its end is last shown:

* a boundary inside a DST gap (a wall time that never exists, e.g. 02:30 in Berlin on the
  last Sunday of March) maps to the instant the gap ends, the first real instant at or
  after that wall time;
* an ambiguous boundary (a wall time shown twice when clocks go back) maps to its first
  occurrence (``fold=0``) when it starts a shift and its second (``fold=1``) when it ends
  one.

So a day that gains an hour gives an extra hour of working time when the repeated hour is
inside opening hours (a whole-day shift lasts 25 h, a 22:00-06:00 shift 9 h), and a day
that loses an hour gives one less.

Holidays are dates. ``public_holidays`` reads a country's (and subdivision's) public holidays,
observed days included, from the ``holidays`` package; they join any explicit ones in the
calendar's set, so a calendar holds fixed dates and a stored copy of it never changes when the
package does.

Arithmetic is exact to the microsecond. Per calendar, a lazily built timeline of merged
working intervals (integer microseconds since the epoch, built a month at a time as
queries reach it) with running totals of working time turns every query into a couple
of binary searches.
"""

from __future__ import annotations

import dataclasses
import functools
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_tables

__all__ = [
    "OpeningHours",
    "WorkingCalendar",
    "add_working_time",
    "check_holiday_codes",
    "is_open",
    "next_opening",
    "public_holidays",
    "valid_holiday_codes",
    "working_intervals",
    "working_time_between",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)
_MIDNIGHT = time(0)
_MIDNIGHT_FOLD = time(0, fold=1)

# A calendar that has opening hours but no opening for this long is treated as broken
# rather than searched forever.
_SEARCH_LIMIT_US = 5 * 366 * 86_400 * 1_000_000
# Past this many years away from the cached span, a query starts a fresh span instead of
# filling in every year in between.
_REUSE_YEARS = 10
# Building a month needs the shifts of the two days before it; keep dates representable.
_MIN_YEAR = 2
_MAX_YEAR = 9998
_LAST_MONTH = (_MAX_YEAR + 1) * 12  # January after the last supported year, as a month number


@dataclasses.dataclass(frozen=True)
class OpeningHours:
    """One weekly shift, from ``start`` on ``weekday`` (0 = Monday) to ``end``.

    ``end <= start`` means the shift runs overnight into the next day; ``00:00-00:00`` is
    the whole day.
    """

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not isinstance(self.weekday, int) or not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {self.weekday!r}")
        for value in (self.start, self.end):
            if not isinstance(value, time):
                raise TypeError(f"opening hours need datetime.time values, not {value!r}")
            if value.tzinfo is not None:
                raise ValueError("opening hours are wall-clock times of the calendar's zone")

    @property
    def is_overnight(self) -> bool:
        return self.end <= self.start


@dataclasses.dataclass(frozen=True)
class WorkingCalendar:
    """A time zone, weekly opening hours and holidays; no hours means 24x7."""

    timezone: str
    hours: tuple[OpeningHours, ...] = ()
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        # Accept any iterables but store hashable ones: the calendar is a cache key.
        object.__setattr__(self, "hours", tuple(self.hours))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        for shift in self.hours:
            if not isinstance(shift, OpeningHours):
                raise TypeError(f"hours must be OpeningHours, not {shift!r}")
        for day in self.holidays:
            if not isinstance(day, date) or isinstance(day, datetime):
                raise TypeError(f"holidays must be dates, not {day!r}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc

    @property
    def is_24x7(self) -> bool:
        return not self.hours

    @functools.cached_property
    def _timeline(self) -> _Timeline:
        # Stored on the instance so the hot path skips hashing the calendar; shared
        # between equal calendars through the cache below.
        return _shared_timeline(self)

    def __getstate__(self) -> dict[str, object]:
        # Pickle and copy the fields only, never the cached timeline.
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}


def add_working_time(calendar: WorkingCalendar, start: datetime, duration: timedelta) -> datetime:
    """The instant (UTC) at which ``duration`` of working time has elapsed since ``start``.

    A zero duration gives ``next_opening(start)``; a duration that runs out exactly at the
    end of a working interval gives that end, not the next opening.
    """
    at = _to_us(start)
    if duration < _ZERO:
        raise ValueError(f"duration must not be negative, got {duration}")
    if not calendar.hours:
        return _from_us(at) + duration
    wanted = duration // _ONE_US
    timeline = calendar._timeline
    span = timeline.cover(at, at)
    while True:
        ends = span.ends
        i = bisect_right(ends, at)
        if i == len(ends):
            span = timeline.extend_forward(span, since=at)
            continue
        first_start = span.starts[i]
        target = span.cum_start[i] + wanted + (at - first_start if at > first_start else 0)
        cum_end = span.cum_end
        j = bisect_left(cum_end, target, i)
        if j < len(cum_end):
            return _from_us(ends[j] - (cum_end[j] - target))
        span = timeline.extend_forward(span, since=ends[-1])


def working_time_between(calendar: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    """Working time inside ``[start, end)``; zero if ``end <= start``."""
    low, high = _to_us(start), _to_us(end)
    if high <= low:
        return _ZERO
    if not calendar.hours:
        return timedelta(microseconds=high - low)
    span = calendar._timeline.cover(low, high)
    return timedelta(microseconds=span.worked_before(high) - span.worked_before(low))


def next_opening(calendar: WorkingCalendar, after: datetime) -> datetime:
    """``after`` itself if the calendar is open then, else the next opening (UTC)."""
    at = _to_us(after)
    if not calendar.hours:
        return _from_us(at)
    timeline = calendar._timeline
    span = timeline.cover(at, at)
    while True:
        i = bisect_right(span.ends, at)
        if i < len(span.ends):
            first_start = span.starts[i]
            return _from_us(at if at > first_start else first_start)
        span = timeline.extend_forward(span, since=at)


def is_open(calendar: WorkingCalendar, at: datetime) -> bool:
    instant = _to_us(at)
    if not calendar.hours:
        return True
    span = calendar._timeline.cover(instant, instant)
    i = bisect_right(span.starts, instant) - 1
    return i >= 0 and instant < span.ends[i]


def working_intervals(
    calendar: WorkingCalendar, start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """The working intervals (UTC) clipped to ``[start, end)``, adjacent ones merged."""
    # Validate now rather than on first iteration.
    return _working_intervals(calendar, _to_us(start), _to_us(end))


def _working_intervals(calendar: WorkingCalendar, low: int, high: int) -> Iterator[tuple[datetime, datetime]]:
    if high <= low:
        return
    if not calendar.hours:
        yield _from_us(low), _from_us(high)
        return
    span = calendar._timeline.cover(low, high)
    starts, ends = span.starts, span.ends
    i = bisect_right(ends, low)
    while i < len(starts) and starts[i] < high:
        yield _from_us(max(starts[i], low)), _from_us(min(ends[i], high))
        i += 1


def valid_holiday_codes() -> Mapping[str, tuple[str, ...]]:
    """Every country code the ``holidays`` package knows, with its subdivision codes."""
    return _holiday_codes()


@functools.cache
def _holiday_codes() -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType(
        {country: tuple(subdivs) for country, subdivs in holiday_tables.list_supported_countries().items()}
    )


def check_holiday_codes(country: str, subdiv: str | None) -> None:
    """ValueError unless ``country`` (and ``subdiv``, if given) are codes ``holidays`` knows, spelt so."""
    codes = valid_holiday_codes()
    if not isinstance(country, str) or country not in codes:
        raise ValueError(f"unknown holidays country code {country!r}")
    if subdiv is not None and subdiv not in codes[country]:
        raise ValueError(f"unknown holidays subdivision code {subdiv!r} for {country}")


def public_holidays(country: str, subdiv: str | None, years: Iterable[int]) -> frozenset[date]:
    """The public holidays (observed days included) of ``country``, or of its ``subdiv``, in ``years``.

    Give every year a clock may reach: a calendar knows only the dates it was given. ``subdiv``
    None (or "") means the whole country's holidays only.
    """
    subdiv = subdiv or None
    check_holiday_codes(country, subdiv)
    wanted: set[int] = set()
    for year in years:
        if isinstance(year, bool) or not isinstance(year, int) or not _MIN_YEAR <= year <= _MAX_YEAR:
            raise ValueError(f"years must be whole years {_MIN_YEAR}-{_MAX_YEAR}, not {year!r}")
        wanted.add(year)
    return _public_holidays(country, subdiv, tuple(sorted(wanted)))


@functools.lru_cache(maxsize=256)
def _public_holidays(country: str, subdiv: str | None, years: tuple[int, ...]) -> frozenset[date]:
    if not years:
        return frozenset()
    return frozenset(holiday_tables.country_holidays(country, subdiv=subdiv, years=years))


def _to_us(value: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    try:
        return (value - _EPOCH) // _ONE_US
    except TypeError:
        raise ValueError(f"an aware datetime is required, got {value!r}") from None


def _from_us(instant: int) -> datetime:
    return _EPOCH + timedelta(0, 0, instant)


class _Span:
    """Merged working intervals known exactly within ``[lo, hi)``, with running totals.

    ``lo`` and ``hi`` are the instants local midnight begins ``first_day`` and
    ``last_day`` (exclusive); intervals are clipped to them, so a span never guesses
    about time it was not built for. Spans are never mutated, so a reader holding one is
    safe while another thread replaces it.
    """

    __slots__ = ("first_day", "last_day", "lo", "hi", "starts", "ends", "cum_start", "cum_end")

    def __init__(
        self,
        first_day: date,
        last_day: date,
        lo: int,
        hi: int,
        starts: list[int],
        ends: list[int],
    ) -> None:
        self.first_day = first_day
        self.last_day = last_day
        self.lo = lo
        self.hi = hi
        self.starts = starts
        self.ends = ends
        self.cum_start: list[int] = []
        self.cum_end: list[int] = []
        total = 0
        for low, high in zip(starts, ends, strict=True):
            self.cum_start.append(total)
            total += high - low
            self.cum_end.append(total)

    def worked_before(self, instant: int) -> int:
        """Working microseconds from ``lo`` up to ``instant``."""
        ends = self.ends
        i = bisect_right(ends, instant)
        if i == len(ends):
            return self.cum_end[-1] if ends else 0
        first_start = self.starts[i]
        return self.cum_start[i] + (instant - first_start if instant > first_start else 0)


class _Timeline:
    """The growing span of one calendar's working intervals."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self._zone = ZoneInfo(calendar.timezone)
        self._holidays = calendar.holidays
        # Per weekday, each shift's start and end as (fold=0, fold=1) wall times, and
        # whether its end falls on the next day.
        by_weekday: list[list[tuple[time, time, time, time, bool]]] = [[] for _ in range(7)]
        for shift in calendar.hours:
            by_weekday[shift.weekday].append(
                (
                    shift.start.replace(fold=0),
                    shift.start.replace(fold=1),
                    shift.end.replace(fold=0),
                    shift.end.replace(fold=1),
                    shift.is_overnight,
                )
            )
        self._shifts = tuple(tuple(shifts) for shifts in by_weekday)
        self.span: _Span | None = None

    def cover(self, low: int, high: int) -> _Span:
        """A span whose exact range includes ``[low, high]``, built a month at a time."""
        span = self.span
        if span is not None and span.lo <= low and high < span.hi:
            return span
        first_month = _month_number(self._local_date(low))
        last_month = _month_number(self._local_date(high)) + 1
        while True:
            span = self._grow(_first_of_month(first_month), _first_of_month(last_month))
            # A zone whose clocks go back across midnight can show a date after the
            # instant at which that date first began; widen until the range fits.
            if span.lo > low:
                first_month -= 1
            elif high >= span.hi:
                last_month += 1
            else:
                return span

    def extend_forward(self, span: _Span, since: int) -> _Span:
        """``span`` with a year more, unless there has been no opening for too long."""
        if span.hi - since > _SEARCH_LIMIT_US:
            raise ValueError(f"calendar has no opening hours for more than 5 years after {_from_us(since)}")
        current_end = _month_number(span.last_day)
        # Past the last supported month, _first_of_month refuses.
        last_month = min(current_end + 12, max(current_end + 1, _LAST_MONTH))
        return self._grow(span.first_day, _first_of_month(last_month))

    def _grow(self, first_day: date, last_day: date) -> _Span:
        """Build and keep a span of at least ``[first_day, last_day)``, reusing what is known."""
        current = self.span
        if (
            current is None
            or current.last_day.year < first_day.year - _REUSE_YEARS
            or current.first_day.year > last_day.year + _REUSE_YEARS
        ):
            span = self._build(first_day, last_day)
        else:
            span = current
            if first_day < span.first_day:
                span = _join(self._build(first_day, span.first_day), span)
            if last_day > span.last_day:
                span = _join(span, self._build(span.last_day, last_day))
        self.span = span
        return span

    def _build(self, first_day: date, last_day: date) -> _Span:
        lo = self._instant(first_day, _MIDNIGHT, _MIDNIGHT_FOLD, is_end=False)
        hi = self._instant(last_day, _MIDNIGHT, _MIDNIGHT_FOLD, is_end=False)
        pieces: list[tuple[int, int]] = []
        # A shift starts at most a day before it reaches a date; two days of margin keeps
        # that true even when a DST change moves the boundary instants.
        day = first_day - 2 * _ONE_DAY
        while day < last_day:
            if day not in self._holidays:
                for start_0, start_1, end_0, end_1, overnight in self._shifts[day.weekday()]:
                    start = self._instant(day, start_0, start_1, is_end=False)
                    end_day = day + _ONE_DAY if overnight else day
                    end = self._instant(end_day, end_0, end_1, is_end=True)
                    start, end = max(start, lo), min(end, hi)
                    if start < end:
                        pieces.append((start, end))
            day += _ONE_DAY
        pieces.sort()
        starts: list[int] = []
        ends: list[int] = []
        for start, end in pieces:
            if ends and start <= ends[-1]:
                if end > ends[-1]:
                    ends[-1] = end
            else:
                starts.append(start)
                ends.append(end)
        return _Span(first_day, last_day, lo, hi, starts, ends)

    def _instant(self, day: date, clock: time, clock_fold: time, *, is_end: bool) -> int:
        """The instant a local wall time stands for as a shift boundary (see the module doc).

        ``clock_fold`` is ``clock`` with ``fold=1``; ``combine`` keeps the fold.
        """
        first = (datetime.combine(day, clock, self._zone) - _EPOCH) // _ONE_US
        second = (datetime.combine(day, clock_fold, self._zone) - _EPOCH) // _ONE_US
        if first == second:
            return first
        if first < second:
            return second if is_end else first
        # In a gap fold=0 reads the wall time with the offset from before the change,
        # which lands after the change, and fold=1 lands before it.
        return self._transition_between(second, first)

    def _transition_between(self, before: int, after: int) -> int:
        """The first instant in ``(before, after]`` with the UTC offset in force at ``after``."""
        offset = self._offset_at(after)
        while after - before > 1:
            middle = (before + after) // 2
            if self._offset_at(middle) == offset:
                after = middle
            else:
                before = middle
        return after

    def _offset_at(self, instant: int) -> timedelta | None:
        return _from_us(instant).astimezone(self._zone).utcoffset()

    def _local_date(self, instant: int) -> date:
        try:
            return _from_us(instant).astimezone(self._zone).date()
        except OverflowError:
            raise ValueError(f"outside the supported years {_MIN_YEAR}-{_MAX_YEAR}") from None


def _month_number(day: date) -> int:
    return day.year * 12 + day.month - 1


def _first_of_month(number: int) -> date:
    """The first day of a month numbered by ``_month_number``, within supported years."""
    year, month = divmod(number, 12)
    # Building needs dates two days before the first and one day after the last.
    if not _MIN_YEAR <= year <= _MAX_YEAR and (year, month) != (_MAX_YEAR + 1, 0):
        raise ValueError(f"outside the supported years {_MIN_YEAR}-{_MAX_YEAR}")
    return date(year, month + 1, 1)


def _join(earlier: _Span, later: _Span) -> _Span:
    """Two spans that meet at ``earlier.hi == later.lo``, as one."""
    starts = earlier.starts + later.starts
    ends = earlier.ends + later.ends
    seam = len(earlier.starts)
    if 0 < seam < len(starts) and ends[seam - 1] == starts[seam]:
        del ends[seam - 1], starts[seam]
    return _Span(earlier.first_day, later.last_day, earlier.lo, later.hi, starts, ends)


@functools.lru_cache(maxsize=128)
def _shared_timeline(calendar: WorkingCalendar) -> _Timeline:
    return _Timeline(calendar)
