"""Monthly uptime arithmetic: minutes, merges, splits, exclusions, tiers and caps. Pure: no ORM, no clock.

Time is counted in whole minutes since the Unix epoch (UTC). An instant belongs to the
minute it falls in (floor), so an interval [a, b) of instants covers the minutes
[floor(a), floor(b)): a downtime from 10:03:40 to 10:05:10 is the two minutes 10:03 and
10:04. Probes and staff both record to the minute, so this only ever trims seconds.

A month is the calendar month of the support time zone, from local midnight on its first
day to local midnight on the next month's first day, and it holds the *real* minutes
between those two instants. Without a clock change that is days × 1,440 (a 31-day month
has 44,640, as seed 004 says); a month in which the clocks go forward holds 60 minutes
fewer (Berlin, March 2026: 44,580) and one in which they go back 60 more (October:
44,700). Downtime is real elapsed time too, so uptime stays within 0-100% and an hour of
outage is 60 minutes whatever the wall clock did.

The credit: permitted downtime = (100 - guarantee)% of the counted minutes (the month less
its excluded minutes); every *started* hour beyond it earns the percent of the monthly fee
its tier gives (tiers are marginal, like tax bands: hours 1-4 at one rate, 5-8 at another...).
The month's uptime credits together never pass the cap (seed 004: 50% of the fee); where the
policy shares the month's cap with response-time vouchers, they also stay within what those
left of it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

Interval = tuple[int, int]

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
ONE_MINUTE = dt.timedelta(minutes=1)
MINUTES_PER_HOUR = 60
HUNDRED = Decimal(100)
ZERO = Decimal(0)
PERCENT_PLACES = Decimal("0.0001")


# --- minutes ----------------------------------------------------------------------------------


def minute_of(instant: dt.datetime) -> int:
    """The minute an aware instant falls in, counted from the epoch."""
    if instant.tzinfo is None:
        raise ValueError("An instant needs its time zone.")
    return (instant - EPOCH) // ONE_MINUTE


def instant_of(minute: int) -> dt.datetime:
    """The UTC instant a minute starts at."""
    return EPOCH + minute * ONE_MINUTE


def floor_minute(instant: dt.datetime) -> dt.datetime:
    """The instant truncated to its minute (in UTC)."""
    return instant_of(minute_of(instant))


def span_of(start: dt.datetime, end: dt.datetime) -> Interval:
    return minute_of(start), minute_of(end)


def month_span(year: int, month: int, zone: str | ZoneInfo) -> Interval:
    """The minutes of a calendar month of `zone`: local midnight of the 1st to that of the next 1st."""
    zone = ZoneInfo(zone) if isinstance(zone, str) else zone
    start = dt.datetime(year, month, 1, tzinfo=zone)
    end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return minute_of(start), minute_of(end)


def month_minutes(year: int, month: int, zone: str | ZoneInfo) -> int:
    start, end = month_span(year, month, zone)
    return end - start


def day_spans(first: dt.date, days: int, zone: str | ZoneInfo) -> list[Interval]:
    """The minutes of `days` consecutive local days from `first` (23 or 25 hours on DST days)."""
    zone = ZoneInfo(zone) if isinstance(zone, str) else zone
    edges = [
        minute_of(dt.datetime.combine(first + dt.timedelta(days=n), dt.time(0), tzinfo=zone))
        for n in range(days + 1)
    ]
    return list(zip(edges, edges[1:], strict=False))


# --- sets of minutes ----------------------------------------------------------------------------


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping intervals covering the same minutes; touching ones join, empty ones go."""
    merged: list[Interval] = []
    start = end = None
    for low, high in sorted(intervals):
        if high <= low:
            continue
        if end is not None and low <= end:
            if high > end:
                end = high
        else:
            if end is not None:
                merged.append((start, end))
            start, end = low, high
    if end is not None:
        merged.append((start, end))
    return merged


def clip(intervals: Iterable[Interval], span: Interval) -> list[Interval]:
    """The parts of the intervals inside `span` (how downtime across a month boundary is split)."""
    low, high = span
    return [(max(s, low), min(e, high)) for s, e in intervals if min(e, high) > max(s, low)]


