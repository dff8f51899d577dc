"""The uptime API: every endpoint's permission matrix, bad input, and what it returns.

Anonymous is a 401; a customer sees their own account's objects, another account's are a
404; a role that may not act is a 403 and changes nothing. Bad input is a 400 naming the field.
"""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from helpdesk.accounts.models import MonitoredItem
from sla.clocks.models import ExclusionPeriod
from sla.uptime.models import Downtime, DowntimeEvent, MaintenanceWindow
from sla.uptime.services import downtime as uptime_downtime
from sla.uptime.services import items as uptime_items
from sla.uptime.services import maintenance as uptime_maintenance
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
ROLES = ["anonymous", "customer", "other_customer", "engineer", "billing_admin"]
BASE = "/api/v1/uptime"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(account, other_account, customer, other_customer, engineer, billing_admin):
    mine = uptime_items.item_create(
        created_by=billing_admin,
        account=account,
        name="Web shop",
        probe_kind="http",
        probe_url="http://127.0.0.1:9/health",
    )
    theirs = uptime_items.item_create(
        created_by=billing_admin, account=other_account, name="Their secret service"
    )
    my_down = uptime_downtime.downtime_record(
        item=mine, actor=engineer, starts_at=NOW - 3 * H, ends_at=NOW - H, note="Disk full"
    )
    their_down = uptime_downtime.downtime_record(
        item=theirs, actor=engineer, starts_at=NOW - 2 * H, ends_at=NOW - H
    )
    my_window = uptime_maintenance.maintenance_schedule(
        created_by=engineer,
        account=account,
        item=mine,
        kind="scheduled",
        starts_at=NOW + 24 * H,
        ends_at=NOW + 25 * H,
    )
    their_window = uptime_maintenance.maintenance_schedule(
        created_by=engineer,
        account=other_account,
        kind="scheduled",
        starts_at=NOW + 24 * H,
        ends_at=NOW + 25 * H,
    )
    return {
        "mine": mine,
        "theirs": theirs,
        "my_down": my_down,
        "their_down": their_down,
        "my_window": my_window,
        "their_window": their_window,
        "my_shortfall": mine.shortfalls.get(),
        "their_shortfall": theirs.shortfalls.get(),
    }


def client_for(request, api, role):
    return api(None if role == "anonymous" else request.getfixturevalue(role))


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


