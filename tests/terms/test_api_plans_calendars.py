"""/api/v1/calendars/ and /api/v1/plans/: staff read calendars, everyone reads plans, billing admins edit."""

import datetime as dt

import pytest

from sla.terms.models import Calendar, Holiday, OpeningHours, Plan, ResponseTarget
from sla.terms.services.calendars import calendar_create
from sla.terms.services.plans import plan_update
from tests.factories import AccountFactory, CustomerFactory, make_ticket

CALENDARS = "/api/v1/calendars/"
PLANS = "/api/v1/plans/"
H = 3600


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # DEBUG is off in tests, so production's HTTPS redirect would answer every request with a 301.
    settings.SECURE_SSL_REDIRECT = False


def _user(request, role):
    return None if role == "anonymous" else request.getfixturevalue(role)


def _calendar_rows() -> tuple[int, int, int]:
    return Calendar.objects.count(), OpeningHours.objects.count(), Holiday.objects.count()


def _plan_rows() -> tuple[int, int]:
    return Plan.objects.count(), ResponseTarget.objects.count()


@pytest.fixture
def office(db):
    return calendar_create(
        name="Berlin office",
        timezone="Europe/Berlin",
        hours=[{"weekday": day, "start": dt.time(9), "end": dt.time(17)} for day in range(5)],
        holidays=[dt.date(2026, 12, 25)],
    )


def _calendar_payload(**overrides) -> dict:
    payload = {
        "name": "Support desk",
        "timezone": "Europe/Berlin",
        "hours": [
            {"weekday": 0, "start": "08:00", "end": "18:00"},
            {"weekday": 4, "start": "22:00", "end": "06:00"},
        ],
        "holidays": ["2026-12-25", "2026-12-26"],
    }
    payload.update(overrides)
    return payload


def _plan_payload(**overrides) -> dict:
    payload = {
        "code": "gold",
        "name": "Gold",
        "response_targets": {"general": 4 * H, "high": H},
        "chat_session_limit": 900,
        "voucher_percent": "7.50",
        "monthly_cap_percent": "50.00",
        "termination_threshold": 3,
    }
    payload.update(overrides)
    return payload


# --- calendars: reading --------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 403),
        ("other_customer", 403),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_calendar_list_is_for_staff(request, api, office, role, status):
    response = api(_user(request, role)).get(CALENDARS)

    assert response.status_code == status
    if status == 200:
        names = [c["name"] for c in response.json()["results"]]
        assert "Berlin office" in names


@pytest.mark.parametrize(
    "role, status",
    [("anonymous", 401), ("customer", 403), ("engineer", 200), ("billing_admin", 200)],
)
def test_calendar_detail_is_for_staff(request, api, office, role, status):
    response = api(_user(request, role)).get(f"{CALENDARS}{office.pk}/")

    assert response.status_code == status
    if status == 200:
        assert response.json() == {
            "id": office.pk,
            "name": "Berlin office",
            "timezone": "Europe/Berlin",
            "hours": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)],
            "holidays": ["2026-12-25"],
            "holidays_country": "",
            "holidays_subdiv": "",
        }


def test_unknown_calendar_is_404(api, engineer):
    assert api(engineer).get(f"{CALENDARS}999999/").status_code == 404


# --- calendars: writing --------------------------------------------------------------------


