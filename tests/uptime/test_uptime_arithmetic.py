"""Monthly uptime arithmetic (sla.uptime): pure, no database, no clock.

Months are the calendar months of a time zone and hold their *real* minutes: a 31-day month
has 44,640 without a clock change, 60 fewer when the clocks go forward and 60 more when they
go back. Instants count to the minute they fall in."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.uptime import measure as uptime
from sla.uptime.measure import CreditTier

UTC = "UTC"
BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
SYDNEY = "Australia/Sydney"
DEFAULT_TIERS = uptime.parse_tiers(
    [
        {"up_to_hours": 4, "percent_per_hour": "5"},
        {"up_to_hours": 8, "percent_per_hour": "7.5"},
        {"up_to_hours": None, "percent_per_hour": "10"},
    ]
)


def at(text: str) -> int:
    """The minute of an ISO instant."""
    return uptime.minute_of(dt.datetime.fromisoformat(text))


def month(year, number, zone=UTC, **kwargs):
    kwargs.setdefault("guarantee_percent", Decimal("99.9"))
    kwargs.setdefault("downtime", ())
    return uptime.month_uptime(span=uptime.month_span(year, number, zone), **kwargs)


# --- minutes in a month ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "number", "minutes"),
    [
        (2026, 2, 28 * 1440),  # 40,320
        (2024, 2, 29 * 1440),  # leap year: 41,760
        (2026, 4, 30 * 1440),  # 43,200
        (2026, 1, 31 * 1440),  # 44,640, seed 004's example
        (2026, 12, 31 * 1440),  # December runs into the next year
    ],
)
def test_a_month_has_days_times_1440_minutes_without_a_clock_change(year, number, minutes):
    assert uptime.month_minutes(year, number, UTC) == minutes
    assert uptime.month_minutes(year, number, BERLIN) == minutes  # no clock change in these months


def test_seed_004_example_a_31_day_month_holds_44640_minutes():
    assert uptime.month_minutes(2026, 1, UTC) == 44_640
    assert uptime.month_minutes(2026, 7, BERLIN) == 44_640


@pytest.mark.parametrize(
    ("zone", "year", "number", "minutes"),
    [
        (BERLIN, 2026, 3, 44_640 - 60),  # clocks forward on 29 March: 44,580 real minutes
        (BERLIN, 2026, 10, 44_640 + 60),  # clocks back on 25 October: 44,700
        (NEW_YORK, 2026, 3, 44_640 - 60),  # forward on 8 March
        (NEW_YORK, 2026, 11, 43_200 + 60),  # back on 1 November: a 30-day month of 43,260
        (SYDNEY, 2026, 4, 43_200 + 60),  # southern hemisphere: back in April
        (SYDNEY, 2026, 10, 44_640 - 60),  # forward in October
    ],
)
def test_a_dst_month_holds_its_real_minutes(zone, year, number, minutes):
    assert uptime.month_minutes(year, number, zone) == minutes


def test_a_dst_month_measures_a_whole_month_of_downtime_as_zero_uptime_not_less():
    whole = uptime.month_span(2026, 10, BERLIN)

    report = month(2026, 10, BERLIN, downtime=[whole])

    assert report.downtime_minutes == report.counted_minutes == 44_700
    assert report.uptime_percent == Decimal("0.0000")


def test_the_month_starts_at_local_midnight_of_the_support_zone():
    start, end = uptime.month_span(2026, 3, BERLIN)

    assert uptime.instant_of(start) == dt.datetime(2026, 2, 28, 23, 0, tzinfo=dt.UTC)
    assert uptime.instant_of(end) == dt.datetime(2026, 3, 31, 22, 0, tzinfo=dt.UTC)


# --- to the minute ----------------------------------------------------------------------------------


def test_an_instant_counts_to_the_minute_it_falls_in():
    start = dt.datetime(2026, 3, 10, 10, 3, 40, tzinfo=dt.UTC)
    end = dt.datetime(2026, 3, 10, 10, 5, 10, tzinfo=dt.UTC)

    assert uptime.span_of(start, end) == (at("2026-03-10T10:03:00+00:00"), at("2026-03-10T10:05:00+00:00"))
    assert uptime.total([uptime.span_of(start, end)]) == 2
    assert uptime.floor_minute(start) == dt.datetime(2026, 3, 10, 10, 3, tzinfo=dt.UTC)


def test_an_instant_without_a_zone_is_refused():
    with pytest.raises(ValueError):
        uptime.minute_of(dt.datetime(2026, 3, 10, 10, 0))


def test_one_minute_beyond_the_permitted_downtime_is_a_started_hour():
    # 31 days at 99.9%: 44.64 minutes permitted.
    met = month(2026, 1, downtime=[(at("2026-01-05T10:00+00:00"), at("2026-01-05T10:44+00:00"))])
    missed = month(2026, 1, downtime=[(at("2026-01-05T10:00+00:00"), at("2026-01-05T10:45+00:00"))])

    assert met.permitted_minutes == Decimal("44.64")
    assert not met.below_guarantee and met.started_hours == 0
    assert met.uptime_percent == Decimal("99.9014")
    assert missed.below_guarantee and missed.started_hours == 1
    assert missed.excess_minutes == Decimal("0.36")
    assert missed.uptime_percent == Decimal("99.8991")  # rounded down: a breach never shows as met


# --- merges, splits and exclusions -----------------------------------------------------------------------


def test_overlapping_and_touching_records_are_merged():
    records = [
        (at("2026-03-10T10:00+00:00"), at("2026-03-10T10:30+00:00")),
        (at("2026-03-10T10:15+00:00"), at("2026-03-10T10:45+00:00")),  # overlaps the first
        (at("2026-03-10T10:45+00:00"), at("2026-03-10T11:00+00:00")),  # touches the second
        (at("2026-03-10T10:20+00:00"), at("2026-03-10T10:25+00:00")),  # inside the first
    ]

    assert uptime.merge(records) == [(at("2026-03-10T10:00+00:00"), at("2026-03-10T11:00+00:00"))]
    assert month(2026, 3, downtime=records).downtime_minutes == 60


def test_downtime_across_a_month_boundary_is_split_between_the_months():
    record = (at("2026-01-31T23:30+00:00"), at("2026-02-01T00:45+00:00"))

    assert month(2026, 1, downtime=[record]).downtime_minutes == 30
    assert month(2026, 2, downtime=[record]).downtime_minutes == 45
    months = [uptime.month_span(2026, 1, UTC), uptime.month_span(2026, 2, UTC)]
    assert uptime.split_by([record], months) == [30, 45]


def test_the_boundary_is_the_support_zones_midnight():
    # 22:30-23:30 UTC on 28 February is 23:30-00:30 in Berlin: half in February, half in March.
    record = (at("2026-02-28T22:30+00:00"), at("2026-02-28T23:30+00:00"))

    assert month(2026, 2, BERLIN, downtime=[record]).downtime_minutes == 30
    assert month(2026, 3, BERLIN, downtime=[record]).downtime_minutes == 30
    assert month(2026, 2, UTC, downtime=[record]).downtime_minutes == 60


def test_downtime_inside_maintenance_is_excluded_and_the_window_leaves_the_month():
    down = [(at("2026-03-10T10:00+00:00"), at("2026-03-10T11:00+00:00"))]
    maintenance = [(at("2026-03-10T10:30+00:00"), at("2026-03-10T12:00+00:00"))]

    report = month(2026, 3, downtime=down, excluded=maintenance)

    assert report.downtime_minutes == 30
    assert report.excluded_minutes == 90
    assert report.counted_minutes == 44_640 - 90
    assert report.permitted_minutes == Decimal("44.55")


def test_overlapping_exclusions_count_once_and_only_inside_the_month():
    excluded = [
        (at("2026-02-28T23:00+00:00"), at("2026-03-01T01:00+00:00")),  # an hour of it in March
        (at("2026-03-01T00:30+00:00"), at("2026-03-01T02:00+00:00")),  # overlaps it
    ]

    assert month(2026, 3, excluded=excluded).excluded_minutes == 120


def test_a_month_wholly_excluded_is_100_percent_up_with_nothing_permitted():
    report = month(2026, 3, excluded=[uptime.month_span(2026, 3, UTC)])

    assert report.counted_minutes == 0
    assert report.uptime_percent == Decimal("100.0000")
    assert not report.below_guarantee


def test_subtract_cuts_holes_and_keeps_the_rest():
    assert uptime.subtract([(0, 100)], [(10, 20), (30, 40), (90, 200)]) == [(0, 10), (20, 30), (40, 90)]
    assert uptime.subtract([(0, 10), (20, 30)], [(5, 25)]) == [(0, 5), (25, 30)]
    assert uptime.subtract([(0, 10)], []) == [(0, 10)]


def test_daily_bars_have_23_and_25_hour_days_where_the_clock_changes():
    days = uptime.day_spans(dt.date(2026, 3, 28), 3, BERLIN)

    assert [high - low for low, high in days] == [1440, 1380, 1440]
    down = [(days[1][0] + 60, days[1][0] + 120)]
    assert uptime.daily_uptime(days=days, downtime=down) == [(0, 1440), (60, 1380), (0, 1440)]


# --- the sliding scale and the caps ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "percent"),
    [
        (0, "0"),
        (1, "5"),
        (4, "20"),
        (5, "27.5"),
        (8, "50"),
        (9, "60"),
        (20, "170"),
    ],
)
def test_each_started_hour_earns_its_tiers_rate(hours, percent):
    assert uptime.credit_percent(hours, DEFAULT_TIERS) == Decimal(percent)


def test_started_hours_round_up():
    assert uptime.started_hours(Decimal("0")) == 0
    assert uptime.started_hours(Decimal("0.01")) == 1
    assert uptime.started_hours(Decimal("60")) == 1
    assert uptime.started_hours(Decimal("60.5")) == 2


@pytest.mark.parametrize(
    "raw",
    [
        [],
        "5% per hour",
        [{"up_to_hours": 4, "percent_per_hour": 5.5}],  # a float
        [{"up_to_hours": None, "percent_per_hour": "5"}, {"up_to_hours": 8, "percent_per_hour": "5"}],
        [{"up_to_hours": 4, "percent_per_hour": "5"}, {"up_to_hours": 4, "percent_per_hour": "5"}],
        [{"up_to_hours": 0, "percent_per_hour": "5"}],
        [{"up_to_hours": 4, "percent_per_hour": "101"}],
        [{"up_to_hours": 4, "percent_per_hour": "-1"}],
        [{"up_to_hours": 4, "percent_per_hour": "NaN"}],
        [{"up_to_hours": True, "percent_per_hour": "5"}],
        [{"up_to_hours": 4, "percent_per_hour": "5", "extra": 1}],
    ],
)
def test_malformed_tiers_are_refused(raw):
    with pytest.raises(ValueError):
        uptime.parse_tiers(raw)


def test_tiers_round_trip_through_json():
    assert uptime.parse_tiers(uptime.tiers_as_json(DEFAULT_TIERS)) == DEFAULT_TIERS
    assert DEFAULT_TIERS[0] == CreditTier(up_to_hours=4, percent_per_hour=Decimal("5"))


# --- properties -----------------------------------------------------------------------------------------

MARCH = uptime.month_span(2026, 3, UTC)
interval = st.tuples(st.integers(MARCH[0] - 2000, MARCH[1] + 2000), st.integers(0, 5000)).map(
    lambda pair: (pair[0], pair[0] + pair[1])
)
intervals = st.lists(interval, max_size=12)
guarantees = st.decimals(min_value=Decimal("90"), max_value=Decimal("100"), places=3)


@settings(max_examples=200, deadline=None)
@given(down=intervals, excluded=intervals, guarantee=guarantees)
def test_uptime_is_between_0_and_100_and_the_minutes_add_up(down, excluded, guarantee):
    report = uptime.month_uptime(span=MARCH, downtime=down, excluded=excluded, guarantee_percent=guarantee)

    assert Decimal(0) <= report.uptime_percent <= Decimal(100)
    assert 0 <= report.downtime_minutes <= report.counted_minutes
    assert report.counted_minutes + report.excluded_minutes == report.month_minutes == 44_640
    # Rounding the percentage down never hides a breach nor invents one.
    assert report.below_guarantee == (report.counted_minutes > 0 and report.uptime_percent < guarantee)


@settings(max_examples=200, deadline=None)
@given(records=intervals)
def test_merging_is_idempotent_and_ignores_order(records):
    merged = uptime.merge(records)

    assert uptime.merge(merged) == merged
    assert uptime.merge(reversed(records)) == merged
    assert all(a < b for a, b in merged)
    assert all(merged[i][1] < merged[i + 1][0] for i in range(len(merged) - 1))


@settings(max_examples=200, deadline=None)
@given(records=intervals, cuts=intervals)
def test_subtracting_keeps_exactly_the_minutes_outside_the_cuts(records, cuts):
    kept = uptime.subtract(records, cuts)
    covered = {m for a, b in records for m in range(a, b)}
    cut = {m for a, b in cuts for m in range(a, b)}

    assert {m for a, b in kept for m in range(a, b)} == covered - cut


@settings(max_examples=200, deadline=None)
@given(records=intervals)
def test_splitting_at_month_boundaries_loses_and_doubles_nothing(records):
    months = [uptime.month_span(2026, 2, UTC), MARCH, uptime.month_span(2026, 4, UTC)]
    inside = uptime.clip(records, (months[0][0], months[-1][1]))

    assert sum(uptime.split_by(records, months)) == uptime.total(uptime.merge(inside))


minor_units = st.integers(min_value=-100_000, max_value=10**11)
