"""Plans key response targets by a covered item's level and the severity (`item_targets`), as data."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.terms.admin import PlanAdminForm
from sla.terms.models import Plan
from sla.terms.policies import target_seconds

PLANS = "/api/v1/plans/"
H = 3600


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


def _user(request, role):
    return None if role == "anonymous" else request.getfixturevalue(role)


def _payload(**overrides) -> dict:
    payload = {
        "code": "gold",
        "name": "Gold",
        "description": "Figures agreed on 1 Dec.",
        "uses_severity": True,
        "response_targets": {"general": 8 * H, "high": H},
        "item_targets": {"critical:fatal": 30 * 60, "standard:minor": 8 * H},
    }
    payload.update(overrides)
    return payload


def _rows():
    return list(Plan.objects.order_by("pk").values_list("pk", "version", "item_targets", "description"))


def test_a_billing_admin_creates_a_plan_with_item_targets_and_a_description(api, billing_admin, plans):
    response = api(billing_admin).post(PLANS, _payload(), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["item_targets"] == {"critical:fatal": 30 * 60, "standard:minor": 8 * H}
    assert body["description"] == "Figures agreed on 1 Dec."


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("customer", 403), ("engineer", 403)])
def test_only_billing_admins_set_item_targets(request, api, plans, role, status):
    business = plans["advanced"]
    before = _rows()

    response = api(_user(request, role)).patch(
        f"{PLANS}{business.pk}/", {"item_targets": {"high:fatal": 60}}, format="json"
    )

    assert response.status_code == status
    assert _rows() == before


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"item_targets": {"platinum:fatal": H}}, "item_targets"),
        ({"item_targets": {"critical:urgent": H}}, "item_targets"),
        ({"item_targets": {"critical": H}}, "item_targets"),
        ({"item_targets": {"critical:fatal": 0}}, "item_targets"),
        ({"item_targets": {"critical:fatal": 10**30}}, "item_targets"),
        ({"item_targets": {"critical:fatal": "soon"}}, "item_targets"),
        ({"item_targets": {"critical:fatal": True}}, "item_targets"),
        ({"item_targets": {"critical:fatal": 1.5}}, "item_targets"),
        ({"item_targets": {"<script>:fatal": H}}, "item_targets"),
        ({"item_targets": {"critical:fatal'; DROP TABLE x;--": H}}, "item_targets"),
        ({"item_targets": [H]}, "item_targets"),
        ({"item_targets": "critical:fatal=1h"}, "item_targets"),
        ({"item_targets": {f"critical:fatal{n}": H for n in range(300)}}, "item_targets"),
        ({"uses_severity": False}, "item_targets"),
        ({"description": "x" * 4001}, "description"),
        ({"description": "null\x00"}, "description"),
        ({"description": ["a", "b"]}, "description"),
    ],
)
def test_bad_item_targets_are_a_400_naming_the_field_and_write_nothing(
    api, billing_admin, plans, overrides, field
):
    before = _rows()

    response = api(billing_admin).post(PLANS, _payload(**overrides), format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert _rows() == before


def test_removing_a_level_the_targets_use_is_a_400(api, billing_admin, plans):
    business = Plan.objects.get(code="business")
    before = _rows()
    terms = {**business.uptime_terms, "levels": {"high": "99.90"}, "default_level": "high"}

    response = api(billing_admin).patch(f"{PLANS}{business.pk}/", {"uptime_terms": terms}, format="json")

    assert response.status_code == 400
    assert "item_targets" in response.json()
    assert _rows() == before


def test_turning_severity_off_while_item_targets_remain_is_a_400(api, billing_admin, plans):
    business = Plan.objects.get(code="business")
    before = _rows()

    response = api(billing_admin).patch(f"{PLANS}{business.pk}/", {"uses_severity": False}, format="json")

    assert response.status_code == 400
    assert _rows() == before


def test_a_billing_admin_replaces_item_targets_and_the_version_moves_on(api, billing_admin, plans):
    business = Plan.objects.get(code="business")

    response = api(billing_admin).patch(
        f"{PLANS}{business.pk}/", {"item_targets": {"high:fatal": 2 * H}}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["item_targets"] == {"high:fatal": 2 * H}
    assert response.json()["version"] == business.version + 1


def test_the_django_admin_checks_item_targets_against_the_levels(plans):
    business = Plan.objects.get(code="business")
    fields = {name: getattr(business, name) for name in PlanAdminForm._meta.fields}
    fields.update(
        response_calendar=business.response_calendar_id,
        chat_calendar=business.chat_calendar_id,
        response_penalty=json.dumps(business.response_penalty),
        uptime_terms=json.dumps(business.uptime_terms),
    )

    good = PlanAdminForm(data={**fields, "item_targets": json.dumps({"high:fatal": 600})}, instance=business)
    bad = PlanAdminForm(data={**fields, "item_targets": json.dumps({"gold:fatal": 600})}, instance=business)

    assert good.is_valid(), good.errors
    assert good.cleaned_data["item_targets"] == {"high:fatal": 600}
    assert not bad.is_valid() and "item_targets" in bad.errors


LEVELS = ("critical", "high", "standard")
SEVERITIES = ("fatal", "severe", "medium", "minor")


@settings(max_examples=200, deadline=None)
@given(
    item_targets=st.dictionaries(
        st.sampled_from([f"{level}:{severity}" for level in LEVELS for severity in SEVERITIES]),
        st.integers(min_value=1, max_value=366 * 24 * H),
    ),
    level=st.sampled_from(("", *LEVELS)),
    default_level=st.sampled_from(LEVELS),
    priority=st.sampled_from(("general", "high")),
    severity=st.sampled_from(("", *SEVERITIES)),
)
def test_the_target_is_the_items_level_by_severity_else_the_prioritys(
    item_targets, level, default_level, priority, severity
):
    snapshot = {
        "plan": "p",
        "uses_severity": True,
        "targets": {"general": 8 * H, "high": H},
        "item_targets": item_targets,
        "default_level": default_level,
        **({"item_level": level} if level else {}),
    }

    seconds = target_seconds(snapshot, priority=priority, severity=severity)

    key = f"{level or default_level}:{severity}"
    if severity and key in item_targets:
        assert seconds == item_targets[key]
    else:
        assert seconds == snapshot["targets"][priority]
    # A plan that does not use severity never looks at items.
    assert (
        target_seconds({**snapshot, "uses_severity": False}, priority=priority, severity=severity)
        == (snapshot["targets"][priority])
    )
