"""Terms pinned to the term: a plan edit is a new version (with who, when and what changed); an
account's subscription term keeps the version it started with, for its tickets and its money; its
next term (or renewal) takes the version then in force."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import AccountMonth
from billing.services.claims import claim_approve, claim_open
from billing.services.subscriptions import subscription_change, subscriptions_apply_due
from sla.clocks.services.misses import misses_record_due
from sla.terms.models import Plan, PlanVersion
from sla.terms.services.calendars import calendar_create
from sla.terms.services.plans import plan_update
from tests.billing.test_uptime_claims import TWO_HOURS_BEYOND, shortfall_of
from tests.factories import AccountFactory, CustomerFactory, make_ticket, set_uptime_terms

pytestmark = pytest.mark.django_db

H = 3600
PLANS = "/api/v1/plans/"
MARCH = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)
APRIL = dt.datetime(2026, 4, 2, 10, 0, tzinfo=dt.UTC)
HOSTILE = "<script>alert(1)</script>'; DROP TABLE terms_planversion; --"


def versions_url(plan) -> str:
    return f"{PLANS}{plan.pk}/versions/"


def month(api, user, account, month: str) -> dict:
    response = api(user).get(f"/api/v1/accounts/{account.pk}/months/{month}/")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def advanced(plans):
    return plans["advanced"]


@pytest.fixture
def on_term(advanced):
    """A customer whose term on Advanced (General 6 h, cap 100%) started in March, before any edit."""
    customer = CustomerFactory(account=AccountFactory(plan=advanced))
    subscription_change(
        account=customer.account,
        starts_on=dt.date(2026, 3, 1),
        plan=advanced,
        monthly_fee=Decimal("1000.00"),
        now=MARCH,
    )
    return customer


def edit(api, admin, plan, **fields):
    response = api(admin).patch(f"{PLANS}{plan.pk}/", fields, format="json")
    assert response.status_code == 200, response.content
    return response.json()


# --- the promise of a term that started before the edit --------------------------------------


def test_an_edit_leaves_the_current_terms_tickets_and_money_alone_and_the_next_term_takes_it(
    api, billing_admin, on_term, advanced
):
    account = on_term.account
    first = make_ticket(customer=on_term, now=MARCH)
    assert first.work_started_target == 6 * H

    # when an admin halves the General target, the month's cap and the termination threshold
    body = edit(
        api,
        billing_admin,
        advanced,
        response_targets={"general": H, "high": 30 * 60},
        monthly_cap_percent="50.00",
        termination_threshold=1,
    )
    assert body["version"] == first.promise["plan_version"] + 1

    # then the running term keeps its promise: tickets and the month's money
    same_term = make_ticket(customer=on_term, now=MARCH + dt.timedelta(hours=1))
    assert (same_term.work_started_target, same_term.promise["plan_version"]) == (6 * H, 1)
    march = month(api, billing_admin, account, "2026-03")
    assert (march["cap"], march["cap_percent"], march["termination_threshold"]) == ("1000.00", "100.00", 5)

    # when the account renews from April (agreed now): the renewal takes the version in force
    renewal = subscription_change(
        account=account,
        starts_on=dt.date(2026, 4, 1),
        plan=advanced,
        monthly_fee=Decimal("1000.00"),
        now=MARCH,
    )
    assert renewal.plan_version.version == 2
    still_march = make_ticket(customer=on_term, now=MARCH + dt.timedelta(hours=2))
    assert still_march.work_started_target == 6 * H  # the new term has not started yet
    april = month(api, billing_admin, account, "2026-04")
    assert (april["cap"], april["cap_percent"], april["termination_threshold"]) == ("500.00", "50.00", 1)
    assert month(api, billing_admin, account, "2026-03")["cap"] == "1000.00"

    # and once April starts its tickets are promised the edit
    subscriptions_apply_due(now=APRIL)
    account.refresh_from_db()
    assert account.plan_version.version == 2
    april_ticket = make_ticket(customer=on_term, now=APRIL)
    assert (april_ticket.work_started_target, april_ticket.promise["plan_version"]) == (H, 2)


def test_a_miss_of_the_old_term_is_priced_on_its_version_after_the_penalty_is_raised(
    api, billing_admin, on_term, advanced
):
    ticket = make_ticket(customer=on_term, priority="high", now=MARCH)
    edit(api, billing_admin, advanced, response_penalty={"basis": "per_miss", "percent": "20.00"})
    misses_record_due(now=MARCH + dt.timedelta(days=1))
    claim = claim_open(miss=ticket.misses.get(), created_by=on_term, now=MARCH + dt.timedelta(days=1))

    approved = claim_approve(claim=claim, actor=billing_admin, now=MARCH + dt.timedelta(days=2))

    assert approved.voucher.amount == Decimal("50.000")  # 5% of 1000.00 (version 1), not 20%
    row = AccountMonth.objects.get(account=on_term.account, month="2026-03")
    assert (row.plan_version.version, row.voucher_percent) == (1, Decimal("5.00"))


def test_an_account_whose_term_starts_after_the_edit_is_promised_the_edit(api, billing_admin, advanced):
    edit(api, billing_admin, advanced, response_targets={"general": 2 * H, "high": 30 * 60})
    newcomer = CustomerFactory(account=AccountFactory(plan=advanced))

    assert make_ticket(customer=newcomer, now=MARCH).work_started_target == 2 * H


def test_a_new_plan_for_the_account_pins_that_plans_current_version(api, billing_admin, on_term, plans):
    edit(api, billing_admin, plans["premium"], name="Premium Plus")
    subscription_change(
        account=on_term.account,
        starts_on=dt.date(2026, 3, 1),
        plan=plans["premium"],
        monthly_fee=Decimal("2000.00"),
        now=MARCH,
    )
    on_term.account.refresh_from_db()
    assert (on_term.account.plan_version.plan_id, on_term.account.plan_version.version) == (
        plans["premium"].pk,
        2,
    )
    assert make_ticket(customer=on_term, now=MARCH).promise["plan"] == "premium"


# --- versions: what changed, who and when ----------------------------------------------------


def test_each_edit_records_a_version_with_the_field_by_field_changes(api, billing_admin, advanced):
    edit(api, billing_admin, advanced, name="Advanced 2026", compensation="automatic")

    version = PlanVersion.objects.get(plan=advanced, version=2)
    assert version.created_by == billing_admin
    assert {c["field"]: (c["before"], c["after"]) for c in version.changes} == {
        "name": ("Advanced", "Advanced 2026"),
        "compensation": ("claim", "automatic"),
    }
    assert version.terms["targets"] == {"general": 6 * H, "high": 30 * 60}
    assert version.terms["compensation"] == "automatic"


def test_an_edit_that_changes_nothing_is_no_new_version(api, billing_admin, advanced):
    edit(api, billing_admin, advanced, name="Advanced")

    assert Plan.objects.get(pk=advanced.pk).version == 1
    assert list(PlanVersion.objects.filter(plan=advanced).values_list("version", flat=True)) == [1]


def test_a_refused_edit_writes_no_version(api, billing_admin, advanced):
    response = api(billing_admin).patch(
        f"{PLANS}{advanced.pk}/", {"name": HOSTILE * 10, "monthly_cap_percent": "1e9"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) >= {"name", "monthly_cap_percent"}
    assert Plan.objects.get(pk=advanced.pk).version == 1
    assert PlanVersion.objects.filter(plan=advanced, version__gt=1).count() == 0


def test_a_calendar_edit_is_a_new_version_of_the_plans_on_it_naming_who(api, billing_admin, advanced):
    office = calendar_create(
        name="Office",
        timezone="Europe/Berlin",
        hours=[{"weekday": 0, "start": dt.time(9), "end": dt.time(17)}],
    )
    plan_update(plan=advanced, response_calendar=office, actor=billing_admin)

    response = api(billing_admin).patch(
        f"/api/v1/calendars/{office.pk}/", {"holidays": ["2026-12-24"]}, format="json"
    )

    assert response.status_code == 200
    latest = PlanVersion.objects.filter(plan=advanced).order_by("-version").first()
    assert (latest.version, latest.created_by) == (3, billing_admin)
    assert [c["field"] for c in latest.changes] == ["response_calendar"]
    assert latest.terms["response_calendar"]["holidays"] == ["2026-12-24"]


def test_the_versions_endpoint_lists_the_change_list_newest_first(
    api, billing_admin, engineer, advanced, django_assert_max_num_queries
):
    for name in ("One", "Two", "Three"):
        edit(api, billing_admin, advanced, name=name)

    with django_assert_max_num_queries(6):
        response = api(engineer).get(versions_url(advanced))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    assert [v["version"] for v in body["results"]] == [4, 3, 2, 1]
    newest = body["results"][0]
    assert newest["created_by"] == billing_admin.username
    assert newest["changes"] == [{"field": "name", "before": "Two", "after": "Three"}]
    assert newest["terms"]["name"] == "Three" and newest["created_at"]


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("customer", 403)])
def test_the_versions_endpoint_is_for_staff(request, api, advanced, role, status):
    user = None if role == "anonymous" else request.getfixturevalue(role)

    assert api(user).get(versions_url(advanced)).status_code == status


def test_the_versions_of_an_unknown_plan_are_a_404_and_writes_are_refused(api, billing_admin):
    assert api(billing_admin).get(f"{PLANS}999999/versions/").status_code == 404
    assert api(billing_admin).get(f"{PLANS}not-a-number/versions/").status_code == 404


def test_the_versions_endpoint_takes_no_writes(api, billing_admin, advanced):
    response = api(billing_admin).post(versions_url(advanced), {"version": 9}, format="json")

    assert response.status_code == 405
    assert PlanVersion.objects.filter(plan=advanced).count() <= 1


# --- the Django admin ------------------------------------------------------------------------


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "x" * 12)


def _admin_form(plan, **changes) -> dict:
    targets = list(plan.response_targets.order_by("pk"))
    form = {
        "code": plan.code,
        "name": plan.name,
        "response_calendar": "",
        "chat_calendar": plan.chat_calendar_id or "",
        "chat_session_limit": plan.chat_session_limit or "",
        "voucher_percent": str(plan.voucher_percent),
        "monthly_cap_percent": str(plan.monthly_cap_percent),
        "termination_threshold": plan.termination_threshold,
        "claim_window_months": "" if plan.claim_window_months is None else plan.claim_window_months,
        "at_risk_percent": plan.at_risk_percent,
        "compensation": plan.compensation,
        "response_penalty": '{"basis": "per_miss", "percent": "5.00"}',
        "uptime_terms": json.dumps(plan.uptime_terms),
        "response_targets-TOTAL_FORMS": len(targets),
        "response_targets-INITIAL_FORMS": len(targets),
        "response_targets-MIN_NUM_FORMS": 0,
        "response_targets-MAX_NUM_FORMS": 1000,
        "versions-TOTAL_FORMS": 0,
        "versions-INITIAL_FORMS": 0,
        "versions-MIN_NUM_FORMS": 0,
        "versions-MAX_NUM_FORMS": 1000,
    }
    for index, target in enumerate(targets):
        form.update(
            {
                f"response_targets-{index}-id": target.pk,
                f"response_targets-{index}-plan": plan.pk,
                f"response_targets-{index}-priority": target.priority,
                f"response_targets-{index}-severity": target.severity,
                f"response_targets-{index}-seconds": target.seconds,
            }
        )
    form.update(changes)
    return form


def test_an_admin_edit_is_a_version_naming_who_and_the_plan_page_lists_the_changes(
    client, superuser, on_term, advanced
):
    client.force_login(superuser)
    url = reverse("admin:terms_plan_change", args=[advanced.pk])

    response = client.post(
        url, _admin_form(advanced, name="Advanced (admin)", **{"response_targets-0-seconds": 7200})
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    latest = PlanVersion.objects.filter(plan=advanced).order_by("-version").first()
    assert (latest.version, latest.created_by) == (2, superuser)
    assert {c["field"] for c in latest.changes} == {"name", "targets"}
    page = client.get(url).content.decode()
    assert "name: Advanced → Advanced (admin)" in page
    # the running term still keeps version 1
    assert make_ticket(customer=on_term, now=MARCH).promise["plan_version"] == 1


def test_a_months_uptime_credit_is_priced_on_the_terms_version(
    api, billing_admin, engineer, on_term, advanced
):
    # given the plan's uptime scale cut to 1% an hour after the account's term started
    set_uptime_terms(advanced, credit_tiers=[{"up_to_hours": None, "percent_per_hour": "1"}])

    shortfall = shortfall_of(on_term.account, billing_admin, engineer, TWO_HOURS_BEYOND)

    # then March is assessed on version 1's scale: two started hours at 5%
    assert shortfall.credit_percent_requested == Decimal("10")
    newcomer = AccountFactory(plan=advanced)
    assert (
        shortfall_of(
            newcomer, billing_admin, engineer, TWO_HOURS_BEYOND, name="Theirs"
        ).credit_percent_requested
        == 2
    )
