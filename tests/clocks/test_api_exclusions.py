"""/api/v1/exclusion-periods/: billing admins declare and cancel periods; the clocks they overlap pause."""

import datetime as dt

import pytest

from helpdesk.tickets.services.tickets import ticket_start_work
from sla.clocks.models import ExclusionPeriod, Miss
from sla.clocks.services.exclusions import exclusion_create
from sla.clocks.services.misses import misses_record_due
from tests.factories import make_ticket

URL = "/api/v1/exclusion-periods/"
MISSES = "/api/v1/misses/"
T0 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
CONTRACT_FIELDS = {"id", "kind", "starts_at", "ends_at", "provider", "note"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # DEBUG is off in tests, so production's HTTPS redirect would answer every request with a 301.
    settings.SECURE_SSL_REDIRECT = False


def _user(request, role):
    return None if role == "anonymous" else request.getfixturevalue(role)


def _payload(**overrides) -> dict:
    payload = {
        "kind": "force_majeure",
        "starts_at": "2026-03-10T09:00:00Z",
        "ends_at": "2026-03-10T11:00:00+00:00",
        "provider": "",
        "note": "Flood in the data centre, declared afterwards.",
    }
    payload.update(overrides)
    return {key: value for key, value in payload.items() if value is not ...}


@pytest.fixture
def period(billing_admin):
    return exclusion_create(
        created_by=billing_admin,
        kind="force_majeure",
        starts_at=T0,
        ends_at=T0 + H,
        note="Flood",
    )


def _snapshot() -> list[tuple]:
    return list(
        ExclusionPeriod.objects.order_by("pk").values_list("pk", "kind", "starts_at", "ends_at", "note")
    )


# --- who may ---------------------------------------------------------------------------------

ROLES = [
    ("anonymous", 401),
    ("customer", 403),
    ("other_customer", 403),
    ("engineer", 403),
]


@pytest.mark.parametrize(("role", "status"), [*ROLES, ("billing_admin", 200)])
def test_list_and_read_permission_matrix(request, api, period, role, status):
    client = api(_user(request, role))

    assert client.get(URL).status_code == status
    assert client.get(f"{URL}{period.pk}/").status_code == status


@pytest.mark.parametrize(("role", "status"), ROLES)
def test_refused_writes_change_nothing(request, api, period, role, status):
    client = api(_user(request, role))
    before = _snapshot()

    responses = [
        client.post(URL, _payload(), format="json"),
        client.put(f"{URL}{period.pk}/", _payload(), format="json"),
        client.patch(f"{URL}{period.pk}/", {"note": "changed"}, format="json"),
        client.delete(f"{URL}{period.pk}/"),
        client.post(f"{URL}{period.pk}/cancel/", {"reason": "Declared by mistake"}, format="json"),
    ]

    assert [r.status_code for r in responses] == [status] * 5
    assert _snapshot() == before


def test_billing_admin_creates_reads_updates_and_cancels(api, billing_admin, account):
    client = api(billing_admin)

    created = client.post(
        URL,
        _payload(
            kind="cloud_provider",
            provider="AWS eu-west-1",
            account=account.pk,
            provider_sla_url="https://aws.amazon.com/compute/sla/",
        ),
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert set(body) >= CONTRACT_FIELDS
    assert body["kind"] == "cloud_provider" and body["provider"] == "AWS eu-west-1"
    assert body["starts_at"] == "2026-03-10T09:00:00Z" and body["ends_at"] == "2026-03-10T11:00:00Z"
    assert body["account"] == account.pk and body["misses_excluded"] == 0
    assert body["provider_sla_url"] == "https://aws.amazon.com/compute/sla/"
    url = f"{URL}{body['id']}/"

    assert client.get(url).json() == body
    assert client.get(URL).json()["results"] == [body]

    patched = client.patch(url, {"note": "Root cause: a power cut.", "account": None}, format="json")
    assert patched.status_code == 200, patched.json()
    assert patched.json()["note"] == "Root cause: a power cut." and patched.json()["account"] is None
    assert patched.json()["provider"] == "AWS eu-west-1"

    put = client.put(url, _payload(kind="force_majeure"), format="json")
    assert put.status_code == 200, put.json()
    assert put.json()["kind"] == "force_majeure" and put.json()["provider"] == ""

    assert client.delete(url).status_code == 405
    cancelled = client.post(f"{url}cancel/", {"reason": "Not a real outage"}, format="json")
    assert cancelled.status_code == 200, cancelled.json()
    body = cancelled.json()
    assert body["cancelled_at"] and body["cancel_reason"] == "Not a real outage"
    assert body["cancelled_by"] == billing_admin.username
    assert [e["action"] for e in body["events"]] == ["created", "changed", "changed", "cancelled"]
    assert {e["actor"] for e in body["events"]} == {billing_admin.username}
    assert body["events"][1]["detail"]["note"][1] == "Root cause: a power cut."
    assert client.get(url).json() == body
    assert ExclusionPeriod.objects.count() == 1

    again = client.post(f"{url}cancel/", {"reason": "Twice"}, format="json")
    assert again.status_code == 409
    assert client.patch(url, {"note": "after"}, format="json").status_code == 409
    assert client.get(url).json() == body


def test_an_unknown_period_is_a_404(api, billing_admin):
    client = api(billing_admin)

    assert client.get(f"{URL}999999/").status_code == 404
    assert client.patch(f"{URL}999999/", {"note": "x"}, format="json").status_code == 404
    assert client.post(f"{URL}999999/cancel/", {"reason": "x"}, format="json").status_code == 404


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": ...}, "kind"),
        ({"starts_at": ...}, "starts_at"),
        ({"ends_at": ...}, "ends_at"),
        ({"kind": "alien_invasion"}, "kind"),
        ({"kind": ["force_majeure"]}, "kind"),
        ({"starts_at": "yesterday"}, "starts_at"),
        ({"ends_at": 1741600000}, "ends_at"),
        ({"starts_at": "2026-03-10T09:00:00"}, "starts_at"),  # no offset: ambiguous
        ({"starts_at": "9999-01-01T00:00:00Z", "ends_at": "9999-01-02T00:00:00Z"}, "starts_at"),
        ({"starts_at": "1970-01-01T00:00:00Z"}, "starts_at"),
        ({"ends_at": "9999-12-31T23:59:59Z"}, "ends_at"),
        ({"ends_at": "2026-03-10T08:00:00Z"}, "ends_at"),
        ({"ends_at": "2026-03-10T09:00:00Z"}, "ends_at"),
        ({"kind": "cloud_provider", "provider": ""}, "provider"),
        ({"kind": "cloud_provider", "provider": "   "}, "provider"),
        ({"note": "x" * 2001}, "note"),
        ({"provider": "p" * 101}, "provider"),
        ({"provider_sla_url": "javascript:alert(1)"}, "provider_sla_url"),
        ({"provider_sla_url": "not a link"}, "provider_sla_url"),
        ({"note": "bell\x07"}, "note"),
        ({"account": 999999}, "account"),
        ({"account": "abc"}, "account"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(api, billing_admin, overrides, field):
    response = api(billing_admin).post(URL, _payload(**overrides), format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not ExclusionPeriod.objects.exists()


def test_a_bad_update_changes_nothing(api, billing_admin, period):
    before = _snapshot()

    response = api(billing_admin).patch(
        f"{URL}{period.pk}/", {"ends_at": "2026-03-10T09:00:00Z"}, format="json"
    )

    assert response.status_code == 400 and "ends_at" in response.json()
    assert _snapshot() == before


def test_a_body_that_is_not_json_is_a_400(api, billing_admin):
    response = api(billing_admin).generic("POST", URL, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert not ExclusionPeriod.objects.exists()


def test_html_in_a_note_is_stored_verbatim(api, billing_admin):
    note = '<script>alert("x")</script> & <b>bold</b>'

    response = api(billing_admin).post(URL, _payload(note=note), format="json")

    assert response.status_code == 201
    assert response.json()["note"] == note
    assert ExclusionPeriod.objects.get().note == note


# --- what a period does to misses --------------------------------------------------------------


def _miss_row(client, miss: Miss) -> dict:
    return client.get(f"{MISSES}{miss.pk}/").json()


def test_a_period_over_a_recorded_miss_uncounts_it_and_cancelling_it_counts_it_again(
    api, billing_admin, engineer, customer, other_customer
):
    # Both started work late: 30 minutes after their 30-minute deadlines.
    ticket = make_ticket(customer=customer, priority="high", now=T0)
    elsewhere = make_ticket(customer=other_customer, priority="high", now=T0 + 5 * H)
    ticket_start_work(ticket=ticket, actor=engineer, now=T0 + H)
    ticket_start_work(ticket=elsewhere, actor=engineer, now=T0 + 6 * H)
    misses_record_due(now=T0 + 6 * H)
    miss, other = Miss.objects.get(ticket=ticket), Miss.objects.get(ticket=elsewhere)
    admin, viewer = api(billing_admin), api(customer)
    assert _miss_row(viewer, miss)["counted"] is True

    created = admin.post(
        URL,
        _payload(
            kind="cloud_provider",
            provider="AWS",
            starts_at="2026-03-10T10:15:00Z",
            ends_at="2026-03-10T12:00:00Z",
        ),
        format="json",
    )

    assert created.status_code == 201
    assert created.json()["misses_excluded"] == 1
    row = _miss_row(viewer, miss)
    period_id = created.json()["id"]
    assert row["counted"] is False
    assert row["excluded_reason"] == f"Cloud provider failure (AWS) #{period_id}"
    # The clock stood still from 10:15 until work started at 11:00: 45 minutes excused.
    assert row["deadline"] == "2026-03-10T11:15:00Z" and row["excused_seconds"] == 45 * 60
    assert [p["id"] for p in row["exclusion_periods"]] == [period_id]
    assert row["exclusion_periods"][0]["note"] == _payload()["note"]
    assert _miss_row(admin, other)["counted"] is True

    moved = admin.patch(
        f"{URL}{created.json()['id']}/",
        {"starts_at": "2026-03-10T15:00:00Z", "ends_at": "2026-03-10T16:00:00Z"},
        format="json",
    )
    assert moved.json()["misses_excluded"] == 1
    assert _miss_row(viewer, miss)["counted"] is True
    assert _miss_row(admin, other)["counted"] is False

    cancel = admin.post(f"{URL}{created.json()['id']}/cancel/", {"reason": "Wrong region"}, format="json")
    assert cancel.status_code == 200
    assert _miss_row(viewer, miss)["counted"] is True and _miss_row(viewer, miss)["excluded_reason"] is None
    assert _miss_row(admin, other)["counted"] is True
