"""Countdowns on a business calendar count working time only, and pause after hours."""

import datetime as dt
import zoneinfo

import pytest

from helpdesk.tickets.views.presentation import with_sla
from sla.terms.models import Plan
from sla.terms.seeds import seed_plans
from tests.factories import AccountFactory, CustomerFactory, make_ticket

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture
def business_customer(db, settings):
    settings.SUPPORT_TIME_ZONE = "Europe/Berlin"
    seed_plans()
    return CustomerFactory(account=AccountFactory(plan=Plan.objects.get(code="business")))


def test_a_friday_evening_ticket_counts_down_monday_mornings_working_time(business_customer):
    friday = dt.datetime(2026, 11, 20, 16, 30, tzinfo=BERLIN)
    ticket = make_ticket(customer=business_customer, priority="high", severity="fatal", now=friday)

    during = with_sla([ticket], friday + dt.timedelta(minutes=10))[0].countdown
    weekend = with_sla([ticket], dt.datetime(2026, 11, 21, 12, 0, tzinfo=BERLIN))[0]

    assert during == "in 50m 0s of working time"
    assert weekend.countdown == "in 30m 0s of working time (paused)"
    monday_ms = int(dt.datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN).timestamp() * 1000)
    deadline_ms = int(ticket.work_started_deadline.timestamp() * 1000)
    assert weekend.countdown_windows == f"{monday_ms}-{deadline_ms}"


def test_24x7_countdowns_stay_wall_clock(customer):
    now = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
    ticket = make_ticket(customer=customer, priority="high", now=now)

    row = with_sla([ticket], now + dt.timedelta(minutes=10))[0]

    assert row.countdown == "in 20m 0s" and row.countdown_windows == ""


def test_the_queue_hands_the_working_windows_to_the_page(business_customer, engineer, client):
    make_ticket(customer=business_customer, priority="high", severity="fatal")
    client.force_login(engineer)

    page = client.get("/queue/").content.decode()

    assert "data-windows=" in page and "of working time" in page