# --- items -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "seen"),
    [
        ("anonymous", 401, None),
        ("customer", 200, {"mine"}),
        ("other_customer", 200, {"theirs"}),
        ("engineer", 200, {"mine", "theirs"}),
        ("billing_admin", 200, {"mine", "theirs"}),
    ],
)
def test_items_list(request, api, world, role, status, seen):
    response = client_for(request, api, role).get(f"{BASE}/items/")

    assert response.status_code == status
    if seen is not None:
        assert ids(response) == {world[name].pk for name in seen}


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 200),
        ("other_customer", 404),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_item_detail(request, api, world, role, status):
    response = client_for(request, api, role).get(f"{BASE}/items/{world['mine'].pk}/")

    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["name"] == "Web shop" and body["guarantee_percent"] == "99.9000"
        assert body["probe_kind"] == "http" and body["state"] == "unknown"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 403),
        ("other_customer", 403),
        ("engineer", 403),
        ("billing_admin", 201),
    ],
)
def test_item_create(request, api, world, account, role, status):
    before = MonitoredItem.objects.count()

    response = client_for(request, api, role).post(
        f"{BASE}/items/",
        {
            "account": account.pk,
            "name": "Mail",
            "level": "critical",
            "probe_kind": "tcp",
            "probe_host": "127.0.0.1",
            "probe_port": 25,
        },
        format="json",
    )

    assert response.status_code == status
    if status == 201:
        assert response.json()["guarantee_percent"] == "99.9500"
        assert response.json()["probe_host"] == "127.0.0.1" and response.json()["probe_url"] is None
    else:
        assert MonitoredItem.objects.count() == before


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 403),
        ("other_customer", 404),
        ("engineer", 403),
        ("billing_admin", 200),
    ],
)
def test_item_update(request, api, world, role, status):
    response = client_for(request, api, role).patch(
        f"{BASE}/items/{world['mine'].pk}/", {"name": "Renamed", "level": "standard"}, format="json"
    )

    assert response.status_code == status
    item = MonitoredItem.objects.get(pk=world["mine"].pk)
    if status == 200:
        assert (item.name, item.guarantee_percent) == ("Renamed", Decimal("99.5"))
        # PATCH keeps the rest
        assert (item.probe_kind, item.probe_url) == ("http", "http://127.0.0.1:9/health")
    else:
        assert (item.name, item.guarantee_percent) == ("Web shop", Decimal("99.9"))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "No account"}, "account"),
        ({"account": 999_999_999, "name": "Ghost"}, "account"),
        ({"account": "mine"}, "account"),
        ({"name": "Missing name"}, "account"),
        ({"ACCOUNT": 1, "name": ""}, "account"),
        ({"name": "", "account": None}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": "null\x00byte"}, "name"),
        ({"name": "bell\x07"}, "name"),
        ({"name": "Shop", "level": "platinum"}, "level"),
        ({"name": "Shop", "probe_kind": "icmp"}, "probe_kind"),
        ({"name": "Shop", "probe_kind": "http", "probe_url": "http://10.0.0.1/"}, "probe_url"),
        ({"name": "Shop", "probe_kind": "http", "probe_url": "http://169.254.169.254/latest/"}, "probe_url"),
        ({"name": "Shop", "probe_kind": "http", "probe_url": "https://example.com/"}, "probe_url"),
        ({"name": "Shop", "probe_kind": "http", "probe_url": "file:///etc/passwd"}, "probe_url"),
        ({"name": "Shop", "probe_kind": "http", "probe_url": "http://127.0.0.1/" + "a" * 600}, "probe_url"),
        ({"name": "Shop", "probe_kind": "tcp", "probe_host": "192.168.0.1", "probe_port": 22}, "probe_host"),
        ({"name": "Shop", "probe_kind": "tcp", "probe_host": "127.0.0.1", "probe_port": "abc"}, "probe_port"),
        (
            {"name": "Shop", "probe_kind": "tcp", "probe_host": "127.0.0.1", "probe_port": 70_000},
            "probe_port",
        ),
        ({"name": "Shop", "probe_expected_status": 99}, "probe_expected_status"),
        ({"name": "Shop", "is_active": "perhaps"}, "is_active"),
        ({"name": ["Shop"]}, "name"),
    ],
)
def test_bad_item_input_is_a_400_naming_the_field_and_writes_nothing(
    api, world, billing_admin, account, body, field
):
    body = dict(body)
    if field != "account":
        body.setdefault("account", account.pk)
        if body["account"] is None:
            body["account"] = account.pk
    before = MonitoredItem.objects.count()

    response = api(billing_admin).post(f"{BASE}/items/", body, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json(), response.json()
    assert MonitoredItem.objects.count() == before


def test_a_body_that_is_not_an_object_is_a_400(api, world, billing_admin):
    response = api(billing_admin).post(f"{BASE}/items/", ["not", "an", "object"], format="json")

    assert response.status_code == 400 and "detail" in response.json()


# --- downtime ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "seen"),
    [
        ("anonymous", 401, None),
        ("customer", 200, {"my_down"}),
        ("other_customer", 200, {"their_down"}),
        ("engineer", 200, {"my_down", "their_down"}),
        ("billing_admin", 200, {"my_down", "their_down"}),
    ],
)
def test_downtime_list(request, api, world, role, status, seen):
    response = client_for(request, api, role).get(f"{BASE}/downtimes/")

    assert response.status_code == status
    if seen is not None:
        assert ids(response) == {world[name].pk for name in seen}


