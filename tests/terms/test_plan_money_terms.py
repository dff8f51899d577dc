"""A plan's money terms as data: compensation, the response penalty scale, uptime terms, nullable limits."""

import datetime as dt
from decimal import Decimal

import pytest

from sla.clocks.services.exclusions import exclusion_create
from sla.terms.models import Plan
from sla.terms.seeds import seed_plans
from sla.uptime import selectors as uptime_selectors
from sla.uptime.services.downtime import downtime_record
from sla.uptime.services.items import item_create
from tests.factories import AccountFactory, BillingAdminFactory, EngineerFactory

PLANS = "/api/v1/plans/"
H = 3600
HOURS_LATE = {
    "basis": "hours_late",
    "tiers": [
        {"up_to_hours": 4, "percent_per_hour": "2.50"},
        {"up_to_hours": None, "percent_per_hour": "5.00"},
    ],
}


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


def _user(request, role):
    return None if role == "anonymous" else request.getfixturevalue(role)


def _terms(plan: Plan) -> tuple:
    plan.refresh_from_db()
    return (
        plan.compensation,
        plan.response_penalty,
        plan.uptime_terms,
        plan.voucher_percent,
        plan.claim_window_months,
        plan.termination_threshold,
        plan.version,
    )


def _uptime_terms(**changes) -> dict:
    return {
        "levels": {"gold": "99.99", "silver": "99.9"},
        "default_level": "silver",
        "credit_tiers": [{"up_to_hours": None, "percent_per_hour": "10"}],
        "cap_percent": "25",
        "shares_voucher_cap": True,
        "counts_toward_termination": False,
        "excluded_kinds": ["scheduled_maintenance"],
        **changes,
    }


# --- the seeded contracts ---------------------------------------------------------------------


def test_seed_000_plans_are_claimed_without_a_deadline_at_5_percent_a_miss(db):
    seed_plans()

    for code in ("standard", "advanced", "premium"):
        plan = Plan.objects.get(code=code)
        assert plan.compensation == "claim"
        assert plan.response_penalty == {"basis": "per_miss", "percent": "5.00"}
        assert plan.voucher_percent == Decimal("5.00")
        assert plan.monthly_cap_percent == Decimal("100.00")
        assert plan.claim_window_months is None
        assert plan.termination_threshold == 5


def test_seed_004_is_automatic_on_a_sliding_scale_capped_at_half_the_fee(db):
    seed_plans()

    plan = Plan.objects.get(uses_severity=True)
    assert plan.compensation == "automatic"
    assert plan.response_penalty == HOURS_LATE
    assert plan.monthly_cap_percent == Decimal("50.00")
    assert plan.termination_threshold == 5
    assert plan.uptime_terms["cap_percent"] == "50.00"
    assert plan.uptime_terms["excluded_kinds"] == ["scheduled_maintenance"]
    assert plan.uptime_terms["counts_toward_termination"] is True


# --- the API ------------------------------------------------------------------------------------


