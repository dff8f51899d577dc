"""Both seed contracts as configuration: 24x7 plans and the business-hours severity policy."""

import datetime as dt
import zoneinfo

import pytest

from helpdesk.tickets.models import Ticket
from sla.terms.models import Plan
from sla.terms.policies import plan_snapshot, promise_for
from sla.terms.seeds import seed_plans
from sla.terms.services.calendars import calendar_update
from tests.factories import AccountFactory, CustomerFactory, MonitoredItemFactory, make_ticket

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture
def business_customer(db, settings):
    settings.SUPPORT_TIME_ZONE = "Europe/Berlin"
    seed_plans()
    plan = Plan.objects.get(code="business")
    return CustomerFactory(account=AccountFactory(plan=plan))


def test_seed_plans_twice_changes_nothing(db):
    seed_plans()
    before = {p.code: (p.version, p.response_targets.count()) for p in Plan.objects.all()}
    seed_plans()
    assert {p.code: (p.version, p.response_targets.count()) for p in Plan.objects.all()} == before
    assert set(before) == {"standard", "advanced", "premium", "business"}


def test_the_business_policy_is_seed_004_as_configuration(business_customer):
    plan = business_customer.account.plan
    assert plan.uses_severity and plan.monthly_cap_percent == 50
    assert plan.response_calendar.timezone == "Europe/Berlin"
    assert plan.response_calendar.hours.count() == 5


def test_a_60_minute_target_reported_late_in_the_day_is_due_the_next_working_day(business_customer):
    friday_evening = dt.datetime(2026, 11, 20, 16, 30, tzinfo=BERLIN)

    ticket = make_ticket(customer=business_customer, priority="high", severity="fatal", now=friday_evening)

    assert ticket.work_started_target == 3600
    assert ticket.work_started_deadline == dt.datetime(2026, 11, 23, 9, 30, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("level", "priority", "severity", "hours"),
    [
        ("critical", "general", "fatal", 1),
        ("critical", "general", "minor", 4),
        ("standard", "general", "severe", 4),
        ("standard", "high", "fatal", 2),
        (None, "general", "severe", 2),  # no item: the plan's default level ("high")
        (None, "high", "minor", 8),
        ("critical", "general", "", 8),  # no severity: the priority's own target
        (None, "high", "", 1),
    ],
)
def test_targets_are_keyed_by_the_item_level_and_severity(
    business_customer, level, priority, severity, hours
):
    monday_nine = dt.datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)
    item = None
    if level:
        item = MonitoredItemFactory(account=business_customer.account, level=level)
    ticket = make_ticket(
        customer=business_customer, priority=priority, severity=severity, item=item, now=monday_nine
    )
    assert ticket.work_started_target == hours * 3600
    assert ticket.promise.get("item_level") == level


def test_seed_004_levels_all_guarantee_the_contracts_99_9_percent(business_customer):
    terms = business_customer.account.plan.uptime_terms

    assert set(terms["levels"].values()) == {"99.90"}
    assert terms["default_level"] in terms["levels"]


def test_seed_004_marks_every_number_it_leaves_out_as_a_default_to_agree(business_customer):
    plan = business_customer.account.plan
    description = plan.description

    assert "DEFAULTS TO AGREE WITH THE CLIENT" in description
    for key, seconds in plan.item_targets.items():
        level, severity = key.split(":")
        assert level in description and f"{severity} {seconds // 3600} h" in description
    for tier in plan.response_penalty["tiers"] + plan.uptime_terms["credit_tiers"]:
        assert f"{tier['percent_per_hour']}% per started hour" in description
    assert "09:00–17:00" in description and "99.9%" in description


def test_seed_plans_twice_keeps_the_item_targets_and_description(db):
    seed_plans()
    first = Plan.objects.get(code="business")
    seed_plans()
    again = Plan.objects.get(code="business")

    assert (again.version, again.item_targets, again.description, again.uptime_terms) == (
        first.version,
        first.item_targets,
        first.description,
        first.uptime_terms,
    )
    assert len(again.item_targets) == 3 * 4


def test_a_24x7_deadline_counts_real_time_across_a_dst_change(customer):
    # 01:30 New York on the night clocks go back: 3 h later is 03:30 UTC-5, not 04:30.
    new_york = zoneinfo.ZoneInfo("America/New_York")
    start = dt.datetime(2026, 11, 1, 1, 30, tzinfo=new_york)
    snapshot = plan_snapshot(customer.account.plan)

    promise = promise_for(snapshot, priority="general", start=start)

    assert promise.deadline == start.astimezone(dt.UTC) + dt.timedelta(hours=6)


def test_a_calendar_edit_keeps_old_tickets_and_the_current_term_on_their_stored_calendar(business_customer):
    monday_nine = dt.datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)
    ticket = make_ticket(customer=business_customer, priority="high", severity="fatal", now=monday_nine)
    calendar = business_customer.account.plan.response_calendar
    hours = [{"weekday": h.weekday, "start": dt.time(12), "end": h.end} for h in calendar.hours.all()]
    calendar_update(calendar=calendar, hours=hours)

    again = Ticket.objects.get(pk=ticket.pk)
    fresh = make_ticket(customer=business_customer, priority="high", severity="fatal", now=monday_nine)
    newcomer = CustomerFactory(account=AccountFactory(plan=business_customer.account.plan))
    next_term = make_ticket(customer=newcomer, priority="high", severity="fatal", now=monday_nine)

    assert again.work_started_deadline == dt.datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
    assert again.promise["calendar"]["hours"][0]["start"] == "09:00"
    # the account's term keeps the version it started with; a term starting after the edit takes it
    assert fresh.work_started_deadline == dt.datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
    assert next_term.work_started_deadline == dt.datetime(2026, 11, 23, 13, 0, tzinfo=BERLIN)
