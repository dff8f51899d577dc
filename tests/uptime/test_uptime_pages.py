"""Uptime pages: the customer's status pages, the staff incident view, maintenance, the month view.

The matrix on every page: anonymous goes to the login page; a customer sees their own account's
items (another account's are a 404); a role that may not see or do something gets a 403 and
nothing changes. A bad form is a 400 that names the field.
"""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from helpdesk.accounts.models import MonitoredItem
from sla.clocks.models import ExclusionPeriod
from sla.uptime.models import Downtime, MaintenanceWindow, UptimeShortfall
from sla.uptime.services import downtime as uptime_downtime
from sla.uptime.services import items as uptime_items
from sla.uptime.services import maintenance as uptime_maintenance
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def frozen(settings):
    settings.SECURE_SSL_REDIRECT = False
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(account, other_account, customer, other_customer, engineer, billing_admin):
    mine = uptime_items.item_create(created_by=billing_admin, account=account, name="Web shop")
    theirs = uptime_items.item_create(
        created_by=billing_admin, account=other_account, name="Their secret service"
    )
    ticket = make_ticket(customer=customer, subject="Checkout fails")
    my_down = uptime_downtime.downtime_record(
        item=mine, actor=engineer, starts_at=NOW - 3 * H, ends_at=NOW - H, note="Disk full on db-2"
    )
    uptime_downtime.downtime_link_ticket(downtime=my_down, actor=engineer, ticket=ticket)
    their_down = uptime_downtime.downtime_record(item=theirs, actor=engineer, starts_at=NOW - 2 * H)
    window = uptime_maintenance.maintenance_schedule(
        created_by=engineer,
        account=account,
        item=mine,
        kind="scheduled",
        starts_at=NOW + 24 * H,
        ends_at=NOW + 26 * H,
        note="Database upgrade",
    )
    their_window = uptime_maintenance.maintenance_schedule(
        created_by=engineer,
        account=other_account,
        kind="scheduled",
        starts_at=NOW + 24 * H,
        ends_at=NOW + 26 * H,
        note="Their private plans",
    )
    return {
        "mine": mine,
        "theirs": theirs,
        "ticket": ticket,
        "my_down": my_down,
        "their_down": their_down,
        "window": window,
        "their_window": their_window,
    }


def as_user(client, request, role):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    return client


def page(name, *args):
    return reverse(name, args=args)


# --- who may see what -------------------------------------------------------------------------------

PAGES = [
    # (url name, the object its argument is, anonymous, customer, other customer, engineer, billing admin)
    ("uptime", None, 302, 200, 200, 200, 200),
    ("uptime_item", "mine", 302, 200, 404, 200, 200),
    ("uptime_incidents", None, 302, 403, 403, 200, 200),
    ("uptime_incident", "my_down", 302, 403, 404, 200, 200),
    ("uptime_maintenance", None, 302, 403, 403, 200, 200),
    ("uptime_months", None, 302, 403, 403, 200, 200),
]
ROLES = ["anonymous", "customer", "other_customer", "engineer", "billing_admin"]


@pytest.mark.parametrize(
    ("name", "target", "expected"),
    [(name, target, dict(zip(ROLES, statuses, strict=True))) for name, target, *statuses in PAGES],
)
@pytest.mark.parametrize("role", ROLES)
def test_the_page_matrix(client, request, world, name, target, expected, role):
    url = page(name, world[target].pk) if target else page(name)

    response = as_user(client, request, role).get(url)

    assert response.status_code == expected[role]
    if expected[role] == 302:
        assert "/login/" in response["Location"]


def test_a_customers_overview_shows_their_services_and_planned_maintenance_only(client, world, customer):
    client.force_login(customer)

    html = client.get(page("uptime")).content.decode()

    assert "Web shop" in html and "Their secret service" not in html
    assert "Planned maintenance" in html and "Database upgrade" in html and "Their private plans" not in html
    assert "Monitor a service" not in html  # no item form for a customer
    nav = html.split("<main")[0]
    assert 'href="/uptime/"' in nav and "Incidents" not in nav


