"""Calendars name a country (and subdivision) whose public holidays the working-hours clocks skip."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from helpdesk.chat.selectors import chat_calendar
from sla.terms.models import Calendar, Plan, ResponseTarget
from sla.terms.services.calendars import calendar_create, calendar_update
from tests.factories import AccountFactory, CustomerFactory, make_ticket

pytestmark = pytest.mark.django_db

CALENDARS = "/api/v1/calendars/"
NY = ZoneInfo("America/New_York")
WEEKDAYS_9_TO_5 = [{"weekday": day, "start": dt.time(9), "end": dt.time(17)} for day in range(5)]


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def new_york_desk(db):
    return calendar_create(
        name="New York desk",
        timezone="America/New_York",
        hours=WEEKDAYS_9_TO_5,
        holidays_country="US",
        holidays_subdiv="NY",
    )


@pytest.fixture
def ny_customer(new_york_desk):
    plan = Plan.objects.create(code="ny-hours", name="NY hours", response_calendar=new_york_desk)
    ResponseTarget.objects.create(plan=plan, priority="general", seconds=2 * 3600)
    return CustomerFactory(account=AccountFactory(plan=plan))


def test_a_working_hours_clock_skips_christmas_2026(ny_customer):
    # Thursday 24 December, 16:00: one working hour today, Friday the 25th is a holiday, then a weekend.
    ticket = make_ticket(customer=ny_customer, now=dt.datetime(2026, 12, 24, 16, 0, tzinfo=NY))

    assert ticket.work_started_deadline == dt.datetime(2026, 12, 28, 10, 0, tzinfo=NY)


def test_a_working_hours_clock_skips_new_years_day_2027(ny_customer):
    ticket = make_ticket(customer=ny_customer, now=dt.datetime(2026, 12, 31, 16, 0, tzinfo=NY))

    assert ticket.work_started_deadline == dt.datetime(2027, 1, 4, 10, 0, tzinfo=NY)
    dates = set(ticket.promise["calendar"]["holidays"])
    assert {"2026-12-25", "2027-01-01", "2028-12-25"} <= dates


def test_without_a_country_the_same_clock_runs_through_the_holiday(new_york_desk, ny_customer):
    calendar_update(calendar=new_york_desk, holidays_country="", holidays_subdiv="")

    ticket = make_ticket(customer=ny_customer, now=dt.datetime(2026, 12, 24, 16, 0, tzinfo=NY))

    assert ticket.work_started_deadline == dt.datetime(2026, 12, 25, 10, 0, tzinfo=NY)


def test_chat_hours_skip_public_holidays_too(new_york_desk):
    plan = Plan.objects.create(code="ny-chat", name="NY chat", chat_calendar=new_york_desk)

    hours = chat_calendar(plan)

    assert hours is not None
    assert {dt.date(2026, 12, 25), dt.date(2027, 1, 1)} <= set(hours.holidays)


# --- the API --------------------------------------------------------------------------------


def _payload(**overrides) -> dict:
    payload = {
        "name": "NY desk",
        "timezone": "America/New_York",
        "hours": [{"weekday": 0, "start": "09:00", "end": "17:00"}],
        "holidays": ["2026-11-27"],
        "holidays_country": "US",
        "holidays_subdiv": "NY",
    }
    payload.update(overrides)
    return payload


def test_a_billing_admin_sets_and_reads_the_country(api, billing_admin, engineer):
    created = api(billing_admin).post(CALENDARS, _payload(), format="json")

    assert created.status_code == 201, created.json()
    body = api(engineer).get(f"{CALENDARS}{created.json()['id']}/").json()
    assert (body["holidays_country"], body["holidays_subdiv"]) == ("US", "NY")
    assert body["holidays"] == ["2026-11-27"]  # the explicit dates; public ones come from the codes

    changed = api(billing_admin).patch(f"{CALENDARS}{body['id']}/", {"holidays_subdiv": "CA"}, format="json")
    assert changed.status_code == 200 and changed.json()["holidays_subdiv"] == "CA"


@pytest.mark.parametrize(("role", "status"), [("anonymous", 401), ("customer", 403), ("engineer", 403)])
def test_others_cannot_set_a_country(request, api, role, status):
    user = None if role == "anonymous" else request.getfixturevalue(role)

    response = api(user).post(CALENDARS, _payload(), format="json")

    assert response.status_code == status
    assert not Calendar.objects.filter(name="NY desk").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"holidays_country": "XX"}, "holidays_country"),
        ({"holidays_country": "us"}, "holidays_country"),
        ({"holidays_country": "USAA"}, "holidays_country"),
        ({"holidays_country": ["US"]}, "holidays_country"),
        ({"holidays_country": "<b>"}, "holidays_country"),
        ({"holidays_subdiv": "ZZ"}, "holidays_subdiv"),
        ({"holidays_subdiv": "'; DROP TABLE x; --"}, "holidays_subdiv"),
        ({"holidays_country": "", "holidays_subdiv": "NY"}, "holidays_subdiv"),
    ],
)
def test_bad_codes_are_a_400_naming_the_field_and_write_nothing(api, billing_admin, overrides, field):
    response = api(billing_admin).post(CALENDARS, _payload(**overrides), format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Calendar.objects.exists()
