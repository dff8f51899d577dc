"""Support staff add and edit covered items from the uptime pages; emergency windows are declared
afterwards by billing admins only, with a note (issue 11), on the pages, the API and in sla.clocks.
"""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from helpdesk.accounts.models import MonitoredItem
from helpdesk.kit.roles import Denied
from sla.clocks.models import ExclusionPeriod
from sla.clocks.services.exclusions import exclusion_cancel, exclusion_create
from sla.uptime.models import MaintenanceWindow
from sla.uptime.services import items as uptime_items
from tests.factories import AccountFactory, plan

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
API = "/api/v1/uptime"


@pytest.fixture(autouse=True)
def frozen(settings):
    settings.SECURE_SSL_REDIRECT = False
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def mine(account, billing_admin):
    return uptime_items.item_create(created_by=billing_admin, account=account, name="Web shop")


@pytest.fixture
def theirs(other_account, billing_admin):
    return uptime_items.item_create(created_by=billing_admin, account=other_account, name="Their CRM")


def as_user(client, request, role):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    return client


def _item_form(for_account, **overrides) -> dict:
    data = {
        "account": for_account.pk,
        "name": "Payments API",
        "level": "high",
        "probe_kind": "tcp",
        "probe_host": "127.0.0.1",
        "probe_port": 8443,
        "probe_expected_status": 200,
        "is_active": "on",
    }
    data.update(overrides)
    return data


def _items():
    return sorted(MonitoredItem.objects.values_list("pk", "name", "level", "probe_kind", "probe_url"))


# --- items from the pages --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("customer", 403),
        ("other_customer", 403),
        ("engineer", 403),
        ("billing_admin", 302),
    ],
)
def test_adding_an_item_from_the_uptime_page(client, request, account, mine, role, status):
    before = _items()

    response = as_user(client, request, role).post(reverse("uptime"), _item_form(account))

    assert response.status_code == status
    if role == "billing_admin":
        item = MonitoredItem.objects.get(name="Payments API")
        assert response["Location"] == reverse("uptime_item", args=[item.pk])
        assert (item.account, item.level, item.probe_target) == (account, "high", "127.0.0.1:8443")
        assert item.created_by == request.getfixturevalue(role)
    else:
        assert _items() == before


def test_a_billing_admin_sees_the_add_form_with_the_plans_levels(client, billing_admin, account, mine):
    client.force_login(billing_admin)

    html = client.get(reverse("uptime")).content.decode()

    assert 'name="probe_kind"' in html and 'name="level"' in html
    for level in account.plan.uptime_terms["levels"]:
        assert f'value="{level}"' in html


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": "Web shop"}, "name"),  # the account has one by that name
        ({"level": "platinum"}, "level"),
        ({"level": "<script>alert(1)</script>"}, "level"),
        ({"probe_kind": "icmp"}, "probe_kind"),
        ({"probe_kind": "http", "probe_url": "ftp://127.0.0.1/"}, "probe_url"),
        ({"probe_kind": "http", "probe_url": "http://169.254.169.254/latest/"}, "probe_url"),
        ({"probe_kind": "http", "probe_url": "http://127.0.0.1/' OR 1=1--"}, "probe_url"),
        ({"probe_port": 70000}, "probe_port"),
        ({"probe_port": "eighty"}, "probe_port"),
        ({"probe_port": 10**30}, "probe_port"),
        ({"probe_host": "10.0.0.8"}, "probe_host"),
        ({"probe_expected_status": 99}, "probe_expected_status"),
        ({"account": 10**30}, "account"),
        ({"account": "x"}, "account"),
    ],
)
def test_bad_item_input_is_a_400_naming_the_field_and_writes_nothing(
    client, billing_admin, account, mine, overrides, field
):
    client.force_login(billing_admin)
    before = _items()

    response = client.post(reverse("uptime"), _item_form(account, **overrides))

    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert _items() == before


def test_a_level_the_accounts_plan_lacks_is_a_400(client, billing_admin, mine):
    other_plan = plan("business")
    other_plan.uptime_terms = {
        **other_plan.uptime_terms,
        "levels": {"gold": "99.90"},
        "default_level": "gold",
    }
    other_plan.save(update_fields=["uptime_terms"])
    gold_account = AccountFactory(plan=other_plan)
    client.force_login(billing_admin)
    before = _items()

    response = client.post(reverse("uptime"), _item_form(gold_account, level="critical"))

    assert response.status_code == 400 and 'id="id_level_error"' in response.content.decode()
    assert _items() == before


@pytest.mark.parametrize(
    ("role", "status"),
    [("customer", 403), ("other_customer", 404), ("engineer", 403), ("billing_admin", 302)],
)
def test_editing_an_items_probe_from_its_page(client, request, mine, role, status):
    response = as_user(client, request, role).post(
        reverse("uptime_item", args=[mine.pk]),
        {
            "name": "Web shop",
            "level": "critical",
            "probe_kind": "http",
            "probe_url": "http://127.0.0.1:8080/health",
            "probe_expected_status": 204,
            "is_active": "on",
        },
    )

    assert response.status_code == status
    mine.refresh_from_db()
    changed = (mine.level, mine.probe_url, mine.probe_expected_status)
    if status == 302:
        assert changed == ("critical", "http://127.0.0.1:8080/health", 204)
        assert str(mine.guarantee_percent) == "99.9500"
    else:
        assert changed == ("high", "", 200)


