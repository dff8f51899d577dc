"""Business-calendar arithmetic: the contract's examples, DST days, bad input, properties."""

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sla.calendars import (
    OpeningHours,
    WorkingCalendar,
    add_working_time,
    is_open,
    next_opening,
    working_intervals,
    working_time_between,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
ONE_US = timedelta(microseconds=1)
HOUR = timedelta(hours=1)

PROPERTY = settings(max_examples=200, deadline=None, database=None)


def weekly(weekdays, start, end):
    return tuple(OpeningHours(day, start, end) for day in weekdays)


def business(zone="Europe/Berlin", holidays=()):
    """Monday to Friday, 09:00-17:00."""
    return WorkingCalendar(zone, weekly(range(5), time(9), time(17)), frozenset(holidays))


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def local(zone, *args):
    return datetime(*args, tzinfo=zone)


# The contract's example and the basics of a business day.


def test_60_minutes_reported_friday_1630_are_due_monday_0930():
    calendar = business()
    reported = local(BERLIN, 2024, 6, 14, 16, 30)  # a Friday

    due = add_working_time(calendar, reported, timedelta(minutes=60))

    assert due == local(BERLIN, 2024, 6, 17, 9, 30)
    assert due.tzinfo is UTC


def test_60_minutes_reported_thursday_1630_before_a_friday_holiday_are_due_monday_0930():
    calendar = business(holidays={date(2024, 6, 14)})

    due = add_working_time(calendar, local(BERLIN, 2024, 6, 13, 16, 30), timedelta(minutes=60))

    assert due == local(BERLIN, 2024, 6, 17, 9, 30)


def test_a_target_running_out_at_closing_time_is_due_at_closing_time():
    due = add_working_time(business(), local(BERLIN, 2024, 6, 13, 16), HOUR)

    assert due == local(BERLIN, 2024, 6, 13, 17)


def test_a_ticket_reported_before_opening_counts_from_opening():
    due = add_working_time(business(), local(BERLIN, 2024, 6, 10, 7), 2 * HOUR)

    assert due == local(BERLIN, 2024, 6, 10, 11)


def test_a_working_week_is_forty_hours():
    calendar = business()
    monday = local(BERLIN, 2024, 6, 10, 9)

    assert add_working_time(calendar, monday, 40 * HOUR) == local(BERLIN, 2024, 6, 14, 17)
    assert add_working_time(calendar, monday, 40 * HOUR + ONE_US) == local(BERLIN, 2024, 6, 17, 9, 0, 0, 1)
    assert add_working_time(calendar, monday, 12 * HOUR) == local(BERLIN, 2024, 6, 11, 13)


def test_zero_duration_is_the_next_opening():
    calendar = business()
    saturday = local(BERLIN, 2024, 6, 15, 12)
    tuesday_noon = local(BERLIN, 2024, 6, 11, 12)

    assert add_working_time(calendar, saturday, timedelta(0)) == local(BERLIN, 2024, 6, 17, 9)
    assert add_working_time(calendar, tuesday_noon, timedelta(0)) == tuesday_noon
    assert next_opening(calendar, saturday) == local(BERLIN, 2024, 6, 17, 9)
    assert next_opening(calendar, tuesday_noon) == tuesday_noon
    assert next_opening(calendar, local(BERLIN, 2024, 6, 11, 17)) == local(BERLIN, 2024, 6, 12, 9)


def test_opening_hours_include_their_start_and_exclude_their_end():
    calendar = business()
    nine = local(BERLIN, 2024, 6, 11, 9)
    five = local(BERLIN, 2024, 6, 11, 17)

    assert is_open(calendar, nine)
    assert not is_open(calendar, nine - ONE_US)
    assert is_open(calendar, five - ONE_US)
    assert not is_open(calendar, five)
    assert not is_open(calendar, local(BERLIN, 2024, 6, 15, 12))


def test_working_time_between_skips_nights_weekends_and_holidays():
    calendar = business(holidays={date(2024, 6, 17)})
    friday_four = local(BERLIN, 2024, 6, 14, 16)
    tuesday_ten = local(BERLIN, 2024, 6, 18, 10)

    assert working_time_between(calendar, friday_four, tuesday_ten) == 2 * HOUR
    assert working_time_between(calendar, tuesday_ten, friday_four) == timedelta(0)
    assert list(working_intervals(calendar, friday_four, tuesday_ten)) == [
        (utc(2024, 6, 14, 14), utc(2024, 6, 14, 15)),
        (utc(2024, 6, 18, 7), utc(2024, 6, 18, 8)),
    ]


def test_ten_years_of_working_time_match_a_count_of_working_days():
    holidays = {date(year, 12, 25) for year in range(2020, 2030)}
    calendar = business(holidays=holidays)
    days = (date(2020, 1, 1) + timedelta(n) for n in range((date(2030, 1, 1) - date(2020, 1, 1)).days))
    working_days = sum(1 for day in days if day.weekday() < 5 and day not in holidays)

    total = working_time_between(calendar, local(BERLIN, 2020, 1, 1), local(BERLIN, 2030, 1, 1))

    assert total == working_days * 8 * HOUR


def test_results_do_not_depend_on_the_zone_of_the_input():
    calendar = business()
    reported = local(BERLIN, 2024, 6, 14, 16, 30)

    due = add_working_time(calendar, reported, HOUR)

    assert add_working_time(calendar, reported.astimezone(NEW_YORK), HOUR) == due
    assert add_working_time(calendar, reported.astimezone(UTC), HOUR) == due


def test_distant_years_agree_with_a_fresh_calendar():
    calendar = business()
    # A holiday long past gives an equal-meaning calendar that does not share the cache.
    fresh = business(holidays={date(1950, 1, 2)})
    near = local(BERLIN, 2024, 6, 14, 16, 30)
    far = local(BERLIN, 2150, 6, 12, 16, 30)
    past = local(BERLIN, 1975, 6, 13, 16, 30)

    results = [add_working_time(calendar, when, HOUR) for when in (near, far, past, near)]

    assert results == [add_working_time(fresh, when, HOUR) for when in (near, far, past, near)]
    assert results[1] == local(BERLIN, 2150, 6, 15, 9, 30)  # 12 June 2150 is a Friday
    assert results[2] == local(BERLIN, 1975, 6, 16, 9, 30)  # 13 June 1975 is a Friday


# Overnight and overlapping shifts, holidays.


def test_an_overnight_shift_belongs_to_the_day_it_starts():
    calendar = WorkingCalendar("UTC", weekly(range(5), time(22), time(6)))

    assert is_open(calendar, utc(2024, 6, 15, 5))  # Friday's shift, on Saturday morning
    assert not is_open(calendar, utc(2024, 6, 15, 22))  # no shift starts on Saturday
    assert not is_open(calendar, utc(2024, 6, 17, 5))  # nor on Sunday
    assert is_open(calendar, utc(2024, 6, 17, 22))
    assert add_working_time(calendar, utc(2024, 6, 15, 5), 2 * HOUR) == utc(2024, 6, 17, 23)


def test_a_holiday_cancels_the_overnight_shift_starting_on_it_only():
    calendar = WorkingCalendar("UTC", weekly(range(5), time(22), time(6)), frozenset({date(2024, 6, 13)}))

    assert is_open(calendar, utc(2024, 6, 13, 5))  # Wednesday's shift runs into Thursday
    assert not is_open(calendar, utc(2024, 6, 13, 23))
    assert add_working_time(calendar, utc(2024, 6, 13, 5), 2 * HOUR) == utc(2024, 6, 14, 23)


def test_overlapping_and_touching_shifts_merge():
    calendar = WorkingCalendar(
        "UTC",
        (
            OpeningHours(0, time(9), time(13)),
            OpeningHours(0, time(12), time(17)),
            OpeningHours(0, time(17), time(18)),
        ),
    )
    monday = utc(2024, 6, 10)

    assert list(working_intervals(calendar, monday, monday + 24 * HOUR)) == [
        (utc(2024, 6, 10, 9), utc(2024, 6, 10, 18))
    ]
    assert working_time_between(calendar, monday, monday + 24 * HOUR) == 9 * HOUR


def test_whole_day_shifts_every_day_are_continuous_time():
    calendar = WorkingCalendar("Europe/Berlin", weekly(range(7), time(0), time(0)))
    start = local(BERLIN, 2024, 10, 26, 12).astimezone(UTC)

    assert add_working_time(calendar, start, 48 * HOUR) == start + 48 * HOUR
    assert list(working_intervals(calendar, start, start + 72 * HOUR)) == [(start, start + 72 * HOUR)]


def test_a_search_that_reaches_an_opening_within_five_years_succeeds():
    mondays = {date(2024, 1, 1) + timedelta(weeks=n) for n in range(52 * 4)}
    calendar = WorkingCalendar("UTC", (OpeningHours(0, time(9), time(17)),), frozenset(mondays))

    assert next_opening(calendar, utc(2024, 1, 1)) == utc(2027, 12, 27, 9)
    assert add_working_time(calendar, utc(2024, 1, 1), HOUR) == utc(2027, 12, 27, 10)


# DST: whole days and overnight shifts that straddle a clock change.

WHOLE_SUNDAY = (OpeningHours(6, time(0), time(0)),)
NIGHTS = weekly(range(7), time(22), time(6))

DST_SUNDAYS = [
    # zone, the Sunday the clocks change, its length, its first and last instant (UTC)
    ("Europe/Berlin", date(2024, 10, 27), 25, utc(2024, 10, 26, 22), utc(2024, 10, 27, 23)),
    ("Europe/Berlin", date(2024, 3, 31), 23, utc(2024, 3, 30, 23), utc(2024, 3, 31, 22)),
    ("America/New_York", date(2024, 11, 3), 25, utc(2024, 11, 3, 4), utc(2024, 11, 4, 5)),
    ("America/New_York", date(2024, 3, 10), 23, utc(2024, 3, 10, 5), utc(2024, 3, 11, 4)),
    ("Australia/Sydney", date(2024, 4, 7), 25, utc(2024, 4, 6, 13), utc(2024, 4, 7, 14)),
    ("Australia/Sydney", date(2024, 10, 6), 23, utc(2024, 10, 5, 14), utc(2024, 10, 6, 13)),
]


@pytest.mark.parametrize(("zone", "sunday", "hours", "opens", "closes"), DST_SUNDAYS)
def test_a_whole_day_shift_on_a_dst_sunday_lasts_as_long_as_that_day(zone, sunday, hours, opens, closes):
    calendar = WorkingCalendar(zone, WHOLE_SUNDAY)
    saturday_noon = datetime.combine(sunday - timedelta(1), time(12), ZoneInfo(zone))

    intervals = list(working_intervals(calendar, saturday_noon, saturday_noon + 72 * HOUR))

    assert intervals == [(opens, closes)]
    assert working_time_between(calendar, saturday_noon, saturday_noon + 72 * HOUR) == (hours * HOUR)
    due = add_working_time(calendar, saturday_noon, 24 * HOUR)
    if hours == 25:
        assert due == closes - HOUR
    else:  # the last hour falls on the following Sunday
        assert due == closes + timedelta(days=6) + HOUR


DST_NIGHTS = [
    # zone, the Saturday before the change, the shift's length, its UTC start and end
    ("Europe/Berlin", date(2024, 10, 26), 9, utc(2024, 10, 26, 20), utc(2024, 10, 27, 5)),
    ("Europe/Berlin", date(2024, 3, 30), 7, utc(2024, 3, 30, 21), utc(2024, 3, 31, 4)),
    ("America/New_York", date(2024, 11, 2), 9, utc(2024, 11, 3, 2), utc(2024, 11, 3, 11)),
    ("America/New_York", date(2024, 3, 9), 7, utc(2024, 3, 10, 3), utc(2024, 3, 10, 10)),
    ("Australia/Sydney", date(2024, 4, 6), 9, utc(2024, 4, 6, 11), utc(2024, 4, 6, 20)),
    ("Australia/Sydney", date(2024, 10, 5), 7, utc(2024, 10, 5, 12), utc(2024, 10, 5, 19)),
]


@pytest.mark.parametrize(("zone", "saturday", "hours", "opens", "closes"), DST_NIGHTS)
def test_a_night_shift_across_a_clock_change_gains_or_loses_the_hour(zone, saturday, hours, opens, closes):
    calendar = WorkingCalendar(zone, NIGHTS)
    noon = datetime.combine(saturday, time(12), ZoneInfo(zone))

    assert list(working_intervals(calendar, noon, noon + 24 * HOUR)) == [(opens, closes)]
    assert working_time_between(calendar, opens, closes) == hours * HOUR
    assert add_working_time(calendar, noon, 8 * HOUR) == (
        closes - HOUR if hours == 9 else closes + 16 * HOUR + HOUR
    )


def test_a_shift_starting_in_the_spring_gap_starts_when_the_gap_ends():
    calendar = WorkingCalendar("Europe/Berlin", (OpeningHours(6, time(2, 30), time(5)),))
    week = local(BERLIN, 2024, 3, 30)

    assert list(working_intervals(calendar, week, week + 72 * HOUR)) == [
        (utc(2024, 3, 31, 1), utc(2024, 3, 31, 3))
    ]


def test_a_shift_inside_the_spring_gap_does_not_happen_that_day():
    calendar = WorkingCalendar("America/New_York", (OpeningHours(6, time(2, 15), time(2, 45)),))
    saturday = local(NEW_YORK, 2024, 3, 9)

    assert working_time_between(calendar, saturday, saturday + 72 * HOUR) == timedelta(0)
    assert next_opening(calendar, saturday) == local(NEW_YORK, 2024, 3, 17, 2, 15)


def test_an_ambiguous_start_is_its_first_occurrence_and_an_ambiguous_end_its_second():
    starts_twice = WorkingCalendar("Europe/Berlin", (OpeningHours(6, time(2, 30), time(4)),))
    ends_twice = WorkingCalendar("Europe/Berlin", (OpeningHours(6, time(0), time(2, 30)),))
    new_york = WorkingCalendar("America/New_York", (OpeningHours(6, time(1, 30), time(3)),))
    saturday = local(BERLIN, 2024, 10, 26)

    assert list(working_intervals(starts_twice, saturday, saturday + 72 * HOUR)) == [
        (utc(2024, 10, 27, 0, 30), utc(2024, 10, 27, 3))  # 02:30 CEST to 04:00 CET
    ]
    assert list(working_intervals(ends_twice, saturday, saturday + 72 * HOUR)) == [
        (utc(2024, 10, 26, 22), utc(2024, 10, 27, 1, 30))  # 00:00 CEST to 02:30 CET
    ]
    assert working_time_between(new_york, utc(2024, 11, 2), utc(2024, 11, 5)) == 2.5 * HOUR


@pytest.mark.parametrize(
    ("zone", "friday", "monday_0930"),
    [
        ("Europe/Berlin", date(2024, 3, 29), utc(2024, 4, 1, 7, 30)),
        ("Europe/Berlin", date(2024, 10, 25), utc(2024, 10, 28, 8, 30)),
        ("America/New_York", date(2024, 3, 8), utc(2024, 3, 11, 13, 30)),
        ("America/New_York", date(2024, 11, 1), utc(2024, 11, 4, 14, 30)),
        ("Australia/Sydney", date(2024, 4, 5), utc(2024, 4, 7, 23, 30)),
        ("Australia/Sydney", date(2024, 10, 4), utc(2024, 10, 6, 22, 30)),
    ],
)
def test_business_hours_follow_the_local_clock_across_a_dst_weekend(zone, friday, monday_0930):
    reported = datetime.combine(friday, time(16, 30), ZoneInfo(zone))

    assert add_working_time(business(zone), reported, HOUR) == monday_0930


# 24x7.


def test_a_calendar_without_hours_is_24x7_and_ignores_holidays():
    calendar = WorkingCalendar("Europe/Berlin", holidays=frozenset({date(2024, 10, 27)}))
    start = local(BERLIN, 2024, 10, 26, 12)  # 24 real hours later is 11:00 local

    due = add_working_time(calendar, start, 24 * HOUR)

    assert calendar.is_24x7
    assert not business().is_24x7
    assert due == utc(2024, 10, 27, 10)
    assert due.tzinfo is UTC
    assert working_time_between(calendar, start, local(BERLIN, 2024, 10, 28)) == 37 * HOUR
    assert is_open(calendar, local(BERLIN, 2024, 10, 27, 2, 30))
    assert next_opening(calendar, start) == start
    assert list(working_intervals(calendar, start, due)) == [(start, due)]
    assert list(working_intervals(calendar, due, start)) == []


# Bad input.

NAIVE = datetime(2024, 6, 14, 16, 30)
AWARE = utc(2024, 6, 14, 16, 30)


@pytest.mark.parametrize("calendar", [business(), WorkingCalendar("UTC")], ids=["hours", "24x7"])
@pytest.mark.parametrize(
    "call",
    [
        lambda calendar: add_working_time(calendar, NAIVE, HOUR),
        lambda calendar: working_time_between(calendar, NAIVE, AWARE),
        lambda calendar: working_time_between(calendar, AWARE, NAIVE),
        lambda calendar: next_opening(calendar, NAIVE),
        lambda calendar: is_open(calendar, NAIVE),
        lambda calendar: working_intervals(calendar, AWARE, NAIVE),
    ],
    ids=["add", "between-start", "between-end", "next_opening", "is_open", "intervals"],
)
def test_naive_datetimes_are_refused(calendar, call):
    with pytest.raises(ValueError, match="aware"):
        call(calendar)


@pytest.mark.parametrize("calendar", [business(), WorkingCalendar("UTC")], ids=["hours", "24x7"])
def test_negative_durations_are_refused(calendar):
    with pytest.raises(ValueError, match="negative"):
        add_working_time(calendar, AWARE, -ONE_US)


def test_a_calendar_that_never_opens_is_refused_after_a_bounded_search():
    mondays = {date(2024, 1, 1) + timedelta(weeks=n) for n in range(52 * 12)}
    calendar = WorkingCalendar("UTC", (OpeningHours(0, time(9), time(17)),), frozenset(mondays))

    with pytest.raises(ValueError, match="5 years"):
        add_working_time(calendar, utc(2024, 1, 1), HOUR)
    with pytest.raises(ValueError, match="5 years"):
        next_opening(calendar, utc(2025, 1, 1))
    assert working_time_between(calendar, utc(2024, 1, 1), utc(2034, 1, 1)) == timedelta(0)


def test_malformed_calendars_are_refused():
    with pytest.raises(ValueError):
        OpeningHours(7, time(9), time(17))
    with pytest.raises(ValueError):
        WorkingCalendar("Mars/Olympus_Mons")


# Properties, over random calendars in zones with ordinary, midnight and half-hour changes.

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "UTC",
]
LOW, HIGH = datetime(2024, 1, 1), datetime(2026, 1, 1)