def test_a_customer_never_sees_a_voided_record(api, world, customer, engineer):
    uptime_downtime.downtime_void(downtime=world["my_down"], actor=engineer, reason="Test alarm")

    assert ids(api(customer).get(f"{BASE}/downtimes/")) == set()
    assert api(customer).get(f"{BASE}/downtimes/{world['my_down'].pk}/").status_code == 404
    assert api(engineer).get(f"{BASE}/downtimes/{world['my_down'].pk}/").json()["voided"] is True


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 200),
        ("other_customer", 404),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_downtime_detail(request, api, world, role, status):
    response = client_for(request, api, role).get(f"{BASE}/downtimes/{world['my_down'].pk}/")

    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["duration_seconds"] == 7200 and body["source"] == "manual" and not body["ongoing"]
        assert [e["code"] for e in body["events"]] == ["recorded"]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 403),
        ("other_customer", 403),
        ("engineer", 201),
        ("billing_admin", 201),
    ],
)
def test_downtime_record(request, api, world, role, status):
    before = Downtime.objects.count()

    response = client_for(request, api, role).post(
        f"{BASE}/downtimes/",
        {
            "item": world["mine"].pk,
            "starts_at": "2026-03-20T11:30:45+01:00",
            "note": "Reported by phone",
        },
        format="json",
    )

    assert response.status_code == status
    if status == 201:
        body = response.json()
        assert body["starts_at"] == "2026-03-20T10:30:00Z" and body["ongoing"] and body["ends_at"] is None
    else:
        assert Downtime.objects.count() == before


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 403),
        ("other_customer", 404),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_downtime_correct_and_annotate(request, api, world, role, status):
    record = world["my_down"]
    events = DowntimeEvent.objects.count()

    response = client_for(request, api, role).patch(
        f"{BASE}/downtimes/{record.pk}/",
        {
            "ends_at": "2026-03-20T11:30:00Z",
            "reason": "Monitoring saw it later",
            "note": "Disk full on db-2",
        },
        format="json",
    )

    assert response.status_code == status
    record.refresh_from_db()
    if status == 200:
        assert [e["code"] for e in response.json()["events"]] == ["recorded", "corrected", "annotated"]
        assert record.ends_at == dt.datetime(2026, 3, 20, 11, 30, tzinfo=dt.UTC)
    else:
        assert record.ends_at == NOW - H and record.note == "Disk full"
        assert DowntimeEvent.objects.count() == events


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 403),
        ("other_customer", 404),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_downtime_void(request, api, world, role, status):
    response = client_for(request, api, role).post(
        f"{BASE}/downtimes/{world['my_down'].pk}/void/", {"reason": "A test alarm"}, format="json"
    )

    assert response.status_code == status
    assert Downtime.objects.get(pk=world["my_down"].pk).voided == (status == 200)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 403),
        ("other_customer", 404),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_downtime_link_and_unlink_ticket(request, api, world, customer, role, status):
    ticket = make_ticket(customer=customer, subject="Shop is down")
    client = client_for(request, api, role)
    url = f"{BASE}/downtimes/{world['my_down'].pk}/"

    linked = client.post(f"{url}link-ticket/", {"ticket": ticket.pk}, format="json")

    assert linked.status_code == status
    if status == 200:
        assert linked.json()["tickets"] == [ticket.pk]
        unlinked = client.post(f"{url}unlink-ticket/", {"ticket": ticket.pk}, format="json")
        assert unlinked.json()["tickets"] == []
    else:
        assert not world["my_down"].tickets.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"starts_at": "2026-03-20T10:00:00Z"}, "item"),
        ({"item": 999_999_999, "starts_at": "2026-03-20T10:00:00Z"}, "item"),
        ({"item": "web shop", "starts_at": "2026-03-20T10:00:00Z"}, "item"),
        ({"item": "MINE"}, "starts_at"),
        ({"item": "MINE", "starts_at": "2026-03-20T10:00:00"}, "starts_at"),  # no offset
        ({"item": "MINE", "starts_at": "9999-12-31T23:59:00Z"}, "starts_at"),  # far future
        ({"item": "MINE", "starts_at": "1970-01-01T00:00:00Z"}, "starts_at"),  # far past
        ({"item": "MINE", "starts_at": "2026-02-30T10:00:00Z"}, "starts_at"),
        ({"item": "MINE", "starts_at": "<script>alert(1)</script>"}, "starts_at"),
        ({"item": "MINE", "starts_at": "2026-03-20T10:00:00Z", "ends_at": "2026-03-20T09:00:00Z"}, "ends_at"),
        ({"item": "MINE", "starts_at": "2026-03-20T10:00:00Z", "ends_at": "2027-03-20T09:00:00Z"}, "ends_at"),
        ({"item": "MINE", "starts_at": "2026-03-20T10:00:00Z", "note": "x" * 2001}, "note"),
        (
            {"item": "MINE", "starts_at": "2026-03-20T10:00:00Z", "note": 42.5},
            None,
        ),  # DRF makes it text: fine
    ],
)
def test_bad_downtime_input_is_a_400_naming_the_field_and_writes_nothing(api, world, engineer, body, field):
    body = {k: (world["mine"].pk if v == "MINE" else v) for k, v in body.items()}
    before = (Downtime.objects.count(), DowntimeEvent.objects.count())

    response = api(engineer).post(f"{BASE}/downtimes/", body, format="json")

    if field is None:
        assert response.status_code == 201
        return
    assert response.status_code == 400, response.json()
    assert field in response.json(), response.json()
    assert (Downtime.objects.count(), DowntimeEvent.objects.count()) == before