def test_the_status_page_shows_now_this_month_90_bars_and_incidents_with_their_tickets(
    client, world, customer
):
    client.force_login(customer)

    response = client.get(page("uptime_item", world["mine"].pk))

    html = response.content.decode()
    assert "Web shop" in html and "Up</span>" in html
    assert "99.73% up" in html  # 120 minutes down of March's 44,640 less the 120 of agreed maintenance
    assert html.count("<rect ") == 90
    assert "#dc2626" in html  # today's bar: below the guarantee
    assert "Disk full on db-2" in html
    assert reverse("ticket_detail", args=[world["ticket"].pk]) in html and "Checkout fails" in html
    assert "Database upgrade" in html and "upcoming" in html
    assert "Months below guarantee" in html and "2026-03" in html
    assert "Provisional until the month ends" in html
    assert "Edit the item" not in html
    assert reverse("uptime_incident", args=[world["my_down"].pk]) not in html  # the incident view is staff's


def test_an_ongoing_downtime_shows_the_item_down(client, world, other_customer):
    client.force_login(other_customer)

    html = client.get(page("uptime_item", world["theirs"].pk)).content.decode()

    assert "Down</span>" in html and "Ongoing" in html


def test_times_are_shown_in_the_viewers_time_zone(client, world, customer):
    customer.timezone = "Asia/Tokyo"
    customer.save()
    client.force_login(customer)

    html = client.get(page("uptime_item", world["mine"].pk)).content.decode()

    assert "Fri 20 Mar 2026, 18:00" in html  # 09:00 UTC
    assert "Times shown in Asia/Tokyo" in html


# --- staff: incidents --------------------------------------------------------------------------------


def test_staff_see_every_incident_and_filter_them(client, world, engineer, other_account):
    client.force_login(engineer)

    def table(params=None):
        html = client.get(page("uptime_incidents"), params or {}).content.decode()
        return html.split("<tbody>")[1].split("</tbody>")[0]  # not the record form's item choices

    everything, ongoing, theirs = table(), table({"ongoing": "yes"}), table({"account": other_account.pk})

    assert "Web shop" in everything and "Their secret service" in everything
    assert "Their secret service" in ongoing and "Web shop" not in ongoing
    assert "Their secret service" in theirs and "Web shop" not in theirs


@pytest.mark.parametrize("params", [{"month": "2026-13"}, {"account": "abc"}, {"ongoing": "maybe"}])
def test_a_bad_incident_filter_is_a_400(client, world, engineer, params):
    client.force_login(engineer)

    response = client.get(page("uptime_incidents"), params)

    assert response.status_code == 400 and "Those filters are not valid" in response.content.decode()


def test_staff_record_downtime_from_the_incident_view(client, world, engineer):
    client.force_login(engineer)

    response = client.post(
        page("uptime_incidents"),
        {
            "item": world["mine"].pk,
            "starts_at": "2026-03-20T11:30",
            "note": "Customer phoned",
        },
    )

    record = Downtime.objects.get(note="Customer phoned")
    assert response.status_code == 302 and response["Location"] == page("uptime_incident", record.pk)
    assert record.is_open and record.created_by == engineer


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"starts_at": "2026-03-21T11:30"}, "not ahead of time"),
        ({"starts_at": "yesterday"}, "Enter a valid date/time"),
        (
            {"starts_at": "2026-03-20T11:30", "ends_at": "2026-03-20T11:00"},
            "at least a minute after the start",
        ),
        ({"starts_at": "2026-03-20T11:30", "note": "x" * 2001}, "at most 2000 characters"),
    ],
)
def test_a_bad_downtime_form_is_a_400_naming_the_field(client, world, engineer, fields, problem):
    client.force_login(engineer)
    before = Downtime.objects.count()

    response = client.post(page("uptime_incidents"), {"item": world["mine"].pk, **fields})

    assert response.status_code == 400
    assert problem in response.content.decode() and "field--invalid" in response.content.decode()
    assert Downtime.objects.count() == before