@functools.cache
def clock_changes(zone_name):
    """The instants in [LOW, HIGH) at which the zone's UTC offset changes, to the hour."""
    zone = ZoneInfo(zone_name)

    def offset(instant):
        return instant.astimezone(zone).utcoffset()

    changes = []
    day = LOW.replace(tzinfo=UTC)
    while day < HIGH.replace(tzinfo=UTC):
        if offset(day) != offset(day + timedelta(days=1)):
            changes.extend(
                day + hours * HOUR
                for hours in range(1, 25)
                if offset(day + (hours - 1) * HOUR) != offset(day + hours * HOUR)
            )
        day += timedelta(days=1)
    return changes


quarter_hours = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
shifts = st.builds(OpeningHours, st.integers(0, 6), quarter_hours, quarter_hours)
calendars = st.builds(
    WorkingCalendar,
    st.sampled_from(ZONES),
    st.lists(shifts, min_size=1, max_size=6).map(tuple),
    st.frozensets(st.dates(date(2023, 12, 1), date(2026, 2, 1)), max_size=30),
) | st.builds(
    business,
    st.sampled_from(ZONES),
    st.frozensets(st.dates(date(2023, 12, 1), date(2026, 2, 1)), max_size=30),
)
durations = st.just(timedelta(0)) | st.timedeltas(timedelta(0), timedelta(hours=60))