def test_a_correction_needs_a_reason_and_an_empty_edit_is_a_400(api, world, engineer):
    url = f"{BASE}/downtimes/{world['my_down'].pk}/"

    no_reason = api(engineer).patch(url, {"ends_at": "2026-03-20T11:30:00Z"}, format="json")
    empty = api(engineer).patch(url, {}, format="json")

    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    assert empty.status_code == 400 and "detail" in empty.json()
    assert world["my_down"].events.count() == 1


def test_a_second_open_downtime_for_an_item_is_a_409(api, world, engineer):
    item = world["mine"].pk
    first = api(engineer).post(f"{BASE}/downtimes/", {"item": item, "starts_at": "2026-03-20T11:00:00Z"})
    second = api(engineer).post(f"{BASE}/downtimes/", {"item": item, "starts_at": "2026-03-20T11:30:00Z"})

    assert first.status_code == 201
    assert second.status_code == 409 and second.json()["code"] == "already_open"


def test_linking_another_accounts_ticket_is_a_400(api, world, engineer, other_customer):
    ticket = make_ticket(customer=other_customer)

    response = api(engineer).post(
        f"{BASE}/downtimes/{world['my_down'].pk}/link-ticket/", {"ticket": ticket.pk}, format="json"
    )

    assert response.status_code == 400 and "ticket" in response.json()


# --- maintenance windows -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "seen"),
    [
        ("anonymous", 401, None),
        ("customer", 200, {"my_window"}),
        ("other_customer", 200, {"their_window"}),
        ("engineer", 200, {"my_window", "their_window"}),
        ("billing_admin", 200, {"my_window", "their_window"}),
    ],
)
def test_maintenance_list(request, api, world, role, status, seen):
    response = client_for(request, api, role).get(f"{BASE}/maintenance-windows/", {"upcoming": "true"})

    assert response.status_code == status
    if seen is not None:
        assert ids(response) == {world[name].pk for name in seen}


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 200),
        ("other_customer", 404),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_maintenance_detail(request, api, world, role, status):
    assert (
        client_for(request, api, role).get(f"{BASE}/maintenance-windows/{world['my_window'].pk}/").status_code
        == status
    )


@pytest.mark.parametrize(
    ("role", "kind", "status"),
    [
        ("anonymous", "scheduled", 401),
        ("customer", "scheduled", 403),
        ("other_customer", "scheduled", 403),
        ("engineer", "scheduled", 201),
        ("billing_admin", "scheduled", 201),
        ("engineer", "emergency", 403),
        ("billing_admin", "emergency", 201),
    ],
)
def test_maintenance_schedule(request, api, world, account, role, kind, status):
    before = (MaintenanceWindow.objects.count(), ExclusionPeriod.objects.count())
    when = (
        ("2026-03-21T02:00:00Z", "2026-03-21T04:00:00Z")
        if kind == "scheduled"
        else ("2026-03-20T02:00:00Z", "2026-03-20T03:00:00Z")
    )

    response = client_for(request, api, role).post(
        f"{BASE}/maintenance-windows/",
        {
            "account": account.pk,
            "item": world["mine"].pk,
            "kind": kind,
            "starts_at": when[0],
            "ends_at": when[1],
            "note": "Upgrade",
        },
        format="json",
    )

    assert response.status_code == status
    if status == 201:
        assert response.json()["kind"] == kind
        assert (response.json()["exclusion_period"] is not None) == (kind == "emergency")
    else:
        assert (MaintenanceWindow.objects.count(), ExclusionPeriod.objects.count()) == before


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 403),
        ("other_customer", 404),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_maintenance_cancel(request, api, world, role, status):
    url = f"{BASE}/maintenance-windows/{world['my_window'].pk}/cancel/"

    response = client_for(request, api, role).post(url)

    assert response.status_code == status
    assert MaintenanceWindow.objects.get(pk=world["my_window"].pk).cancelled == (status == 200)


