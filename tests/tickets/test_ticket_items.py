"""A ticket names the affected covered item: validated, kept, shown, and on seed 004 it sets the target."""

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils.dateparse import parse_datetime

from helpdesk.tickets.models import Ticket, TicketEvent
from tests.factories import AccountFactory, CustomerFactory, MonitoredItemFactory, make_ticket, plan

URL = "/api/v1/tickets/"
H = 3600
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def business(db, settings):
    settings.SUPPORT_TIME_ZONE = "Europe/Berlin"
    return plan("business")


@pytest.fixture
def business_account(business):
    return AccountFactory(plan=business)


@pytest.fixture
def business_customer(business_account):
    return CustomerFactory(account=business_account)


@pytest.fixture
def critical(business_account):
    return MonitoredItemFactory(account=business_account, name="Web shop", level="critical")


@pytest.fixture
def standard(business_account):
    return MonitoredItemFactory(account=business_account, name="Intranet", level="standard")


def _payload(**overrides) -> dict:
    payload = {"subject": "Checkout fails", "description": "Since 09:00.", "priority": "general"}
    payload.update(overrides)
    return payload


def _hours(body: dict) -> float:
    return body["work_started_target"] / H


# --- the API ---------------------------------------------------------------------------------


def test_a_ticket_naming_a_critical_item_takes_its_level_and_severity_target(
    api, business_customer, critical
):
    response = api(business_customer).post(URL, _payload(item=critical.pk, severity="minor"), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["item"], body["item_name"], body["priority"]) == (critical.pk, "Web shop", "general")
    assert _hours(body) == 4  # critical:minor, with no outage declared
    ticket = Ticket.objects.get(pk=body["id"])
    assert ticket.item == critical and ticket.promise["item_level"] == "critical"
    created = TicketEvent.objects.get(ticket=ticket, code="created")
    assert (created.data["item"], created.data["item_level"]) == (critical.pk, "critical")


def test_detail_and_list_show_the_item(api, business_customer, critical, engineer):
    ticket = make_ticket(customer=business_customer, severity="fatal", item=critical)
    plain = make_ticket(customer=business_customer, severity="fatal")

    detail = api(business_customer).get(f"{URL}{ticket.pk}/").json()
    listed = {row["id"]: row for row in api(engineer).get(URL).json()["results"]}

    assert (detail["item"], detail["item_name"]) == (critical.pk, "Web shop")
    assert (listed[ticket.pk]["item"], listed[ticket.pk]["item_name"]) == (critical.pk, "Web shop")
    assert (listed[plain.pk]["item"], listed[plain.pk]["item_name"]) == (None, None)


def test_without_an_item_a_severity_plan_uses_its_default_level(api, business_customer, critical):
    response = api(business_customer).post(URL, _payload(severity="severe"), format="json")

    assert response.status_code == 201
    assert response.json()["item"] is None
    assert _hours(response.json()) == 2  # high (the default level):severe


def test_the_same_severity_on_a_lower_level_item_gets_a_longer_target(api, business_customer, standard):
    response = api(business_customer).post(URL, _payload(item=standard.pk, severity="severe"), format="json")

    assert _hours(response.json()) == 4