@st.composite
def instants(draw, zone_name):
    """Aware instants in 2024-2025, often within days of a clock change, in various zones."""
    changes = clock_changes(zone_name)
    if changes and draw(st.booleans()):
        instant = draw(st.sampled_from(changes)) + draw(st.timedeltas(-timedelta(days=3), timedelta(days=3)))
    else:
        instant = draw(st.datetimes(LOW, HIGH, timezones=st.just(UTC)))
    return instant.astimezone(draw(st.sampled_from([UTC, ZoneInfo(zone_name), NEW_YORK])))


@st.composite
def scenarios(draw, count):
    """A calendar and ``count`` instants sorted in time, mostly within weeks of each other."""
    calendar = draw(calendars)
    moments = [draw(instants(calendar.timezone))]
    for _ in range(count - 1):
        if draw(st.integers(0, 3)):
            moments.append(moments[0] + draw(st.timedeltas(-timedelta(days=30), timedelta(days=30))))
        else:
            moments.append(draw(instants(calendar.timezone)))
    return calendar, *sorted(moments)


@PROPERTY
@given(scenarios(1), durations)
def test_measuring_a_deadline_gives_the_duration_back(scenario, duration):
    calendar, start = scenario

    due = add_working_time(calendar, start, duration)

    assert due >= start
    assert working_time_between(calendar, next_opening(calendar, start), due) == duration
    assert working_time_between(calendar, start, due) == duration