SOON, LATER = "2026-03-21T11:00:00Z", "2026-03-21T13:00:00Z"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "scheduled", "starts_at": "2026-03-20T11:00:00Z", "ends_at": LATER}, "starts_at"),  # begun
        ({"kind": "soon", "starts_at": SOON, "ends_at": LATER}, "kind"),
        ({"kind": "scheduled", "starts_at": SOON, "ends_at": "2026-03-21T10:00:00Z"}, "ends_at"),
        (
            {"kind": "scheduled", "starts_at": "2030-03-21T11:00:00Z", "ends_at": "2030-03-22T13:00:00Z"},
            "starts_at",
        ),
        ({"kind": "scheduled", "starts_at": SOON, "ends_at": "2026-05-21T13:00:00Z"}, "ends_at"),
        ({"kind": "scheduled", "starts_at": "2026-03-21T11:00:00", "ends_at": LATER}, "starts_at"),
        ({"kind": "scheduled", "starts_at": SOON, "ends_at": LATER, "item": "THEIRS"}, "item"),
        ({"kind": "scheduled", "starts_at": SOON, "ends_at": LATER, "item": 999_999_999}, "item"),
    ],
)
def test_bad_maintenance_input_is_a_400_naming_the_field(api, world, engineer, account, body, field):
    body = {k: (world["theirs"].pk if v == "THEIRS" else v) for k, v in body.items()}
    body["account"] = account.pk
    before = MaintenanceWindow.objects.count()

    response = api(engineer).post(f"{BASE}/maintenance-windows/", body, format="json")

    assert response.status_code == 400 and field in response.json(), response.json()
    assert MaintenanceWindow.objects.count() == before


# --- monthly uptime and shortfalls ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "seen"),
    [
        ("anonymous", 401, None),
        ("customer", 200, {"mine"}),
        ("other_customer", 200, {"theirs"}),
        ("engineer", 200, {"mine", "theirs"}),
        ("billing_admin", 200, {"mine", "theirs"}),
    ],
)
def test_month_list(request, api, world, role, status, seen):
    response = client_for(request, api, role).get(f"{BASE}/months/2026-03/")

    assert response.status_code == status
    if seen is not None:
        rows = {row["item"]: row for row in response.json()["results"]}
        assert set(rows) == {world[name].pk for name in seen}
        if "mine" in seen:
            mine = rows[world["mine"].pk]
            # March less the hour of maintenance agreed for the 21st: 44,580 counted minutes.
            assert mine["month_seconds"] == 44_640 * 60 and mine["excluded_seconds"] == 3600
            assert mine["downtime_seconds"] == 7200
            assert mine["permitted_downtime_seconds"] == 2674  # 44.58 minutes, whole seconds down
            assert mine["excess_seconds"] == 4525 and mine["started_hours"] == 2
            assert mine["uptime_percent"] == "99.7308" and mine["below_guarantee"] is True
            assert mine["shortfall"] == world["my_shortfall"].pk


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 200),
        ("other_customer", 404),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_item_month(request, api, world, role, status):
    response = client_for(request, api, role).get(f"{BASE}/items/{world['mine'].pk}/months/2026-02/")

    assert response.status_code == status
    if status == 200:
        assert response.json()["month_seconds"] == 28 * 1440 * 60 and response.json()["downtime_seconds"] == 0


@pytest.mark.parametrize("month", ["2026-13", "26-03", "1999-12", "2101-01", "march", "2026-3"])
def test_a_bad_month_is_a_400_naming_it(api, world, customer, month):
    assert api(customer).get(f"{BASE}/months/{month}/").json() == {
        "month": ["Give a month as YYYY-MM, between 2000-01 and 2100-12."]
    }
    response = api(customer).get(f"{BASE}/items/{world['mine'].pk}/months/{month}/")
    assert response.status_code == 400 and "month" in response.json()


