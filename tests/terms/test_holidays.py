"""sla.calendars.public_holidays: a country's (or subdivision's) holidays from the holidays package."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.calendars import (
    OpeningHours,
    WorkingCalendar,
    add_working_time,
    check_holiday_codes,
    public_holidays,
    valid_holiday_codes,
)

NEW_YORK = ZoneInfo("America/New_York")
TWO_HOURS = timedelta(hours=2)


def new_york_business(holidays):
    """Weekdays 09:00-17:00 in New York."""
    return WorkingCalendar(
        "America/New_York", tuple(OpeningHours(day, time(9), time(17)) for day in range(5)), holidays
    )


def new_york(*args):
    return datetime(*args, tzinfo=NEW_YORK)


def test_new_york_keeps_christmas_and_new_years_day():
    days = public_holidays("US", "NY", [2026, 2027])

    assert {date(2026, 12, 25), date(2027, 1, 1)} <= days
    assert date(2026, 12, 24) not in days


def test_a_subdivision_adds_its_own_holidays_to_the_countrys():
    lincolns_birthday = date(2026, 2, 12)  # a New York holiday, not a federal one

    assert lincolns_birthday in public_holidays("US", "NY", [2026])
    assert lincolns_birthday not in public_holidays("US", None, [2026])
    assert public_holidays("US", None, [2026]) <= public_holidays("US", "NY", [2026])
    assert public_holidays("US", "", [2026]) == public_holidays("US", None, [2026])


def test_observed_days_are_included():
    # Christmas 2027 is a Saturday, observed on Friday the 24th.
    assert date(2027, 12, 24) in public_holidays("US", None, [2027])


def test_only_the_years_asked_for_are_given():
    days = public_holidays("US", "NY", iter([2027, 2027]))

    assert {day.year for day in days} == {2027}
    assert public_holidays("US", "NY", []) == frozenset()


def test_a_clock_started_on_christmas_eve_skips_christmas_and_the_weekend():
    assert date(2026, 12, 24).weekday() == 3  # Thursday; the 25th is a Friday
    calendar = new_york_business(public_holidays("US", "NY", [2026, 2027]))

    due = add_working_time(calendar, new_york(2026, 12, 24, 16), TWO_HOURS)

    assert due == new_york(2026, 12, 28, 10)


def test_a_clock_over_new_year_skips_new_years_day():
    assert date(2027, 1, 1).weekday() == 4  # Friday
    calendar = new_york_business(public_holidays("US", "NY", [2026, 2027]))

    due = add_working_time(calendar, new_york(2026, 12, 31, 16), TWO_HOURS)

    assert due == new_york(2027, 1, 4, 10)


def test_public_and_explicit_holidays_work_together():
    explicit = {date(2026, 12, 28)}  # a company day off after Christmas
    calendar = new_york_business(public_holidays("US", "NY", [2026]) | explicit)

    due = add_working_time(calendar, new_york(2026, 12, 24, 16), TWO_HOURS)

    assert due == new_york(2026, 12, 29, 10)


def test_the_valid_codes_are_the_packages_countries_with_their_subdivisions():
    codes = valid_holiday_codes()

    assert "NY" in codes["US"]
    assert "ENG" in codes["GB"]
    assert "XX" not in codes
    check_holiday_codes("US", "NY")
    check_holiday_codes("DE", None)


@pytest.mark.parametrize(
    ("country", "subdiv", "message"),
    [
        ("XX", None, "unknown holidays country code 'XX'"),
        ("us", None, "unknown holidays country code 'us'"),
        ("", None, "country code"),
        (None, None, "country code"),
        ("US", "ZZ", "unknown holidays subdivision code 'ZZ' for US"),
        ("US", "ny", "subdivision code"),
        ("US", "New York", "subdivision code"),
        ("GB", "NY", "subdivision code 'NY' for GB"),
    ],
)
def test_unknown_codes_are_refused(country, subdiv, message):
    with pytest.raises(ValueError, match=message):
        public_holidays(country, subdiv, [2026])
    with pytest.raises(ValueError, match=message):
        check_holiday_codes(country, subdiv)


@pytest.mark.parametrize("year", [0, 10_000, "2026", 2026.0, True])
def test_years_must_be_whole_supported_years(year):
    with pytest.raises(ValueError, match="years"):
        public_holidays("US", "NY", [year])
