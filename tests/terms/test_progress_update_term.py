"""The plan term `progress_update_every` (seed 004): API, service checks, snapshot, seed."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.terms.models import MAX_PROGRESS_UPDATE_SECONDS, Plan
from sla.terms.policies import next_update_due, plan_snapshot
from sla.terms.seeds import PROGRESS_UPDATE_EVERY, seed_plans
from sla.terms.services.plans import plan_create, plan_update
from tests.factories import make_ticket

PLANS = "/api/v1/plans/"
H = 3600


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


def _user(request, role):
    return None if role == "anonymous" else request.getfixturevalue(role)


def _payload(**overrides) -> dict:
    payload = {"code": "gold", "name": "Gold", "response_targets": {"general": 4 * H, "high": H}}
    payload.update(overrides)
    return payload


# --- the seeds ------------------------------------------------------------------------------


def test_seed_004s_plan_has_a_default_interval_marked_as_one_and_seed_000s_plans_none(db):
    seed_plans()

    every = dict(Plan.objects.values_list("code", "progress_update_every"))

    assert every == {"standard": None, "advanced": None, "premium": None, "business": PROGRESS_UPDATE_EVERY}
    description = Plan.objects.get(code="business").description
    assert "every 8 working hours" in description
    assert "default to agree with the client" in description


# --- reading and writing through the API ----------------------------------------------------


def test_every_plan_shows_the_term(api, customer, plans):
    response = api(customer).get(f"{PLANS}{plans['advanced'].pk}/")

    assert response.status_code == 200
    assert response.json()["progress_update_every"] is None


def test_billing_admin_creates_and_changes_the_term_and_each_change_is_a_version(api, billing_admin, plans):
    created = api(billing_admin).post(PLANS, _payload(progress_update_every=4 * H), format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["progress_update_every"] == 4 * H
    version = created.json()["version"]

    changed = api(billing_admin).patch(
        f"{PLANS}{created.json()['id']}/", {"progress_update_every": None}, format="json"
    )

    assert changed.status_code == 200, changed.json()
    assert changed.json()["progress_update_every"] is None
    assert changed.json()["version"] == version + 1
    assert Plan.objects.get(code="gold").progress_update_every is None


@pytest.mark.parametrize(
    "role, status",
    [("anonymous", 401), ("customer", 403), ("other_customer", 403), ("engineer", 403)],
)
def test_changing_the_term_is_refused_to_other_roles_and_changes_nothing(request, api, plans, role, status):
    advanced = plans["advanced"]

    response = api(_user(request, role)).patch(
        f"{PLANS}{advanced.pk}/", {"progress_update_every": 60}, format="json"
    )

    assert response.status_code == status
    advanced.refresh_from_db()
    assert advanced.progress_update_every is None
    assert advanced.version == 1


@pytest.mark.parametrize(
    "value",
    [
        0,
        -1,
        MAX_PROGRESS_UPDATE_SECONDS + 1,
        10**30,
        "often",
        "1; DROP TABLE plans",
        "<b>1</b>",
        1.5,
        [60],
        {},
    ],
)
def test_a_bad_interval_is_a_400_naming_the_field_and_writes_nothing(api, billing_admin, plans, value):
    before = Plan.objects.count()

    created = api(billing_admin).post(PLANS, _payload(progress_update_every=value), format="json")
    changed = api(billing_admin).patch(
        f"{PLANS}{plans['advanced'].pk}/", {"progress_update_every": value}, format="json"
    )

    assert created.status_code == 400
    assert "progress_update_every" in created.json()
    assert changed.status_code == 400
    assert "progress_update_every" in changed.json()
    assert Plan.objects.count() == before
    assert Plan.objects.get(code="advanced").progress_update_every is None


@pytest.mark.parametrize("value", [0, -5, True, "60", MAX_PROGRESS_UPDATE_SECONDS + 1])
def test_the_service_refuses_what_the_api_refuses(plans, value):
    with pytest.raises(ValidationError) as raised:
        plan_create(
            code="x", name="X", response_targets={"general": H, "high": H}, progress_update_every=value
        )
    assert "progress_update_every" in raised.value.message_dict
    with pytest.raises(ValidationError):
        plan_update(plan=plans["advanced"], progress_update_every=value)


# --- the promise a ticket keeps -------------------------------------------------------------


def test_a_ticket_keeps_the_interval_it_was_given_after_a_plan_edit(plans, customer):
    plan_update(plan=plans["advanced"], progress_update_every=2 * H)
    ticket = make_ticket(customer=customer)

    plan_update(plan=Plan.objects.get(pk=plans["advanced"].pk), progress_update_every=None)

    ticket.refresh_from_db()
    assert ticket.promise["progress_update_every"] == 2 * H


def _business_snapshot(every: int | None) -> dict:
    seed_plans()
    plan = Plan.objects.get(code="business")
    plan.progress_update_every = every
    return plan_snapshot(plan, today=dt.date(2026, 3, 1))


def test_next_update_counts_working_time_on_the_plans_calendar(db):
    snapshot = _business_snapshot(8 * H)
    friday_4pm = dt.datetime(2026, 3, 13, 16, 0, tzinfo=dt.UTC)

    # Weekdays 09:00-17:00 (UTC support zone): one hour on Friday, seven on Monday.
    assert next_update_due(snapshot, since=friday_4pm) == dt.datetime(2026, 3, 16, 16, 0, tzinfo=dt.UTC)


def test_no_interval_means_no_update_is_ever_due(db):
    snapshot = _business_snapshot(None)

    assert next_update_due(snapshot, since=dt.datetime(2026, 3, 13, 16, 0, tzinfo=dt.UTC)) is None


def test_a_24x7_plan_adds_plain_seconds():
    snapshot = {"plan": "x", "progress_update_every": 90, "calendar": None}
    since = dt.datetime(2026, 3, 29, 0, 59, 30, tzinfo=dt.UTC)  # across Europe's DST change

    assert next_update_due(snapshot, since=since) == since + dt.timedelta(seconds=90)


@settings(max_examples=60, deadline=None)
@given(
    offset=st.integers(min_value=0, max_value=14 * 24 * H),
    later=st.integers(min_value=0, max_value=3 * 24 * H),
    every=st.integers(min_value=1, max_value=3 * 24 * H),
)
def test_an_update_is_never_due_sooner_than_its_interval_nor_earlier_for_a_later_start(offset, later, every):
    """On a business calendar wall-clock time runs at least as fast as working time."""
    snapshot = {
        "plan": "x",
        "progress_update_every": every,
        "calendar": {
            "name": "office",
            "timezone": "Europe/Berlin",
            "hours": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)],
            "holidays": ["2026-04-03"],
        },
    }
    since = dt.datetime(2026, 3, 23, tzinfo=dt.UTC) + dt.timedelta(seconds=offset)

    due = next_update_due(snapshot, since=since)

    assert due >= since + dt.timedelta(seconds=every)
    assert next_update_due(snapshot, since=since + dt.timedelta(seconds=later)) >= due