def test_billing_admin_creates_an_automatic_plan_with_its_own_terms(api, billing_admin, plans):
    payload = {
        "code": "gold",
        "name": "Gold",
        "response_targets": {"general": 4 * H, "high": H},
        "compensation": "automatic",
        "response_penalty": HOURS_LATE,
        "uptime_terms": _uptime_terms(),
        "claim_window_months": None,
        "termination_threshold": None,
    }

    response = api(billing_admin).post(PLANS, payload, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["compensation"] == "automatic"
    assert body["response_penalty"] == HOURS_LATE
    assert body["uptime_terms"]["levels"] == {"gold": "99.99", "silver": "99.90"}
    assert body["uptime_terms"]["credit_tiers"] == [{"up_to_hours": None, "percent_per_hour": "10.00"}]
    assert body["uptime_terms"]["cap_percent"] == "25.00"
    assert (body["claim_window_months"], body["termination_threshold"]) == (None, None)
    assert Plan.objects.get(code="gold").response_penalty == HOURS_LATE


def test_voucher_percent_and_a_per_miss_penalty_are_one_term(api, billing_admin, plans):
    advanced = plans["advanced"]
    client = api(billing_admin)

    penalty = client.patch(
        f"{PLANS}{advanced.pk}/", {"response_penalty": {"basis": "per_miss", "percent": "7.5"}}, format="json"
    )
    assert penalty.status_code == 200
    assert penalty.json()["voucher_percent"] == "7.50"
    assert penalty.json()["response_penalty"] == {"basis": "per_miss", "percent": "7.50"}

    percent = client.patch(f"{PLANS}{advanced.pk}/", {"voucher_percent": "3.00"}, format="json")
    assert percent.json()["response_penalty"] == {"basis": "per_miss", "percent": "3.00"}

    disagree = client.patch(
        f"{PLANS}{advanced.pk}/",
        {"voucher_percent": "4.00", "response_penalty": {"basis": "per_miss", "percent": "6.00"}},
        format="json",
    )
    assert disagree.status_code == 400 and "voucher_percent" in disagree.json()


def test_a_plan_edit_of_the_money_terms_is_a_new_version(api, billing_admin, plans):
    advanced = plans["advanced"]
    before = advanced.version

    response = api(billing_admin).patch(
        f"{PLANS}{advanced.pk}/", {"compensation": "automatic", "claim_window_months": None}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["version"] == before + 1
    assert response.json()["claim_window_months"] is None


@pytest.mark.parametrize(
    "role, status",
    [("anonymous", 401), ("customer", 403), ("other_customer", 403), ("engineer", 403)],
)
def test_only_billing_admins_change_money_terms_and_a_refusal_changes_nothing(
    request, api, plans, role, status
):
    advanced = plans["advanced"]
    before = _terms(advanced)

    response = api(_user(request, role)).patch(
        f"{PLANS}{advanced.pk}/",
        {"compensation": "automatic", "response_penalty": HOURS_LATE, "termination_threshold": None},
        format="json",
    )

    assert response.status_code == status
    assert _terms(advanced) == before


HOSTILE = "<script>alert(1)</script>'; DROP TABLE terms_plan; --"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"compensation": "sometimes"}, "compensation"),
        ({"compensation": HOSTILE}, "compensation"),
        ({"compensation": None}, "compensation"),
        ({"response_penalty": None}, "response_penalty"),
        ({"response_penalty": "5%"}, "response_penalty"),
        ({"response_penalty": {"basis": HOSTILE}}, "response_penalty"),
        ({"response_penalty": {"basis": "per_miss", "percent": 5.5}}, "response_penalty"),
        ({"response_penalty": {"basis": "per_miss", "percent": "1e400"}}, "response_penalty"),
        ({"response_penalty": {"basis": "per_miss", "percent": "101"}}, "response_penalty"),
        ({"response_penalty": {"basis": "per_miss", "percent": "9" * 5000}}, "response_penalty"),
        ({"response_penalty": {"basis": "per_miss", "percent": "5", "extra": 1}}, "response_penalty"),
        ({"response_penalty": {"basis": "hours_late", "tiers": []}}, "response_penalty"),
        (
            {
                "response_penalty": {
                    "basis": "hours_late",
                    "tiers": [{"up_to_hours": 4, "percent_per_hour": "1"}],
                }
            },
            "response_penalty",
        ),
        (
            {
                "response_penalty": {
                    "basis": "hours_late",
                    "tiers": [{"up_to_hours": 10**30, "percent_per_hour": "1"}] * 3
                    + [{"up_to_hours": None, "percent_per_hour": "1"}],
                }
            },
            "response_penalty",
        ),
        (
            {
                "response_penalty": {
                    "basis": "hours_late",
                    "tiers": [{"up_to_hours": n, "percent_per_hour": "1"} for n in range(1, 5000)],
                }
            },
            "response_penalty",
        ),
        ({"uptime_terms": None}, "uptime_terms"),
        ({"uptime_terms": []}, "uptime_terms"),
        ({"uptime_terms": {"levels": {"high": "99.9"}}}, "uptime_terms"),
        ({"uptime_terms": _uptime_terms(levels={HOSTILE: "99.9"}, default_level=HOSTILE)}, "uptime_terms"),
        ({"uptime_terms": _uptime_terms(levels={"gold": "100.5"})}, "uptime_terms"),
        ({"uptime_terms": _uptime_terms(levels={"gold": 99.9})}, "uptime_terms"),
        ({"uptime_terms": _uptime_terms(default_level="bronze")}, "uptime_terms"),
        ({"uptime_terms": _uptime_terms(credit_tiers=[])}, "uptime_terms"),
        ({"uptime_terms": _uptime_terms(cap_percent="-1")}, "uptime_terms"),
        ({"uptime_terms": _uptime_terms(shares_voucher_cap="yes")}, "uptime_terms"),
        ({"uptime_terms": _uptime_terms(excluded_kinds=["acts_of_god"])}, "uptime_terms"),
        ({"uptime_terms": _uptime_terms(excluded_kinds="scheduled_maintenance")}, "uptime_terms"),
        ({"uptime_terms": {**_uptime_terms(), "surprise": 1}}, "uptime_terms"),
        ({"claim_window_months": -1}, "claim_window_months"),
        ({"claim_window_months": 10**30}, "claim_window_months"),
        ({"termination_threshold": "none"}, "termination_threshold"),
    ],
)
def test_bad_money_terms_are_a_400_naming_the_term_and_change_nothing(
    api, billing_admin, plans, changes, field
):
    advanced = plans["advanced"]
    before = _terms(advanced)

    response = api(billing_admin).patch(f"{PLANS}{advanced.pk}/", changes, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert _terms(advanced) == before


# --- uptime reads its terms from the plan -----------------------------------------------------


MARCH = dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 4, 2, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "excluded_kinds, downtime_minutes",
    [
        (["scheduled_maintenance", "force_majeure"], 0),  # the outage fell in an excused period
        (["scheduled_maintenance"], 60),  # seed 004: only agreed maintenance comes off
    ],
)
def test_the_plans_excluded_kinds_decide_what_comes_off_measured_uptime(db, excluded_kinds, downtime_minutes):
    seed_plans()
    plan = Plan.objects.get(code="advanced")
    plan.uptime_terms = {**plan.uptime_terms, "excluded_kinds": excluded_kinds}
    plan.save(update_fields=["uptime_terms"])
    account = AccountFactory(plan=plan)
    admin, engineer = BillingAdminFactory(), EngineerFactory()
    item = item_create(created_by=admin, account=account, name="Shop")
    exclusion_create(
        created_by=admin,
        kind="force_majeure",
        starts_at=MARCH,
        ends_at=MARCH + dt.timedelta(hours=1),
        note="Declared afterwards",
    )
    downtime_record(
        item=item,
        actor=engineer,
        starts_at=MARCH,
        ends_at=MARCH + dt.timedelta(hours=1),
        now=MARCH + 2 * dt.timedelta(hours=1),
    )

    report = uptime_selectors.month_reports(month="2026-03", now=NOW, item_ids=[item.pk])[item.pk]

    assert report.downtime_minutes == downtime_minutes