@PROPERTY
@given(scenarios(2), durations)
def test_deadlines_are_monotonic_in_the_start(scenario, duration):
    calendar, earlier, later = scenario

    assert add_working_time(calendar, earlier, duration) <= add_working_time(calendar, later, duration)


@PROPERTY
@given(scenarios(1), durations, durations)
def test_deadlines_are_monotonic_in_the_target(scenario, first, second):
    calendar, start = scenario
    shorter, longer = sorted((first, second))

    assert add_working_time(calendar, start, shorter) <= add_working_time(calendar, start, longer)


@PROPERTY
@given(scenarios(1), durations)
def test_deadlines_land_in_working_time(scenario, duration):
    calendar, start = scenario

    due = add_working_time(calendar, start, duration)

    if duration:
        # Working time ran until the deadline, which may be the end of an interval.
        assert is_open(calendar, due - ONE_US)
    else:
        assert due == next_opening(calendar, start)
        assert is_open(calendar, due)


@PROPERTY
@given(scenarios(1))
def test_the_next_opening_is_open_and_nothing_works_before_it(scenario):
    calendar, start = scenario

    opening = next_opening(calendar, start)

    assert opening >= start
    assert is_open(calendar, opening)
    assert working_time_between(calendar, start, opening) == timedelta(0)
    # An aware datetime in a DST fold never equals one in another zone (PEP 495).
    assert (opening == start.astimezone(UTC)) == is_open(calendar, start)