def _clip_merged(merged: list[Interval], span: Interval) -> list[Interval]:
    """`clip` for sorted, merged intervals: two binary searches and a slice."""
    low, high = span
    first = bisect_right(merged, low, key=_end)
    last = bisect_left(merged, high, key=_start)
    inside = merged[first:last]
    if inside:
        if inside[0][0] < low:
            inside[0] = (low, inside[0][1])
        if inside[-1][1] > high:
            inside[-1] = (inside[-1][0], high)
    return inside


def _start(interval: Interval) -> int:
    return interval[0]


def _end(interval: Interval) -> int:
    return interval[1]


def _subtract_merged(kept: list[Interval], cuts: list[Interval]) -> list[Interval]:
    """Both sorted and merged. Each cut replaces just the intervals it overlaps, found by binary
    search, so a few exclusions cost a few slices however long the downtime list is."""
    result = kept
    for cut_start, cut_end in cuts:
        first = bisect_right(result, cut_start, key=_end)
        last = bisect_left(result, cut_end, lo=first, key=_start)
        if first == last:
            continue
        pieces = []
        if result[first][0] < cut_start:
            pieces.append((result[first][0], cut_start))
        if result[last - 1][1] > cut_end:
            pieces.append((cut_end, result[last - 1][1]))
        result = result[:first] + pieces + result[last:]
    return result


def subtract(intervals: Iterable[Interval], removed: Iterable[Interval]) -> list[Interval]:
    """The minutes of `intervals` outside `removed`, merged. Linear after sorting."""
    return _subtract_merged(merge(intervals), merge(removed))


def total(intervals: Iterable[Interval]) -> int:
    return sum([end - start for start, end in intervals])


def split_by(intervals: Iterable[Interval], spans: Sequence[Interval]) -> list[int]:
    """Minutes of the (merged) intervals inside each of the sorted, disjoint spans (days, months)."""
    merged = merge(intervals)
    counts = []
    index = 0
    for low, high in spans:
        while index < len(merged) and merged[index][1] <= low:
            index += 1
        minutes, probe = 0, index
        while probe < len(merged) and merged[probe][0] < high:
            start, end = merged[probe]
            minutes += max(0, min(end, high) - max(start, low))
            probe += 1
        counts.append(minutes)
    return counts


# --- the month ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class MonthUptime:
    """One item's month: what counted, what was down, and how far beyond the permitted downtime."""

    month_minutes: int
    excluded_minutes: int
    counted_minutes: int
    downtime_minutes: int
    guarantee_percent: Decimal
    uptime_percent: Decimal
    permitted_minutes: Decimal
    excess_minutes: Decimal
    started_hours: int

    @property
    def below_guarantee(self) -> bool:
        return self.excess_minutes > 0

    @property
    def remaining_minutes(self) -> Decimal:
        """Downtime still permitted this month before a credit is due (0 once beyond)."""
        return max(ZERO, self.permitted_minutes - self.downtime_minutes)


def percent(value, *, field: str = "percent") -> Decimal:
    """A percentage 0-100 as Decimal; floats are refused (they have already lost a digit)."""
    if isinstance(value, float | bool) or not isinstance(value, Decimal | int | str):
        raise ValueError(f"{field}: give a decimal number, not {type(value).__name__}.")
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"{field}: {value!r} is not a number.") from exc
    if not number.is_finite() or not ZERO <= number <= HUNDRED:
        raise ValueError(f"{field}: must be between 0 and 100.")
    return number


def uptime_percent(counted: int, down: int) -> Decimal:
    """(counted - down) / counted, rounded *down* to 4 places so a breach never shows as met."""
    if counted <= 0:
        return HUNDRED.quantize(PERCENT_PLACES)
    share = Decimal(counted - down) * HUNDRED / Decimal(counted)
    return share.quantize(PERCENT_PLACES, rounding=ROUND_DOWN)


def percent_text(value: Decimal) -> str:
    """A percentage to three places, rounded down (99.8995 is not 99.900), trailing zeros kept short."""
    shown = Decimal(value).quantize(Decimal("0.001"), rounding=ROUND_DOWN)
    return f"{shown.normalize():f}" if shown == shown.to_integral_value() else f"{shown:f}".rstrip("0")


def started_hours(excess_minutes: Decimal) -> int:
    """Every hour begun beyond the permitted downtime counts whole (1 minute over is 1 hour)."""
    if excess_minutes <= 0:
        return 0
    whole, rest = divmod(excess_minutes, MINUTES_PER_HOUR)
    return int(whole) + (1 if rest > 0 else 0)


