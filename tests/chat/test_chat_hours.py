"""Chat hours: the plan's chat calendar, in the support time zone, by sla.calendars' arithmetic.

Seed 000: Standard and Advanced chat on weekdays 08:00–18:00, Premium every day 08:00–22:00.
Every case passes an explicit `now=`.
"""

import datetime as dt

import pytest

from helpdesk.chat.models import ChatSession
from helpdesk.chat.selectors import chat_hours, plan_with_chat_calendar
from helpdesk.chat.services.chats import ChatConflict
from sla.terms.models import Calendar, Holiday, Plan
from sla.terms.seeds import seed_plans
from tests.chat.test_chat_fixtures import request_chat
from tests.factories import AccountFactory, CustomerFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    """An instant written in UTC: '2026-03-04 10:00'."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def support_zone(settings):
    """Seed the plans with the support team in `zone` (the chat calendars take the setting's zone)."""

    def seed(zone: str = "UTC") -> dict[str, Plan]:
        settings.SUPPORT_TIME_ZONE = zone
        seed_plans()
        return {plan.code: plan_with_chat_calendar(plan.pk) for plan in Plan.objects.all()}

    return seed


def hours(plan: Plan, now: dt.datetime):
    return chat_hours(plan_with_chat_calendar(plan.pk), now=now)


# --- inside and outside ---------------------------------------------------------------------


def test_inside_weekday_hours_chat_is_open_until_closing_time(support_zone):
    plans = support_zone()
    wednesday_morning = at("2026-03-04 10:00")

    result = hours(plans["advanced"], wednesday_morning)

    assert result.offered and result.open_now
    assert result.opens_at is None
    assert result.closes_at == at("2026-03-04 18:00")


def test_outside_hours_says_when_chat_opens_next(support_zone):
    plans = support_zone()
    wednesday_evening = at("2026-03-04 19:30")

    result = hours(plans["standard"], wednesday_evening)

    assert result.offered and not result.open_now
    assert result.opens_at == at("2026-03-05 08:00")


def test_friday_evening_opens_on_monday_morning(support_zone):
    plans = support_zone()

    result = hours(plans["advanced"], at("2026-03-06 18:00"))

    assert not result.open_now
    assert result.opens_at == at("2026-03-09 08:00")


@pytest.mark.parametrize(
    "instant, open_now",
    [
        ("2026-03-04 07:59:59.999999", False),
        ("2026-03-04 08:00:00", True),  # the opening edge is inside
        ("2026-03-04 17:59:59.999999", True),
        ("2026-03-04 18:00:00", False),  # the closing edge is outside
    ],
)
def test_both_edges(support_zone, instant, open_now):
    plans = support_zone()

    result = hours(plans["standard"], at(instant))

    assert result.open_now is open_now
    if not open_now:
        expected = "2026-03-04 08:00" if instant.startswith("2026-03-04 07") else "2026-03-05 08:00"
        assert result.opens_at == at(expected)


# --- the support time zone and its DST changes ------------------------------------------------


def test_hours_are_in_the_support_time_zone(support_zone):
    plans = support_zone("America/New_York")  # EST, UTC-5 in early March

    assert not hours(plans["advanced"], at("2026-03-04 12:59")).open_now  # 07:59 in New York
    assert hours(plans["advanced"], at("2026-03-04 13:00")).open_now  # 08:00 in New York
    closed = hours(plans["advanced"], at("2026-03-04 23:00"))  # 18:00 in New York
    assert not closed.open_now
    assert closed.opens_at == at("2026-03-05 13:00")


def test_spring_forward_day_moves_the_opening_an_hour_earlier_in_utc(support_zone):
    # Berlin moves from CET (UTC+1) to CEST (UTC+2) at 02:00 on Sunday 29 March 2026.
    plans = support_zone("Europe/Berlin")
    premium = plans["premium"]

    saturday = hours(premium, at("2026-03-28 06:30"))  # 07:30 CET: not open yet
    assert not saturday.open_now
    assert saturday.opens_at == at("2026-03-28 07:00")  # 08:00 CET

    assert not hours(premium, at("2026-03-29 05:59:59")).open_now  # 07:59:59 CEST
    sunday = hours(premium, at("2026-03-29 06:00"))  # 08:00 CEST: open, an hour earlier in UTC
    assert sunday.open_now
    assert sunday.closes_at == at("2026-03-29 20:00")  # 22:00 CEST
    assert not hours(premium, at("2026-03-29 20:00")).open_now


def test_fall_back_day_moves_the_opening_an_hour_later_in_utc(support_zone):
    # Berlin moves from CEST back to CET at 03:00 on Sunday 25 October 2026.
    plans = support_zone("Europe/Berlin")
    premium = plans["premium"]

    before = hours(premium, at("2026-10-25 06:30"))  # 07:30 CET
    assert not before.open_now
    assert before.opens_at == at("2026-10-25 07:00")
    assert hours(premium, at("2026-10-25 20:59:59")).open_now  # 21:59:59 CET
    after = hours(premium, at("2026-10-25 21:00"))  # 22:00 CET
    assert not after.open_now
    assert after.opens_at == at("2026-10-26 07:00")


# --- plans ------------------------------------------------------------------------------------


@pytest.mark.parametrize("instant", ["2026-03-07 08:00", "2026-03-07 13:00", "2026-03-08 21:59:59"])
def test_premium_chats_at_weekends_when_standard_and_advanced_do_not(support_zone, instant):
    plans = support_zone()

    assert hours(plans["premium"], at(instant)).open_now
    for code in ("standard", "advanced"):
        closed = hours(plans[code], at(instant))
        assert not closed.open_now
        assert closed.opens_at == at("2026-03-09 08:00")


def test_premium_on_a_weekend_night_opens_the_next_morning(support_zone):
    plans = support_zone()

    result = hours(plans["premium"], at("2026-03-07 22:00"))

    assert not result.open_now
    assert result.opens_at == at("2026-03-08 08:00")


def test_a_plan_without_a_chat_calendar_has_no_live_chat(support_zone):
    plans = support_zone()

    result = hours(plans["business"], at("2026-03-04 10:00"))

    assert not result.offered and not result.open_now


def test_a_chat_calendar_without_hours_is_open_around_the_clock(support_zone):
    plans = support_zone()
    always = Calendar.objects.create(name="Always", timezone="UTC")
    Plan.objects.filter(pk=plans["standard"].pk).update(chat_calendar=always)

    result = hours(plans["standard"], at("2026-03-08 03:00"))

    assert result.open_now and result.closes_at is None


def test_a_holiday_on_the_chat_calendar_closes_chat_that_day(support_zone):
    plans = support_zone()
    Holiday.objects.create(calendar=plans["advanced"].chat_calendar, date=dt.date(2026, 3, 4))

    result = hours(plans["advanced"], at("2026-03-04 10:00"))

    assert not result.open_now
    assert result.opens_at == at("2026-03-05 08:00")


# --- asking outside hours -----------------------------------------------------------------------


def test_asking_outside_hours_is_refused_with_the_next_opening_and_writes_nothing(support_zone):
    plans = support_zone()
    customer = CustomerFactory(account=AccountFactory(plan=plans["advanced"]))

    with pytest.raises(ChatConflict) as refused:
        request_chat(customer, now=at("2026-03-07 11:00"))

    assert refused.value.code == "chat_closed"
    assert refused.value.extra["opens_at"] == "2026-03-09T08:00:00+00:00"
    assert "opens" in refused.value.message
    assert not ChatSession.objects.exists()


def test_asking_on_a_plan_without_chat_is_refused(support_zone):
    plans = support_zone()
    customer = CustomerFactory(account=AccountFactory(plan=plans["business"]))

    with pytest.raises(ChatConflict) as refused:
        request_chat(customer, now=at("2026-03-04 10:00"))

    assert refused.value.code == "no_live_chat"
    assert not ChatSession.objects.exists()


def test_asking_inside_hours_joins_the_queue(support_zone):
    plans = support_zone()
    customer = CustomerFactory(account=AccountFactory(plan=plans["premium"]))

    session = request_chat(customer, now=at("2026-03-07 11:00"))

    assert session.status == "queued"
    assert session.session_limit is None  # Premium: unlimited