@PROPERTY
@given(scenarios(2))
def test_working_intervals_agree_with_working_time_and_is_open(scenario):
    calendar, start, end = scenario
    end = min(end, start + timedelta(days=21))

    intervals = list(working_intervals(calendar, start, end))
    # An aware datetime in a DST fold never equals one in another zone (PEP 495).
    start, end = start.astimezone(UTC), end.astimezone(UTC)

    assert sum((high - low for low, high in intervals), timedelta(0)) == working_time_between(
        calendar, start, end
    )
    for low, high in intervals:
        assert start <= low < high <= end
        assert low.tzinfo is UTC and high.tzinfo is UTC
        assert is_open(calendar, low)
        assert is_open(calendar, high - ONE_US)
        assert high == end or not is_open(calendar, high)
        assert low == start or not is_open(calendar, low - ONE_US)
    for (_, high), (low, _) in zip(intervals, intervals[1:], strict=False):
        assert high < low  # adjacent intervals are merged
        assert not is_open(calendar, high + (low - high) / 2)


@PROPERTY
@given(scenarios(3))
def test_working_time_adds_up_over_consecutive_periods(scenario):
    calendar, first, second, third = scenario

    assert working_time_between(calendar, first, second) + working_time_between(
        calendar, second, third
    ) == working_time_between(calendar, first, third)