def test_billing_admin_creates_a_calendar(api, billing_admin):
    response = api(billing_admin).post(CALENDARS, _calendar_payload(), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Support desk"
    assert body["timezone"] == "Europe/Berlin"
    assert body["hours"] == _calendar_payload()["hours"]
    assert body["holidays"] == ["2026-12-25", "2026-12-26"]
    assert Calendar.objects.get(pk=body["id"]).hours.count() == 2


def test_calendar_with_no_hours_is_24x7(api, billing_admin):
    response = api(billing_admin).post(
        CALENDARS, {"name": "Always open", "timezone": "UTC", "hours": []}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["hours"] == []
    assert response.json()["holidays"] == []


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("customer", 403), ("engineer", 403)])
def test_calendar_create_refused_for_other_roles_and_nothing_written(request, api, plans, role, status):
    before = _calendar_rows()

    response = api(_user(request, role)).post(CALENDARS, _calendar_payload(), format="json")

    assert response.status_code == status
    assert _calendar_rows() == before


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"name": ["a", "list"]}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "null\x00byte"}, "name"),
        ({"name": "bell\x07char"}, "name"),
        ({"name": "Chat: weekdays 08:00–18:00"}, "name"),  # taken by the seeded calendars
        ({"name": "chat: WEEKDAYS 08:00–18:00"}, "name"),  # case does not make it new
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"timezone": 5}, "timezone"),
        ({"hours": [{"weekday": 7, "start": "08:00", "end": "18:00"}]}, "hours"),
        ({"hours": [{"weekday": -1, "start": "08:00", "end": "18:00"}]}, "hours"),
        ({"hours": [{"weekday": "monday", "start": "08:00", "end": "18:00"}]}, "hours"),
        ({"hours": [{"weekday": 10**30, "start": "08:00", "end": "18:00"}]}, "hours"),
        ({"hours": [{"weekday": 0, "start": "8am", "end": "18:00"}]}, "hours"),
        ({"hours": [{"weekday": 0, "start": "25:00", "end": "18:00"}]}, "hours"),
        ({"hours": [{"weekday": 0, "start": "08:00:30", "end": "18:00"}]}, "hours"),
        ({"hours": [{"weekday": 0, "start": "08:00"}]}, "hours"),
        ({"hours": "weekdays"}, "hours"),
        (
            {
                "hours": [
                    {"weekday": 0, "start": "08:00", "end": "12:00"},
                    {"weekday": 0, "start": "08:00", "end": "18:00"},
                ]
            },
            "hours",
        ),
        (
            {"hours": [{"weekday": d % 7, "start": f"{d // 7:02d}:00", "end": "23:00"} for d in range(51)]},
            "hours",
        ),
        ({"holidays": ["9999-12-31"]}, "holidays"),
        ({"holidays": ["1999-12-31"]}, "holidays"),
        ({"holidays": ["2026-02-30"]}, "holidays"),
        ({"holidays": ["2026-12-25", "2026-12-25"]}, "holidays"),
        ({"holidays": "2026-12-25"}, "holidays"),
        ({"holidays": [20261225]}, "holidays"),
        ({"holidays": ["2026-01-01"] * 1001}, "holidays"),
    ],
)
def test_calendar_create_with_bad_input_is_400_naming_the_field_and_writes_nothing(
    api, billing_admin, plans, overrides, field
):
    before = _calendar_rows()

    response = api(billing_admin).post(CALENDARS, _calendar_payload(**overrides), format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert _calendar_rows() == before


def test_calendar_name_with_markup_and_sql_is_stored_verbatim(api, billing_admin):
    name = "<script>alert(1)</script>'; DROP TABLE sla_calendar; --"

    response = api(billing_admin).post(CALENDARS, _calendar_payload(name=name), format="json")

    assert response.status_code == 201
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["name"] == name
    assert Calendar.objects.get(pk=response.json()["id"]).name == name


def test_billing_admin_replaces_hours_and_holidays(api, billing_admin, office):
    response = api(billing_admin).patch(
        f"{CALENDARS}{office.pk}/",
        {"hours": [{"weekday": 5, "start": "10:00", "end": "14:00"}], "holidays": []},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["hours"] == [{"weekday": 5, "start": "10:00", "end": "14:00"}]
    assert response.json()["holidays"] == []
    assert response.json()["name"] == "Berlin office"
    assert list(office.hours.values_list("weekday", flat=True)) == [5]


def test_calendar_put_replaces_everything(api, billing_admin, office):
    response = api(billing_admin).put(
        f"{CALENDARS}{office.pk}/", {"name": "Renamed", "timezone": "UTC"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    assert response.json()["timezone"] == "UTC"
    assert response.json()["hours"] == [] and response.json()["holidays"] == []


def test_kept_holiday_keeps_its_name(api, billing_admin, office):
    Holiday.objects.filter(calendar=office).update(name="Christmas")

    api(billing_admin).patch(
        f"{CALENDARS}{office.pk}/", {"holidays": ["2026-12-25", "2027-01-01"]}, format="json"
    )

    assert dict(office.holidays.values_list("date", "name")) == {
        dt.date(2026, 12, 25): "Christmas",
        dt.date(2027, 1, 1): "",
    }


def test_editing_a_calendar_bumps_the_plans_that_count_on_it(api, billing_admin, plans, office):
    plan = plans["standard"]
    plan_update(plan=plan, response_calendar=office)
    version = Plan.objects.get(pk=plan.pk).version

    api(billing_admin).patch(f"{CALENDARS}{office.pk}/", {"timezone": "UTC"}, format="json")

    assert Plan.objects.get(pk=plan.pk).version == version + 1


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("customer", 403), ("engineer", 403)])
def test_calendar_update_refused_for_other_roles_and_nothing_changed(request, api, office, role, status):
    response = api(_user(request, role)).patch(
        f"{CALENDARS}{office.pk}/", {"name": "Hijacked", "hours": []}, format="json"
    )

    assert response.status_code == status
    office.refresh_from_db()
    assert office.name == "Berlin office"
    assert office.hours.count() == 5


def test_calendar_update_with_a_far_holiday_changes_nothing(api, billing_admin, office):
    response = api(billing_admin).patch(
        f"{CALENDARS}{office.pk}/",
        {"name": "Renamed", "holidays": ["2026-12-24", "9999-01-01"]},
        format="json",
    )

    assert response.status_code == 400
    assert "holidays" in response.json()
    office.refresh_from_db()
    assert office.name == "Berlin office"
    assert list(office.holidays.values_list("date", flat=True)) == [dt.date(2026, 12, 25)]


def test_calendars_cannot_be_deleted_through_the_api(api, billing_admin, office):
    assert api(billing_admin).delete(f"{CALENDARS}{office.pk}/").status_code == 405
    assert Calendar.objects.filter(pk=office.pk).exists()


# --- plans: reading ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 200),
        ("other_customer", 200),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_plan_list_is_for_everyone_signed_in(request, api, plans, role, status):
    response = api(_user(request, role)).get(PLANS)

    assert response.status_code == status
    if status == 200:
        assert {p["code"] for p in response.json()["results"]} >= {"standard", "advanced", "premium"}
        assert response.json()["count"] == Plan.objects.count()


def test_plan_shows_the_contract_terms(api, customer, plans):
    advanced = plans["advanced"]

    response = api(customer).get(f"{PLANS}{advanced.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "id": advanced.pk,
        "code": "advanced",
        "name": "Advanced",
        "description": "",
        "response_calendar": None,
        "uses_severity": False,
        "response_targets": {"general": 6 * H, "high": 30 * 60},
        "chat_calendar": advanced.chat_calendar_id,
        "chat_session_limit": 30 * 60,
        "voucher_percent": "5.00",
        "monthly_cap_percent": "100.00",
        "termination_threshold": 5,
        "claim_window_months": None,
        "at_risk_percent": 80,
        "compensation": "claim",
        "response_penalty": {"basis": "per_miss", "percent": "5.00"},
        "uptime_terms": body["uptime_terms"],
        "item_targets": {},
        "progress_update_every": None,
        "version": 1,
    }
    assert body["uptime_terms"]["default_level"] == "high"


def test_severity_plan_shows_item_level_severity_targets_and_its_calendar(api, engineer, plans):
    # given seed 004's working-hours plan, keyed by the item's level and the severity
    business = Plan.objects.get(uses_severity=True)

    body = api(engineer).get(f"{PLANS}{business.pk}/").json()

    assert body["uses_severity"] is True
    assert body["response_targets"] == {"general": 8 * H, "high": 1 * H}
    levels = body["uptime_terms"]["levels"]
    assert set(body["item_targets"]) == {
        f"{level}:{severity}" for level in levels for severity in ("fatal", "severe", "medium", "minor")
    }
    assert body["item_targets"]["critical:fatal"] == 1 * H
    assert body["response_calendar"] == business.response_calendar_id is not None
    calendar = api(engineer).get(f"{CALENDARS}{business.response_calendar_id}/").json()
    assert calendar["hours"]


def test_premium_has_unlimited_chat(api, customer, plans):
    response = api(customer).get(f"{PLANS}{plans['premium'].pk}/")

    assert response.json()["chat_session_limit"] is None


def test_plan_list_queries_do_not_grow_with_plans(api, customer, plans, django_assert_max_num_queries):
    for n in range(10):
        api_plan = Plan.objects.create(code=f"extra-{n}", name=f"Extra {n}")
        ResponseTarget.objects.create(plan=api_plan, priority="general", seconds=H)

    with django_assert_max_num_queries(3):
        response = api(customer).get(PLANS)

    assert response.json()["count"] == Plan.objects.count() >= 13


# --- plans: writing ------------------------------------------------------------------------


def test_billing_admin_creates_a_plan(api, billing_admin, office):
    response = api(billing_admin).post(
        PLANS, _plan_payload(response_calendar=office.pk, chat_calendar=office.pk), format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["code"] == "gold"
    assert body["response_targets"] == {"general": 4 * H, "high": H}
    assert body["response_calendar"] == office.pk
    assert body["chat_calendar"] == office.pk
    assert body["voucher_percent"] == "7.50"
    assert body["monthly_cap_percent"] == "50.00"
    assert body["termination_threshold"] == 3
    assert body["version"] == 1


def test_plan_defaults_follow_the_contract(api, billing_admin, plans):
    response = api(billing_admin).post(
        PLANS,
        {"code": "basic", "name": "Basic", "response_targets": {"general": H, "high": 60}},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["voucher_percent"], body["monthly_cap_percent"]) == ("5.00", "100.00")
    assert body["termination_threshold"] == 5
    assert body["response_calendar"] is None and body["chat_calendar"] is None
    assert body["chat_session_limit"] is None


def test_plan_with_severity_takes_priority_severity_keys(api, billing_admin, office):
    targets = {"general": 8 * H, "high": 4 * H, "high:fatal": H, "general:minor": 16 * H}

    response = api(billing_admin).post(
        PLANS,
        _plan_payload(uses_severity=True, response_targets=targets, response_calendar=office.pk),
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["response_targets"] == targets
    assert response.json()["uses_severity"] is True


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("customer", 403), ("engineer", 403)])
def test_plan_create_refused_for_other_roles_and_nothing_written(request, api, plans, role, status):
    before = _plan_rows()

    response = api(_user(request, role)).post(PLANS, _plan_payload(), format="json")

    assert response.status_code == status
    assert _plan_rows() == before


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"code": None}, "code"),
        ({"code": "not a slug!"}, "code"),
        ({"code": "advanced"}, "code"),
        ({"code": "ADVANCED"}, "code"),
        ({"code": "x" * 41}, "code"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": {"a": 1}}, "name"),
        ({"name": "tab\x0bname"}, "name"),
        ({"name": "null\x00"}, "name"),
        ({"response_targets": None}, "response_targets"),
        ({"response_targets": {}}, "response_targets"),
        ({"response_targets": {"general": H}}, "response_targets"),
        ({"response_targets": {"high": H}}, "response_targets"),
        ({"response_targets": {"general": H, "high": 0}}, "response_targets"),
        ({"response_targets": {"general": H, "high": -5}}, "response_targets"),
        ({"response_targets": {"general": H, "high": 10**30}}, "response_targets"),
        ({"response_targets": {"general": H, "high": 366 * 24 * H + 1}}, "response_targets"),
        ({"response_targets": {"general": H, "high": "soon"}}, "response_targets"),
        ({"response_targets": {"general": H, "high": 1.5}}, "response_targets"),
        ({"response_targets": {"general": H, "high": True}}, "response_targets"),
        ({"response_targets": {"general": H, "high": H, "urgent": H}}, "response_targets"),
        ({"response_targets": {"general": H, "high": H, "high:fatal": H}}, "response_targets"),
        ({"response_targets": [H, H]}, "response_targets"),
        ({"response_calendar": 999999}, "response_calendar"),
        ({"response_calendar": "berlin"}, "response_calendar"),
        ({"chat_calendar": 10**30}, "chat_calendar"),
        ({"chat_session_limit": 0}, "chat_session_limit"),
        ({"chat_session_limit": 10**30}, "chat_session_limit"),
        ({"voucher_percent": "101"}, "voucher_percent"),
        ({"voucher_percent": "-1"}, "voucher_percent"),
        ({"voucher_percent": "5.001"}, "voucher_percent"),
        ({"voucher_percent": "1e30"}, "voucher_percent"),
        ({"voucher_percent": "NaN"}, "voucher_percent"),
        ({"monthly_cap_percent": "lots"}, "monthly_cap_percent"),
        ({"termination_threshold": 10**30}, "termination_threshold"),
        ({"termination_threshold": -1}, "termination_threshold"),
        ({"termination_threshold": "five"}, "termination_threshold"),
        ({"uses_severity": "maybe"}, "uses_severity"),
        ({"at_risk_percent": 0}, "at_risk_percent"),
    ],
)
def test_plan_create_with_bad_input_is_400_naming_the_field_and_writes_nothing(
    api, billing_admin, plans, overrides, field
):
    before = _plan_rows()

    response = api(billing_admin).post(PLANS, _plan_payload(**overrides), format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert _plan_rows() == before


def test_plan_name_with_markup_is_returned_as_data(api, billing_admin, plans):
    name = '<img src=x onerror="alert(1)">'

    response = api(billing_admin).post(PLANS, _plan_payload(name=name), format="json")

    assert response.status_code == 201
    assert response.json()["name"] == name


def test_plan_update_replaces_targets_and_bumps_the_version(api, billing_admin, plans):
    advanced = plans["advanced"]

    response = api(billing_admin).patch(
        f"{PLANS}{advanced.pk}/",
        {"response_targets": {"general": 5 * H, "high": 20 * 60}},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["response_targets"] == {"general": 5 * H, "high": 20 * 60}
    assert response.json()["version"] == 2
    assert ResponseTarget.objects.filter(plan=advanced).count() == 2


def test_plan_update_of_a_name_keeps_the_targets_and_still_bumps_the_version(api, billing_admin, plans):
    advanced = plans["advanced"]

    response = api(billing_admin).patch(f"{PLANS}{advanced.pk}/", {"name": "Advanced+"}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "Advanced+"
    assert response.json()["response_targets"] == {"general": 6 * H, "high": 30 * 60}
    assert response.json()["version"] == 2


def test_tickets_keep_the_promise_they_were_given_after_a_plan_edit(api, billing_admin, customer, plans):
    # given a ticket opened on Advanced (General: 6 h)
    before = make_ticket(customer=customer)
    deadline = before.work_started_deadline

    # when the plan's General target becomes 1 h
    api(billing_admin).patch(
        f"{PLANS}{plans['advanced'].pk}/",
        {"response_targets": {"general": H, "high": 10 * 60}},
        format="json",
    )

    # then the old ticket keeps its deadline, and so does the account's next ticket: its term keeps
    # the version it started with (the next term takes the edit: tests/terms/test_plan_versions.py)
    before.refresh_from_db()
    assert before.work_started_deadline == deadline
    assert before.work_started_target == 6 * H
    after = make_ticket(customer=customer)
    assert after.work_started_target == 6 * H
    assert after.promise["plan_version"] == before.promise["plan_version"]
    # while an account whose term starts now is promised the edit
    newcomer = make_ticket(customer=CustomerFactory(account=AccountFactory(plan=plans["advanced"])))
    assert newcomer.work_started_target == H
    assert newcomer.promise["plan_version"] == before.promise["plan_version"] + 1


def test_plan_update_with_bad_targets_changes_nothing(api, billing_admin, plans):
    advanced = plans["advanced"]

    response = api(billing_admin).patch(
        f"{PLANS}{advanced.pk}/",
        {"name": "Changed", "response_targets": {"general": H, "high": 10**30}},
        format="json",
    )

    assert response.status_code == 400
    assert "response_targets" in response.json()
    advanced.refresh_from_db()
    assert (advanced.name, advanced.version) == ("Advanced", 1)
    assert dict(advanced.response_targets.values_list("priority", "seconds")) == {
        "general": 6 * H,
        "high": 30 * 60,
    }


def test_dropping_severity_needs_the_severity_targets_gone(api, billing_admin, plans):
    response = api(billing_admin).post(
        PLANS,
        _plan_payload(uses_severity=True, response_targets={"general": H, "high": 60, "high:fatal": 30}),
        format="json",
    )
    url = f"{PLANS}{response.json()['id']}/"

    refused = api(billing_admin).patch(url, {"uses_severity": False}, format="json")
    accepted = api(billing_admin).patch(
        url, {"uses_severity": False, "response_targets": {"general": H, "high": 60}}, format="json"
    )

    assert refused.status_code == 400
    assert "uses_severity" in refused.json()
    assert accepted.status_code == 200


def test_plan_code_can_change_but_not_to_one_taken(api, billing_admin, plans):
    url = f"{PLANS}{plans['advanced'].pk}/"

    taken = api(billing_admin).patch(url, {"code": "premium"}, format="json")
    fine = api(billing_admin).patch(url, {"code": "advanced-2026"}, format="json")

    assert taken.status_code == 400
    assert "code" in taken.json()
    assert fine.status_code == 200


@pytest.mark.parametrize(
    "role, status",
    [("anonymous", 401), ("customer", 403), ("other_customer", 403), ("engineer", 403)],
)
def test_plan_update_refused_for_other_roles_and_nothing_changed(request, api, plans, role, status):
    advanced = plans["advanced"]

    response = api(_user(request, role)).patch(
        f"{PLANS}{advanced.pk}/", {"response_targets": {"general": 1, "high": 1}}, format="json"
    )

    assert response.status_code == status
    advanced.refresh_from_db()
    assert advanced.version == 1
    assert advanced.response_targets.get(priority="general").seconds == 6 * H


def test_plan_put_needs_every_required_field(api, billing_admin, plans):
    response = api(billing_admin).put(f"{PLANS}{plans['advanced'].pk}/", {"name": "Only"}, format="json")

    assert response.status_code == 400
    assert {"code", "response_targets"} <= set(response.json())