def month_uptime(
    *,
    span: Interval,
    downtime: Iterable[Interval],
    excluded: Iterable[Interval] = (),
    guarantee_percent: Decimal,
) -> MonthUptime:
    """The month of one item. `downtime` may overlap itself, the exclusions and the month's edges."""
    guarantee = percent(guarantee_percent, field="guarantee_percent")
    excluded_in_month = _clip_merged(merge(excluded), span)
    down = _subtract_merged(_clip_merged(merge(downtime), span), excluded_in_month)
    month = span[1] - span[0]
    excluded_minutes = total(excluded_in_month)
    counted = month - excluded_minutes
    down_minutes = total(down)
    permitted = (HUNDRED - guarantee) * counted / HUNDRED
    excess = max(ZERO, down_minutes - permitted)
    return MonthUptime(
        month_minutes=month,
        excluded_minutes=excluded_minutes,
        counted_minutes=counted,
        downtime_minutes=down_minutes,
        guarantee_percent=guarantee,
        uptime_percent=uptime_percent(counted, down_minutes),
        permitted_minutes=permitted,
        excess_minutes=excess,
        started_hours=started_hours(excess),
    )


def daily_uptime(
    *, days: Sequence[Interval], downtime: Iterable[Interval], excluded: Iterable[Interval] = ()
) -> list[tuple[int, int]]:
    """(downtime minutes, counted minutes) of each day span: the bars of a status page."""
    excluded = merge(excluded)
    down = subtract(downtime, excluded)
    down_per_day = split_by(down, days)
    excluded_per_day = split_by(excluded, days)
    return [
        (down_minutes, (high - low) - excluded_minutes)
        for (low, high), down_minutes, excluded_minutes in zip(
            days, down_per_day, excluded_per_day, strict=True
        )
    ]


# --- the sliding scale ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CreditTier:
    """Each started hour up to `up_to_hours` (None: every hour after) earns `percent_per_hour` of the fee."""

    up_to_hours: int | None
    percent_per_hour: Decimal


MAX_TIERS = 20


def parse_tiers(raw) -> tuple[CreditTier, ...]:
    """Tiers from settings or JSON: [{"up_to_hours": 4, "percent_per_hour": "5"}, ...]; ValueError if wrong.

    Bounds rise strictly; only the last tier may be open-ended (null).
    """
    if not isinstance(raw, list | tuple) or not raw:
        raise ValueError("Give at least one tier.")
    if len(raw) > MAX_TIERS:
        raise ValueError(f"At most {MAX_TIERS} tiers.")
    tiers: list[CreditTier] = []
    previous = 0
    for position, item in enumerate(raw, start=1):
        if isinstance(item, CreditTier):
            item = dataclasses.asdict(item)
        if not isinstance(item, dict) or set(item) - {"up_to_hours", "percent_per_hour"}:
            raise ValueError(f"Tier {position}: give up_to_hours and percent_per_hour.")
        bound = item.get("up_to_hours")
        if bound is None:
            if position != len(raw):
                raise ValueError(f"Tier {position}: only the last tier may have no upper bound.")
        elif isinstance(bound, bool) or not isinstance(bound, int) or not previous < bound <= 24 * 31:
            raise ValueError(f"Tier {position}: up_to_hours must be a whole number above {previous}.")
        else:
            previous = bound
        rate = percent(item.get("percent_per_hour"), field=f"tier {position} percent_per_hour")
        tiers.append(CreditTier(up_to_hours=bound, percent_per_hour=rate))
    return tuple(tiers)


def tiers_as_json(tiers: Iterable[CreditTier]) -> list[dict]:
    return [{"up_to_hours": t.up_to_hours, "percent_per_hour": str(t.percent_per_hour)} for t in tiers]


def credit_percent(hours: int, tiers: Sequence[CreditTier]) -> Decimal:
    """The uncapped percent of the fee `hours` started hours beyond the permitted downtime earn."""
    earned, counted = ZERO, 0
    for tier in tiers:
        if counted >= hours:
            break
        upto = hours if tier.up_to_hours is None else min(hours, tier.up_to_hours)
        if upto > counted:
            earned += tier.percent_per_hour * (upto - counted)
            counted = upto
    return earned
