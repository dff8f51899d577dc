"""sla.pausing: exclusion periods pause a response clock; lateness is working time past the deadline."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendars import OpeningHours, WorkingCalendar, add_working_time, working_time_between
from sla.pausing import lateness_seconds, paused_clock, paused_deadline

BERLIN = ZoneInfo("Europe/Berlin")
SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
ONE_US = timedelta(microseconds=1)

PROPERTY = settings(max_examples=200, deadline=None, database=None)


def business(zone="Europe/Berlin", holidays=()):
    """Monday to Friday, 09:00-17:00."""
    return WorkingCalendar(zone, tuple(OpeningHours(day, time(9), time(17)) for day in range(5)), holidays)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def berlin(*args):
    return datetime(*args, tzinfo=BERLIN)


START = utc(2024, 6, 10, 12, 0, 0)


# A 24x7 clock.


def test_a_period_inside_a_running_clock_pushes_the_deadline_out_by_its_length():
    deadline, excused = paused_deadline(
        calendar=None, start=START, target_seconds=60, periods=[(START + 10 * SECOND, START + 30 * SECOND)]
    )

    assert deadline == START + 80 * SECOND
    assert excused == 20


@pytest.mark.parametrize(
    "period",
    [
        (START - HOUR, START),  # ends as the clock starts
        (START - HOUR, START - MINUTE),  # before it
        (START + 60 * SECOND, START + HOUR),  # begins at the deadline
        (START + 2 * MINUTE, START + HOUR),  # after it
    ],
    ids=["ends-at-start", "before", "at-deadline", "after"],
)
def test_a_period_that_does_not_overlap_the_running_clock_changes_nothing(period):
    assert paused_deadline(calendar=None, start=START, target_seconds=60, periods=[period]) == (
        START + 60 * SECOND,
        0,
    )


def test_only_the_part_of_a_period_after_the_start_counts():
    deadline, excused = paused_deadline(
        calendar=None, start=START, target_seconds=60, periods=[(START - HOUR, START + 15 * SECOND)]
    )

    assert deadline == START + 75 * SECOND
    assert excused == 15


def test_overlapping_periods_count_once():
    periods = [(START + 10 * SECOND, START + 30 * SECOND), (START + 20 * SECOND, START + 40 * SECOND)]

    assert paused_deadline(calendar=None, start=START, target_seconds=60, periods=periods) == (
        START + 90 * SECOND,
        30,
    )


def test_a_period_that_extends_the_deadline_brings_a_later_period_into_range():
    # Original deadline +60 s. The first period moves it to +90 s, which reaches the second
    # (at +70 s, after the original deadline); that one moves it to +110 s.
    periods = [(START + 70 * SECOND, START + 90 * SECOND), (START + 30 * SECOND, START + 60 * SECOND)]

    clock = paused_clock(calendar=None, start=START, target_seconds=60, periods=periods)

    assert clock.deadline == START + 110 * SECOND
    assert clock.excused_seconds == 50
    assert clock.counted == (
        (START + 30 * SECOND, START + 60 * SECOND),
        (START + 70 * SECOND, START + 90 * SECOND),
    )


def test_a_period_still_going_on_lasts_until_now():
    periods = [(START + 10 * SECOND, None)]

    deadline, excused = paused_deadline(
        calendar=None, start=START, target_seconds=60, periods=periods, now=START + 5 * MINUTE
    )

    assert deadline == START + 5 * MINUTE + 50 * SECOND
    assert excused == 290


def test_an_open_period_needs_now():
    with pytest.raises(ValueError, match="now="):
        paused_deadline(calendar=None, start=START, target_seconds=60, periods=[(START, None)])


# A stopped clock.


def test_periods_after_the_response_do_not_count():
    periods = [(START + 30 * SECOND, START + HOUR)]

    clock = paused_clock(
        calendar=None, start=START, target_seconds=60, periods=periods, stopped_at=START + 20 * SECOND
    )

    assert (clock.deadline, clock.excused_seconds) == (START + 60 * SECOND, 0)


def test_a_period_running_past_the_response_counts_up_to_it():
    periods = [(START + 50 * SECOND, START + HOUR)]

    clock = paused_clock(
        calendar=None, start=START, target_seconds=60, periods=periods, stopped_at=START + 2 * MINUTE
    )

    assert clock.deadline == START + 130 * SECOND
    assert clock.excused_seconds == 70


# A working-hours clock.


def test_on_working_hours_only_the_working_time_inside_a_period_counts():
    start = berlin(2024, 6, 10, 16)  # a Monday; 2 h are due Tuesday 10:00
    period = (berlin(2024, 6, 10, 16, 30), berlin(2024, 6, 11, 9, 30))  # 30 min + 30 min of working time

    clock = paused_clock(calendar=business(), start=start, target_seconds=7200, periods=[period])

    assert clock.deadline == berlin(2024, 6, 11, 11)
    assert clock.paused_working_seconds == 3600
    assert clock.excused_seconds == 17 * 3600


def test_a_period_over_a_closed_night_pauses_nothing():
    start = berlin(2024, 6, 10, 16)
    period = (berlin(2024, 6, 10, 17), berlin(2024, 6, 11, 9))

    clock = paused_clock(calendar=business(), start=start, target_seconds=7200, periods=[period])

    assert clock.deadline == berlin(2024, 6, 11, 10)
    assert clock.paused_working_seconds == 0
    assert clock.excused_seconds == 16 * 3600


def test_a_calendar_without_hours_is_24x7_like_none():
    period = [(START + 10 * SECOND, START + 30 * SECOND)]
    holiday = frozenset({START.date()})

    results = {
        paused_deadline(calendar=calendar, start=START, target_seconds=60, periods=period)
        for calendar in (None, WorkingCalendar("UTC"), WorkingCalendar("Asia/Tokyo", holidays=holiday))
    }

    assert results == {(START + 80 * SECOND, 20)}


# Lateness.


@pytest.mark.parametrize(
    ("responded_at", "expected"),
    [
        (START - HOUR, 0),
        (START, 0),
        (START + ONE_US, 1),
        (START + 500 * timedelta(milliseconds=1), 1),
        (START + SECOND, 1),
        (START + HOUR, 3600),
        (START + HOUR + ONE_US, 3601),
    ],
)
def test_lateness_on_24x7_is_elapsed_seconds_rounded_up(responded_at, expected):
    assert lateness_seconds(calendar=None, deadline=START, responded_at=responded_at) == expected


def test_lateness_on_working_hours_skips_nights_weekends_and_holidays():
    calendar = business(holidays={date(2024, 6, 17)})
    deadline = berlin(2024, 6, 14, 16)  # a Friday; Monday 17th is a holiday

    late = lateness_seconds(calendar=calendar, deadline=deadline, responded_at=berlin(2024, 6, 18, 10))

    assert late == 2 * 3600


def test_a_response_after_closing_time_past_a_deadline_at_closing_time_is_0_seconds_late():
    late = lateness_seconds(
        calendar=business(), deadline=berlin(2024, 6, 14, 17), responded_at=berlin(2024, 6, 15, 10)
    )

    assert late == 0


# Bad input.


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"start": datetime(2024, 6, 10, 12)}, ValueError, "start must be an aware"),
        ({"target_seconds": -1}, ValueError, "negative"),
        ({"target_seconds": 1.5}, TypeError, "whole number"),
        ({"target_seconds": True}, TypeError, "whole number"),
        ({"periods": [(START + MINUTE, START)]}, ValueError, "ends before it starts"),
        ({"periods": [(datetime(2024, 6, 10, 12), START)]}, ValueError, "period 1 starts_at"),
        ({"periods": [(START, START, START)]}, ValueError, "period 1: give"),
        ({"stopped_at": datetime(2024, 6, 10, 12)}, ValueError, "stopped_at"),
        ({"calendar": "24x7"}, TypeError, "calendar"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(kwargs, error, message):
    arguments = {"calendar": None, "start": START, "target_seconds": 60, "periods": []} | kwargs
    with pytest.raises(error, match=message):
        paused_deadline(**arguments)


# Properties.

CALENDARS = {
    "24x7": None,
    "berlin-business": business(holidays={date(2024, 6, 14), date(2024, 10, 3)}),
    "new-york-business": business("America/New_York"),
    "sydney-nights": WorkingCalendar(
        "Australia/Sydney", tuple(OpeningHours(day, time(22), time(6)) for day in range(6))
    ),
}
BASE = utc(2024, 3, 25)  # spans Europe's and Australia's clock changes within a few weeks

calendars_ = st.sampled_from(sorted(CALENDARS)).map(CALENDARS.__getitem__)
instants = st.integers(min_value=0, max_value=40 * 86_400).map(lambda s: BASE + timedelta(seconds=s))
targets = st.integers(min_value=0, max_value=3 * 86_400)
periods_ = st.lists(
    st.tuples(
        st.integers(min_value=-86_400, max_value=30 * 86_400), st.integers(min_value=0, max_value=3 * 86_400)
    ),
    max_size=6,
)


def place(start, raw):
    return [
        (start + timedelta(seconds=offset), start + timedelta(seconds=offset + length))
        for offset, length in raw
    ]


def unpaused_working_time(calendar, start, until, periods):
    """Reference: working time in [start, until) minus the working time of the union of periods in it."""
    calendar = calendar or WorkingCalendar("UTC")
    edges = sorted((max(low, start), min(high, until)) for low, high in periods)
    union = []
    for low, high in edges:
        if low >= high:
            continue
        if union and low <= union[-1][1]:
            union[-1] = (union[-1][0], max(union[-1][1], high))
        else:
            union.append((low, high))
    paused = sum((working_time_between(calendar, low, high) for low, high in union), timedelta(0))
    return working_time_between(calendar, start, until) - paused


@PROPERTY
@given(calendars_, instants, targets, periods_)
def test_the_deadline_is_the_first_instant_the_unpaused_working_time_reaches_the_target(
    calendar, start, target, raw
):
    periods = place(start, raw)

    clock = paused_clock(calendar=calendar, start=start, target_seconds=target, periods=periods)

    assert unpaused_working_time(calendar, start, clock.deadline, periods) == timedelta(seconds=target)
    if target:
        assert unpaused_working_time(calendar, start, clock.deadline - ONE_US, periods) < timedelta(
            seconds=target
        )
    calendar = calendar or WorkingCalendar("UTC")
    assert working_time_between(calendar, start, clock.deadline) - clock.paused_working == timedelta(
        seconds=target
    )
    assert clock.paused_working == sum(
        (working_time_between(calendar, low, high) for low, high in clock.counted), timedelta(0)
    )
    assert clock.paused_working <= clock.excused <= clock.deadline - start


@PROPERTY
@given(calendars_, instants, targets, periods_)
def test_pausing_never_moves_a_deadline_earlier(calendar, start, target, raw):
    deadline, _ = paused_deadline(
        calendar=calendar, start=start, target_seconds=target, periods=place(start, raw)
    )

    assert deadline >= add_working_time(calendar or WorkingCalendar("UTC"), start, timedelta(seconds=target))


@PROPERTY
@given(calendars_, instants, targets, periods_, st.randoms(use_true_random=False))
def test_the_order_of_the_periods_does_not_matter(calendar, start, target, raw, random):
    periods = place(start, raw)
    shuffled = periods[:]
    random.shuffle(shuffled)

    assert paused_deadline(calendar=calendar, start=start, target_seconds=target, periods=periods) == (
        paused_deadline(calendar=calendar, start=start, target_seconds=target, periods=shuffled)
    )


@PROPERTY
@given(calendars_, instants, targets, periods_, st.lists(st.floats(0, 1), min_size=6, max_size=6))
def test_splitting_a_period_in_two_touching_ones_changes_nothing(calendar, start, target, raw, cuts):
    periods = place(start, raw)
    split = []
    for (low, high), cut in zip(periods, cuts, strict=False):
        middle = low + (high - low) * cut
        split += [(low, middle), (middle, high)]

    assert paused_deadline(calendar=calendar, start=start, target_seconds=target, periods=periods) == (
        paused_deadline(calendar=calendar, start=start, target_seconds=target, periods=split)
    )


@PROPERTY
@given(calendars_, instants, targets, periods_, periods_)
def test_adding_periods_never_moves_the_deadline_earlier(calendar, start, target, raw, more):
    periods = place(start, raw)

    before, excused_before = paused_deadline(
        calendar=calendar, start=start, target_seconds=target, periods=periods
    )
    after, excused_after = paused_deadline(
        calendar=calendar, start=start, target_seconds=target, periods=periods + place(start, more)
    )

    assert after >= before
    assert excused_after >= excused_before


@PROPERTY
@given(calendars_, instants, targets, periods_, st.integers(min_value=-3600, max_value=5 * 86_400))
def test_a_stopped_clock_counts_the_periods_as_if_they_ended_at_the_response(
    calendar, start, target, raw, stop
):
    periods = place(start, raw)
    stopped_at = start + timedelta(seconds=stop)
    clipped = [(low, min(high, stopped_at)) for low, high in periods if low < stopped_at]

    stopped = paused_clock(
        calendar=calendar, start=start, target_seconds=target, periods=periods, stopped_at=stopped_at
    )

    assert stopped == paused_clock(calendar=calendar, start=start, target_seconds=target, periods=clipped)
    assert all(high <= stopped_at for _, high in stopped.counted)


@PROPERTY
@given(calendars_, instants, instants)
def test_lateness_is_zero_on_time_and_the_working_time_past_the_deadline_otherwise(
    calendar, deadline, responded_at
):
    late = lateness_seconds(calendar=calendar, deadline=deadline, responded_at=responded_at)

    if responded_at <= deadline:
        assert late == 0
    else:
        assert (
            late == working_time_between(calendar or WorkingCalendar("UTC"), deadline, responded_at) // SECOND
        )