def opens_by_wall_clock(calendar, instant):
    """Whether the local wall clock is inside a shift; true to the contract away from DST."""
    wall = instant.astimezone(ZoneInfo(calendar.timezone)).replace(tzinfo=None)
    for shift in calendar.hours:
        for day in (wall.date(), wall.date() - timedelta(1)):
            if day.weekday() != shift.weekday or day in calendar.holidays:
                continue
            opens = datetime.combine(day, shift.start)
            closes = datetime.combine(day + timedelta(days=1 if shift.end <= shift.start else 0), shift.end)
            if opens <= wall < closes:
                return True
    return False


@PROPERTY
@given(scenarios(1))
def test_is_open_reads_the_local_wall_clock(scenario):
    calendar, instant = scenario
    zone = ZoneInfo(calendar.timezone)
    offsets = {(instant + hours * HOUR).astimezone(zone).utcoffset() for hours in (-50, 0, 50)}
    assume(len(offsets) == 1)

    assert is_open(calendar, instant) == opens_by_wall_clock(calendar, instant)


@PROPERTY
@given(st.sampled_from(ZONES).flatmap(lambda zone: st.tuples(st.just(zone), instants(zone))), durations)
def test_whole_day_shifts_every_day_match_the_24x7_fast_path(zone_and_start, duration):
    zone, start = zone_and_start
    every_day = WorkingCalendar(zone, weekly(range(7), time(0), time(0)))

    assert add_working_time(every_day, start, duration) == add_working_time(
        WorkingCalendar(zone), start, duration
    )


@PROPERTY
@given(scenarios(1), durations, st.sampled_from([-40, -2, -1, 1, 2, 40]))
def test_results_do_not_depend_on_what_was_asked_before(scenario, duration, years_away):
    calendar, start = scenario
    expected = add_working_time(calendar, start, duration)
    # Same meaning, separate cache entry: first asked about a distant time.
    fresh = WorkingCalendar(calendar.timezone, calendar.hours, calendar.holidays | {date(1900, 1, 1)})
    next_opening(fresh, start + timedelta(days=365 * years_away))

    assert add_working_time(fresh, start, duration) == expected