def test_the_edit_form_offers_the_items_plan_levels_with_their_guarantees(client, billing_admin, mine):
    client.force_login(billing_admin)

    html = client.get(reverse("uptime_item", args=[mine.pk])).content.decode()

    for level, percent in mine.account.plan.uptime_terms["levels"].items():
        assert f'value="{level}"' in html and f"{level} — " in html and str(percent).rstrip("0") in html


def test_an_edit_with_a_forbidden_probe_target_is_a_400_and_changes_nothing(client, billing_admin, mine):
    client.force_login(billing_admin)

    response = client.post(
        reverse("uptime_item", args=[mine.pk]),
        {
            "name": "Web shop",
            "level": "high",
            "probe_kind": "tcp",
            "probe_host": "8.8.8.8",
            "probe_port": 53,
            "probe_expected_status": 200,
        },
    )

    assert response.status_code == 400 and 'id="id_probe_host_error"' in response.content.decode()
    mine.refresh_from_db()
    assert mine.probe_kind == "none"


def test_another_accounts_item_page_is_a_404_for_a_customer(client, customer, theirs):
    client.force_login(customer)

    assert client.get(reverse("uptime_item", args=[theirs.pk])).status_code == 404


def test_the_item_list_keeps_its_query_count_as_items_grow(
    client, engineer, account, billing_admin, django_assert_max_num_queries
):
    client.force_login(engineer)
    for n in range(3):
        uptime_items.item_create(created_by=billing_admin, account=account, name=f"Item {n}")
    client.get(reverse("uptime"))
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("uptime"))
    for n in range(3, 25):
        uptime_items.item_create(created_by=billing_admin, account=account, name=f"Item {n}")
    with django_assert_max_num_queries(30) as many:
        client.get(reverse("uptime"))

    assert len(many.captured_queries) == len(few.captured_queries)


# --- emergency windows: billing admins, afterwards, with a note ------------------------------


def _emergency(account, item=None, **overrides) -> dict:
    data = {
        "account": account.pk,
        "kind": "emergency",
        "starts_at": "2026-03-20T02:00",
        "ends_at": "2026-03-20T03:00",
        "note": "Power failure in rack 4",
    }
    if item is not None:
        data["item"] = item.pk
    data.update(overrides)
    return data


def _windows():
    return MaintenanceWindow.objects.count(), ExclusionPeriod.objects.count()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("customer", 403),
        ("other_customer", 403),
        ("engineer", 403),
        ("billing_admin", 302),
    ],
)
def test_an_emergency_window_from_the_page_is_a_billing_admins(client, request, account, mine, role, status):
    before = _windows()

    response = as_user(client, request, role).post(reverse("uptime_maintenance"), _emergency(account, mine))

    assert response.status_code == status
    if role == "billing_admin":
        window = MaintenanceWindow.objects.get(kind="emergency")
        assert "Power failure in rack 4" in window.exclusion_period.note
    else:
        assert _windows() == before


@pytest.mark.parametrize("note", ["", "   "])
def test_an_emergency_window_without_a_note_is_a_400_naming_it(client, billing_admin, account, mine, note):
    client.force_login(billing_admin)
    before = _windows()

    response = client.post(reverse("uptime_maintenance"), _emergency(account, mine, note=note))

    assert response.status_code == 400
    assert 'id="id_note_error"' in response.content.decode()
    assert _windows() == before


def test_the_maintenance_form_says_when_the_note_is_required(client, billing_admin):
    client.force_login(billing_admin)

    html = client.get(reverse("uptime_maintenance")).content.decode()

    label = html[html.index('for="id_note"') : html.index("</label>", html.index('for="id_note"'))]
    assert "(required for an emergency window)" in label and "(optional)" not in label


@pytest.mark.parametrize(
    ("role", "note", "status"),
    [
        ("engineer", "Power failure", 403),
        ("billing_admin", "", 400),
        ("billing_admin", "x" * 2001, 400),
        ("billing_admin", "Power failure", 201),
    ],
)
def test_an_emergency_window_through_the_api(request, api, account, mine, role, note, status):
    before = _windows()

    response = api(request.getfixturevalue(role)).post(
        f"{API}/maintenance-windows/",
        {
            "account": account.pk,
            "item": mine.pk,
            "kind": "emergency",
            "starts_at": "2026-03-20T02:00:00Z",
            "ends_at": "2026-03-20T03:00:00Z",
            "note": note,
        },
        format="json",
    )

    assert response.status_code == status
    if status == 400:
        assert "note" in response.json()
    if status != 201:
        assert _windows() == before


def test_an_engineer_cannot_declare_an_exclusion_period_through_the_service(engineer, billing_admin, account):
    with pytest.raises(Denied):
        exclusion_create(
            created_by=engineer,
            kind="force_majeure",
            starts_at=NOW - 2 * H,
            ends_at=NOW - H,
            note="Flood",
            account=account,
        )
    assert not ExclusionPeriod.objects.exists()

    period = exclusion_create(
        created_by=billing_admin,
        kind="force_majeure",
        starts_at=NOW - 2 * H,
        ends_at=NOW - H,
        note="Flood",
        account=account,
    )
    with pytest.raises(Denied):
        exclusion_cancel(period=period, actor=engineer, reason="Was not a flood")
    period.refresh_from_db()
    assert not period.cancelled