def test_a_customer_cannot_post_downtime(client, world, customer):
    client.force_login(customer)

    form = {"item": world["mine"].pk, "starts_at": "2026-03-20T11:30"}

    response = client.post(page("uptime_incidents"), form)

    assert response.status_code == 403
    assert Downtime.objects.count() == 2


def test_staff_correct_annotate_link_and_void_from_the_incident_page(client, world, engineer, customer):
    client.force_login(engineer)
    url = page("uptime_incident", world["my_down"].pk)
    other_ticket = make_ticket(customer=customer, subject="Invoices page slow")

    corrected = client.post(
        url,
        {
            "action": "correct",
            "starts_at": "2026-03-20T08:55",
            "ends_at": "2026-03-20T11:00",
            "reason": "Logs show it earlier",
        },
    )
    annotated = client.post(url, {"action": "annotate", "note": "Root cause: full disk"})
    linked = client.post(url, {"action": "link", "ticket": other_ticket.pk})
    voided = client.post(url, {"action": "void", "reason": "Duplicate"})

    assert [r.status_code for r in (corrected, annotated, linked, voided)] == [302] * 4
    record = Downtime.objects.get(pk=world["my_down"].pk)
    assert record.starts_at == dt.datetime(2026, 3, 20, 8, 55, tzinfo=dt.UTC) and record.voided
    html = client.get(url).content.decode()
    for label in ("Recorded by hand", "Times corrected", "Note changed", "Ticket linked", "Voided"):
        assert label in html
    assert "Logs show it earlier" in html and "Invoices page slow" in html


def test_a_correction_without_a_reason_is_a_400(client, world, engineer):
    client.force_login(engineer)

    response = client.post(
        page("uptime_incident", world["my_down"].pk),
        {
            "action": "correct",
            "starts_at": "2026-03-20T08:55",
            "ends_at": "2026-03-20T11:00",
        },
    )

    assert response.status_code == 400 and "This field is required" in response.content.decode()
    assert Downtime.objects.get(pk=world["my_down"].pk).starts_at == NOW - 3 * H


def test_an_unknown_incident_action_is_a_400(client, world, engineer):
    client.force_login(engineer)

    response = client.post(page("uptime_incident", world["my_down"].pk), {"action": "explode"})

    assert response.status_code == 400


@pytest.mark.parametrize(("role", "status"), [("customer", 403), ("other_customer", 404)])
def test_customers_cannot_edit_an_incident(client, request, world, role, status):
    response = as_user(client, request, role).post(
        page("uptime_incident", world["my_down"].pk), {"action": "void", "reason": "Not down"}
    )

    assert response.status_code == status
    assert not Downtime.objects.get(pk=world["my_down"].pk).voided


# --- staff: maintenance ------------------------------------------------------------------------------


def test_staff_schedule_a_window_and_the_customer_sees_it(client, world, engineer, account, customer):
    client.force_login(engineer)

    response = client.post(
        page("uptime_maintenance"),
        {
            "account": account.pk,
            "kind": "scheduled",
            "starts_at": "2026-03-25T02:00",
            "ends_at": "2026-03-25T03:00",
            "note": "Kernel update",
        },
    )

    assert response.status_code == 302
    client.force_login(customer)
    assert "Kernel update" in client.get(page("uptime")).content.decode()


def test_an_engineer_cannot_record_an_emergency_window(client, world, engineer, account):
    client.force_login(engineer)

    response = client.post(
        page("uptime_maintenance"),
        {
            "account": account.pk,
            "kind": "emergency",
            "starts_at": "2026-03-20T02:00",
            "ends_at": "2026-03-20T03:00",
        },
    )

    assert response.status_code == 403
    assert "Only billing admins record emergency maintenance" in response.content.decode()
    assert not ExclusionPeriod.objects.exists()