def test_staff_open_a_ticket_on_the_accounts_item(api, engineer, business_account, critical):
    response = api(engineer).post(
        URL, _payload(account=business_account.pk, item=critical.pk, severity="fatal"), format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["item"] == critical.pk and _hours(response.json()) == 1


def test_a_high_ticket_naming_an_item_needs_no_typed_service(api, business_customer, critical):
    response = api(business_customer).post(
        URL, _payload(priority="high", service_unavailable=True, item=critical.pk), format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["affected_service"] == "Web shop"


def test_an_item_on_a_plan_without_item_targets_is_kept_and_shown(api, customer, account):
    item = MonitoredItemFactory(account=account, name="Payments API")

    response = api(customer).post(URL, _payload(item=item.pk), format="json")

    assert response.status_code == 201
    assert response.json()["item_name"] == "Payments API"
    assert _hours(response.json()) == 6  # Advanced's General target: items change nothing there


@pytest.mark.parametrize(
    "value",
    ["other_account", "inactive", 999_999, "abc", True, -1, 0, 2**70, 1.5, {"id": 1}, "1; DROP TABLE x"],
)
def test_an_item_that_is_not_an_active_item_of_the_account_is_a_400_that_writes_nothing(
    api, business_customer, critical, value
):
    if value == "other_account":
        value = MonitoredItemFactory(account=AccountFactory(plan=critical.account.plan)).pk
    elif value == "inactive":
        value = MonitoredItemFactory(account=critical.account, is_active=False).pk

    response = api(business_customer).post(URL, _payload(item=value, severity="fatal"), format="json")

    assert response.status_code == 400
    assert "item" in response.json()
    assert not Ticket.objects.exists() and not TicketEvent.objects.exists()


def test_another_accounts_item_and_a_missing_one_get_the_same_answer(api, business_customer):
    others = MonitoredItemFactory(account=AccountFactory(plan=business_customer.account.plan))

    theirs = api(business_customer).post(URL, _payload(item=others.pk), format="json").json()
    missing = api(business_customer).post(URL, _payload(item=others.pk + 1000), format="json").json()

    assert theirs == missing


def test_anonymous_cannot_open_a_ticket_on_an_item(api, critical):
    response = api(None).post(URL, _payload(item=critical.pk), format="json")

    assert response.status_code == 401
    assert not Ticket.objects.exists()


def test_the_list_runs_the_same_queries_with_items(
    api, engineer, business_customer, critical, standard, django_assert_max_num_queries
):
    for item in (critical, standard, None):
        make_ticket(customer=business_customer, severity="minor", item=item)
    # the count, the page (with its items), the page's progress-update lapses
    with django_assert_max_num_queries(3):
        few = api(engineer).get(URL)
    for _ in range(20):
        make_ticket(customer=business_customer, severity="minor", item=critical)
        make_ticket(customer=business_customer, severity="minor", item=standard)
    with django_assert_max_num_queries(3):
        many = api(engineer).get(URL)

    assert few.json()["count"] == 3 and many.json()["count"] == 43


# --- reclassify ------------------------------------------------------------------------------


def test_reclassify_recounts_on_the_items_level(api, engineer, business_customer, critical):
    monday_nine = dt.datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)
    ticket = make_ticket(customer=business_customer, severity="minor", item=critical, now=monday_nine)
    assert ticket.work_started_target == 4 * H
    critical.level = "standard"  # a later change of the item keeps the promise the ticket was given
    critical.save(update_fields=["level"])

    response = api(engineer).post(
        f"{URL}{ticket.pk}/reclassify/", {"severity": "fatal", "reason": "Nobody can pay."}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["work_started_target"] == 1 * H  # critical:fatal, not standard's 2 h
    deadline = parse_datetime(response.json()["work_started_deadline"])
    assert deadline == dt.datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)


def test_reclassify_without_an_item_uses_the_default_level(api, engineer, business_customer):
    ticket = make_ticket(customer=business_customer, severity="minor")

    response = api(engineer).post(
        f"{URL}{ticket.pk}/reclassify/", {"severity": "severe", "reason": "More users."}, format="json"
    )

    assert response.json()["work_started_target"] == 2 * H


# --- the customer's form and the ticket page -------------------------------------------------


def test_the_form_offers_only_the_accounts_active_items(client, business_customer, critical, standard):
    retired = MonitoredItemFactory(account=critical.account, name="Old FTP", is_active=False)
    theirs = MonitoredItemFactory(account=AccountFactory(plan=critical.account.plan), name="Their CRM")
    client.force_login(business_customer)

    html = client.get(reverse("ticket_new")).content.decode()

    assert 'name="item"' in html
    assert f'value="{critical.pk}"' in html and f'value="{standard.pk}"' in html
    assert "Old FTP" not in html and f'value="{retired.pk}"' not in html
    assert "Their CRM" not in html and f'value="{theirs.pk}"' not in html


def test_an_account_without_items_sees_no_item_field(client, customer):
    client.force_login(customer)

    html = client.get(reverse("ticket_new")).content.decode()

    assert 'name="item"' not in html


def test_the_affected_service_is_labelled_when_it_is_needed_not_optional(client, customer, business_customer):
    client.force_login(customer)
    html = client.get(reverse("ticket_new")).content.decode()
    label = html[
        html.index('for="id_affected_service"') : html.index(
            "</label>", html.index('for="id_affected_service"')
        )
    ]
    assert "(required for High)" in label and "(optional)" not in label

    MonitoredItemFactory(account=business_customer.account)
    client.force_login(business_customer)
    html = client.get(reverse("ticket_new")).content.decode()
    label = html[
        html.index('for="id_affected_service"') : html.index(
            "</label>", html.index('for="id_affected_service"')
        )
    ]
    assert "unless you choose the affected item" in label


def test_a_high_ticket_without_a_service_names_the_field(client, customer):
    client.force_login(customer)

    response = client.post(
        reverse("ticket_new"),
        {"subject": "Down", "description": "All of it.", "priority": "high", "service_unavailable": "on"},
    )

    assert response.status_code == 400
    assert 'id="id_affected_service_error"' in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_customer_files_a_ticket_on_an_item_from_the_form(client, business_customer, critical):
    client.force_login(business_customer)

    response = client.post(
        reverse("ticket_new"),
        {
            "subject": "Shop slow",
            "description": "Pages take 20 s.",
            "priority": "general",
            "severity": "medium",
            "item": critical.pk,
        },
    )

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert ticket.item == critical and ticket.work_started_target == 2 * H
    page = client.get(response["Location"]).content.decode()
    assert "Affected item" in page and "Web shop" in page and "(critical level)" in page


@pytest.mark.parametrize("value", ["other_account", "inactive", "abc", "99999999999999999999999"])
def test_the_form_refuses_an_item_it_does_not_offer(client, business_customer, critical, value):
    if value == "other_account":
        value = MonitoredItemFactory(account=AccountFactory(plan=critical.account.plan)).pk
    elif value == "inactive":
        value = MonitoredItemFactory(account=critical.account, is_active=False).pk
    client.force_login(business_customer)

    response = client.post(
        reverse("ticket_new"),
        {"subject": "Shop slow", "description": "Slow.", "priority": "general", "item": value},
    )

    assert response.status_code == 400
    assert 'id="id_item_error"' in response.content.decode()
    assert not Ticket.objects.exists()


def test_staff_and_the_other_account_see_the_item_on_the_ticket_page_as_they_may(
    client, business_customer, critical, engineer, other_customer
):
    ticket = make_ticket(customer=business_customer, severity="fatal", item=critical)

    client.force_login(engineer)
    assert "Web shop" in client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    client.force_login(other_customer)
    assert client.get(reverse("ticket_detail", args=[ticket.pk])).status_code == 404


def test_the_form_shows_the_targets_by_item_level_and_severity(client, business_customer, customer):
    client.force_login(business_customer)
    html = client.get(reverse("ticket_new")).content.decode()
    table = html[html.index("data-item-targets") : html.index("</table>", html.index("data-item-targets"))]

    assert (
        '<th scope="row">critical</th><td>1 hour</td><td>1 hour</td><td>2 hours</td><td>4 hours</td>' in table
    )
    assert "default level" in table

    client.force_login(customer)  # a plan without item targets shows none
    assert "data-item-targets" not in client.get(reverse("ticket_new")).content.decode()