@pytest.mark.parametrize(
    ("role", "status", "seen"),
    [
        ("anonymous", 401, None),
        ("customer", 200, {"my_shortfall"}),
        ("other_customer", 200, {"their_shortfall"}),
        ("engineer", 200, {"my_shortfall", "their_shortfall"}),
        ("billing_admin", 200, {"my_shortfall", "their_shortfall"}),
    ],
)
def test_shortfall_list(request, api, world, role, status, seen):
    response = client_for(request, api, role).get(f"{BASE}/shortfalls/", {"month": "2026-03"})

    assert response.status_code == status
    if seen is not None:
        assert ids(response) == {world[name].pk for name in seen}


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 200),
        ("other_customer", 404),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_shortfall_detail(request, api, world, role, status):
    response = client_for(request, api, role).get(f"{BASE}/shortfalls/{world['my_shortfall'].pk}/")

    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["credit_amount"] == "100.00" and body["currency"] == "USD"
        assert body["credit_percent"] == "10.0000" and body["started_hours"] == 2
        assert body["counted"] is True and body["claimable"] is False and body["final"] is False


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 403),
        ("other_customer", 403),
        ("engineer", 403),
        ("billing_admin", 200),
    ],
)
def test_shortfall_assess(request, api, world, role, status):
    client = client_for(request, api, role)

    response = client.post(f"{BASE}/shortfalls/assess/", {"month": "2026-03"}, format="json")

    assert response.status_code == status
    if status == 200:
        assert response.json() == {"month": "2026-03", "items": 2, "below": 2, "created": 0, "updated": 0}


def test_assess_needs_a_month(api, world, billing_admin):
    response = api(billing_admin).post(f"{BASE}/shortfalls/assess/", {"month": "2026-13"}, format="json")

    assert response.status_code == 400 and "month" in response.json()


def test_the_schema_publishes_every_uptime_endpoint(client, db):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]

    for path in (
        "/api/v1/uptime/items/",
        "/api/v1/uptime/items/{id}/",
        "/api/v1/uptime/items/{id}/months/{month}/",
        "/api/v1/uptime/downtimes/",
        "/api/v1/uptime/downtimes/{id}/",
        "/api/v1/uptime/downtimes/{id}/void/",
        "/api/v1/uptime/downtimes/{id}/link-ticket/",
        "/api/v1/uptime/maintenance-windows/",
        "/api/v1/uptime/maintenance-windows/{id}/cancel/",
        "/api/v1/uptime/months/{month}/",
        "/api/v1/uptime/shortfalls/",
        "/api/v1/uptime/shortfalls/assess/",
    ):
        assert path in paths, path


# --- what a customer is told of a failed probe -------------------------------------------------


@pytest.mark.parametrize(
    ("role", "detail", "note"),
    [
        (
            "customer",
            "Our monitoring could not reach this service.",
            "Our monitoring could not reach this service.",
        ),
        (
            "engineer",
            "ConnectionRefusedError: [Errno 111] Connection refused",
            "ConnectionRefusedError (probe)",
        ),
    ],
)
def test_a_failed_probes_detail_is_for_staff(request, api, world, role, detail, note):
    item = world["mine"]
    MonitoredItem.objects.filter(pk=item.pk).update(
        last_probe_ok=False, last_probe_detail="ConnectionRefusedError: [Errno 111] Connection refused"
    )
    Downtime.objects.create(
        item=item,
        account=item.account,
        starts_at=NOW - 30 * dt.timedelta(minutes=1),
        source="probe",
        note="ConnectionRefusedError (probe)",
        created_at=NOW,
    )
    client = client_for(request, api, role)

    shown = client.get(f"{BASE}/items/{item.pk}/").json()
    downtimes = client.get(f"{BASE}/downtimes/", {"item": item.pk}).json()["results"]

    assert shown["last_probe_detail"] == detail
    assert [d["note"] for d in downtimes if d["source"] == "probe"] == [note]
    assert "Disk full" in [d["note"] for d in downtimes]  # staff's own notes are shown to customers