def test_a_scheduled_window_in_the_past_is_a_400_naming_the_start(client, world, engineer, account):
    client.force_login(engineer)

    response = client.post(
        page("uptime_maintenance"),
        {
            "account": account.pk,
            "kind": "scheduled",
            "starts_at": "2026-03-19T02:00",
            "ends_at": "2026-03-19T03:00",
        },
    )

    assert response.status_code == 400 and "record an emergency window instead" in response.content.decode()
    assert MaintenanceWindow.objects.count() == 2


@pytest.mark.parametrize(
    ("role", "status", "cancelled"),
    [
        ("anonymous", 302, False),
        ("customer", 403, False),
        ("other_customer", 404, False),
        ("engineer", 302, True),
        ("billing_admin", 302, True),
    ],
)
def test_cancelling_a_window(client, request, world, role, status, cancelled):
    response = as_user(client, request, role).post(page("uptime_maintenance_cancel", world["window"].pk))

    assert response.status_code == status
    assert MaintenanceWindow.objects.get(pk=world["window"].pk).cancelled == cancelled


# --- the month view and items --------------------------------------------------------------------------


def test_the_month_view_shows_every_items_figures_and_credit(client, world, engineer):
    client.force_login(engineer)

    html = client.get(page("uptime_months"), {"month": "2026-03"}).content.decode()

    assert "Web shop" in html and "Their secret service" in html
    assert "100.00 USD" in html  # two started hours at 5% of 1000.00
    assert "counts toward termination" in html
    assert "Assess 2026-03 now" not in html  # billing admins only


def test_a_bad_month_is_a_400(client, world, engineer):
    client.force_login(engineer)

    assert client.get(page("uptime_months"), {"month": "2026-13"}).status_code == 400


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("customer", 403),
        ("engineer", 403),
        ("billing_admin", 302),
    ],
)
def test_assessing_a_month_from_the_month_view(client, request, world, role, status):
    UptimeShortfall.objects.all().delete()

    response = as_user(client, request, role).post(page("uptime_months"), {"month": "2026-03"})

    assert response.status_code == status
    assert UptimeShortfall.objects.exists() == (status == 302)


def test_a_billing_admin_adds_an_item_with_a_loopback_probe(client, world, billing_admin, account):
    client.force_login(billing_admin)

    response = client.post(
        page("uptime"),
        {
            "account": account.pk,
            "name": "API",
            "level": "critical",
            "probe_kind": "http",
            "probe_url": "http://127.0.0.1:8080/health",
            "probe_expected_status": 200,
            "is_active": "on",
        },
    )

    item = MonitoredItem.objects.get(name="API")
    assert response.status_code == 302 and response["Location"] == page("uptime_item", item.pk)
    assert item.probe_url == "http://127.0.0.1:8080/health"


def test_a_probe_outside_this_machine_is_a_400_naming_the_url(client, world, billing_admin, account):
    client.force_login(billing_admin)

    response = client.post(
        page("uptime"),
        {
            "account": account.pk,
            "name": "API",
            "level": "high",
            "probe_kind": "http",
            "probe_url": "http://169.254.169.254/latest/meta-data/",
            "probe_expected_status": 200,
        },
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "may not reach 169.254.169.254" in html and 'id="field-id_probe_url"' in html
    assert not MonitoredItem.objects.filter(name="API").exists()


@pytest.mark.parametrize("role", ["customer", "other_customer"])
def test_customers_do_not_add_items(client, request, world, account, role):
    response = as_user(client, request, role).post(page("uptime"), {"account": account.pk, "name": "API"})

    assert response.status_code == 403
    assert not MonitoredItem.objects.filter(name="API").exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("customer", 403),
        ("other_customer", 404),
        ("engineer", 403),
        ("billing_admin", 302),
    ],
)
def test_editing_an_item(client, request, world, role, status):
    response = as_user(client, request, role).post(
        page("uptime_item", world["mine"].pk),
        {
            "name": "Renamed",
            "level": "standard",
            "probe_kind": "none",
            "probe_expected_status": 200,
            "is_active": "on",
        },
    )

    assert response.status_code == status
    assert MonitoredItem.objects.get(pk=world["mine"].pk).name == ("Renamed" if status == 302 else "Web shop")
