"""/api/v1/tickets/: create, list, read; the promise each ticket carries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from helpdesk.tickets.models import Ticket
from sla.terms.models import Plan
from tests.factories import AccountFactory, CustomerFactory, make_ticket, ticket_copies

URL = "/api/v1/tickets/"
H = 3600


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # DEBUG is off in tests, so production's HTTPS redirect would answer every request with a 301.
    settings.SECURE_SSL_REDIRECT = False


def _user(request, role):
    return None if role == "anonymous" else request.getfixturevalue(role)


def _payload(**overrides) -> dict:
    payload = {
        "subject": "Checkout fails",
        "description": "Customers get an error after paying.\nSince 09:00.",
        "priority": "general",
        "service_unavailable": False,
        "affected_service": "",
    }
    payload.update(overrides)
    return payload


def _copies(template: Ticket, count: int) -> None:
    ticket_copies(template, count)


# --- creating ------------------------------------------------------------------------------


def test_customer_opens_a_ticket_for_their_account(api, customer, account):
    response = api(customer).post(URL, _payload(), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["account"] == account.pk
    assert body["status"] == "new"
    assert body["priority"] == "general"
    assert body["severity"] is None
    assert body["plan_code"] == "advanced"
    assert body["plan"] == account.plan_id
    assert body["work_started_target"] == 6 * H
    assert body["work_started_at"] is None
    assert body["sla_state"] == "running"
    assert body["downgraded_from"] is None and body["downgrade_reason"] is None
    assert body["previous_deadline"] is None
    created = parse_datetime(body["created_at"])
    assert parse_datetime(body["work_started_deadline"]) == created + dt.timedelta(hours=6)
    assert created.utcoffset() is not None
    assert Ticket.objects.get(pk=body["id"]).created_by == customer


def test_account_sent_by_a_customer_is_ignored(api, customer, account, other_account):
    response = api(customer).post(URL, _payload(account=other_account.pk), format="json")

    assert response.status_code == 201
    assert response.json()["account"] == account.pk
    assert not Ticket.objects.filter(account=other_account).exists()


def test_customer_opens_a_high_ticket_for_a_service_that_is_down(api, customer):
    response = api(customer).post(
        URL,
        _payload(priority="high", service_unavailable=True, affected_service="Web shop"),
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["priority"] == "high"
    assert body["work_started_target"] == 30 * 60
    assert body["affected_service"] == "Web shop"
    assert body["service_unavailable"] is True


@pytest.mark.parametrize("role", ["engineer", "billing_admin"])
def test_staff_open_a_ticket_for_any_account(request, api, other_account, role):
    staff = _user(request, role)

    response = api(staff).post(URL, _payload(account=other_account.pk), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["account"] == other_account.pk
    assert response.json()["plan_code"] == "premium"
    assert Ticket.objects.get(pk=response.json()["id"]).created_by == staff


def test_severity_picks_the_level_severity_target_where_the_plan_uses_severity(api, engineer, plans):
    business = Plan.objects.get(uses_severity=True)
    # No item named: the plan's default level, by the severity.
    target = business.item_targets[f"{business.uptime_terms['default_level']}:minor"]
    client_account = AccountFactory(plan=business)

    response = api(engineer).post(URL, _payload(account=client_account.pk, severity="minor"), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["severity"] == "minor"
    assert response.json()["work_started_target"] == target
    assert response.json()["plan_code"] == business.code


@pytest.mark.parametrize("account_value", [None, "", "abc", 999999, 10**30, [1]])
def test_staff_must_name_an_existing_account(api, engineer, account, account_value):
    payload = _payload() if account_value is None else _payload(account=account_value)

    response = api(engineer).post(URL, payload, format="json")

    assert response.status_code == 400
    assert "account" in response.json()
    assert not Ticket.objects.exists()


def test_anonymous_cannot_open_a_ticket(api, account):
    response = api(None).post(URL, _payload(account=account.pk), format="json")

    assert response.status_code == 401
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"subject": None}, "subject"),
        ({"subject": ""}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"subject": ["a", "list"]}, "subject"),
        ({"subject": {"an": "object"}}, "subject"),
        ({"subject": "null\x00byte"}, "subject"),
        ({"subject": "escape\x1b[31m"}, "subject"),
        ({"description": ""}, "description"),
        ({"description": "x" * 20_001}, "description"),
        ({"description": "bell\x07"}, "description"),
        ({"priority": "urgent"}, "priority"),
        ({"priority": 1}, "priority"),
        ({"priority": None}, "priority"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"service_unavailable": "maybe"}, "service_unavailable"),
        ({"service_unavailable": [True]}, "service_unavailable"),
        ({"affected_service": "x" * 201}, "affected_service"),
        ({"affected_service": ["a"]}, "affected_service"),
        ({"priority": "high", "affected_service": "Web shop"}, "service_unavailable"),
        ({"priority": "high", "service_unavailable": True}, "affected_service"),
    ],
)
def test_ticket_with_bad_input_is_400_naming_the_field_and_writes_nothing(api, customer, overrides, field):
    response = api(customer).post(URL, _payload(**overrides), format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Ticket.objects.exists()


def test_missing_fields_are_all_named(api, customer):
    response = api(customer).post(URL, {}, format="json")

    assert response.status_code == 400
    assert {"subject", "description"} <= set(response.json())


def test_ticket_for_an_ended_subscription_is_refused(api, customer, account):
    account.is_active = False
    account.save(update_fields=["is_active"])

    response = api(customer).post(URL, _payload(), format="json")

    assert response.status_code == 400
    assert "account" in response.json()
    assert not Ticket.objects.exists()


def test_hostile_text_is_stored_and_returned_as_data(api, customer):
    subject = "<script>alert(document.cookie)</script>"
    description = "'; DROP TABLE helpdesk_ticket; --\n<img src=x onerror=alert(1)>"

    response = api(customer).post(URL, _payload(subject=subject, description=description), format="json")

    assert response.status_code == 201
    assert response["Content-Type"].startswith("application/json")
    assert (response.json()["subject"], response.json()["description"]) == (subject, description)
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.description) == (subject, description)


def test_ticket_can_be_opened_with_a_form_post(api, customer):
    response = api(customer).post(URL, _payload(), format="multipart")

    assert response.status_code == 201
    assert response.json()["service_unavailable"] is False


# --- reading -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 200),
        ("other_customer", 404),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_ticket_detail_matrix(request, api, ticket, role, status):
    response = api(_user(request, role)).get(f"{URL}{ticket.pk}/")

    assert response.status_code == status
    if status == 200:
        assert response.json()["id"] == ticket.pk
        assert response.json()["subject"] == ticket.subject


def test_unknown_ticket_is_404(api, engineer):
    assert api(engineer).get(f"{URL}999999/").status_code == 404
    assert api(engineer).get(f"{URL}{10**30}/").status_code == 404


def test_customer_lists_only_their_accounts_tickets(api, customer, other_customer, ticket):
    make_ticket(customer=other_customer)
    colleague = CustomerFactory(account=customer.account)
    colleagues_ticket = make_ticket(customer=colleague)

    response = api(customer).get(URL)

    assert response.status_code == 200
    assert {t["id"] for t in response.json()["results"]} == {ticket.pk, colleagues_ticket.pk}
    assert set(response.json()) == {"count", "next", "previous", "results"}


@pytest.mark.parametrize("role", ["engineer", "billing_admin"])
def test_staff_list_every_accounts_tickets(request, api, ticket, other_customer, role):
    others = make_ticket(customer=other_customer)

    response = api(_user(request, role)).get(URL)

    assert {t["id"] for t in response.json()["results"]} == {ticket.pk, others.pk}


def test_list_filters_by_status_priority_and_account(api, engineer, customer, other_customer):
    general = make_ticket(customer=customer)
    high = make_ticket(customer=customer, priority="high")
    elsewhere = make_ticket(customer=other_customer)
    started = make_ticket(customer=other_customer)
    api(engineer).post(f"{URL}{started.pk}/start-work/")
    client = api(engineer)

    def ids(query):
        return {t["id"] for t in client.get(URL, query).json()["results"]}

    assert ids({"priority": "high"}) == {high.pk}
    assert ids({"status": "work_started"}) == {started.pk}
    assert ids({"status": "new"}) == {general.pk, high.pk, elsewhere.pk}
    assert ids({"status": "open"}) == {general.pk, high.pk, elsewhere.pk, started.pk}
    assert ids({"account": customer.account_id}) == {general.pk, high.pk}
    assert ids({"account": customer.account_id, "priority": "general"}) == {general.pk}


def test_customer_filtering_by_another_account_sees_nothing(api, customer, other_customer, ticket):
    make_ticket(customer=other_customer)

    response = api(customer).get(URL, {"account": other_customer.account_id})

    assert response.status_code == 200
    assert response.json()["count"] == 0


@pytest.mark.parametrize(
    "query, field",
    [
        ({"status": "lost"}, "status"),
        ({"priority": "urgent"}, "priority"),
        ({"account": "abc"}, "account"),
        ({"account": str(10**30)}, "account"),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(api, engineer, query, field):
    response = api(engineer).get(URL, query)

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    "age, started, state",
    [
        (dt.timedelta(minutes=1), False, "running"),
        (dt.timedelta(hours=5), False, "at_risk"),  # past 80% of Advanced's 6 h General target
        (dt.timedelta(hours=7), False, "missed"),
        (dt.timedelta(hours=1), True, "met"),
    ],
)
def test_sla_state_is_read_from_the_stored_promise(api, engineer, customer, age, started, state):
    ticket = make_ticket(customer=customer, now=timezone.now() - age)
    if started:
        api(engineer).post(f"{URL}{ticket.pk}/start-work/")

    response = api(customer).get(f"{URL}{ticket.pk}/")

    assert response.json()["sla_state"] == state


def test_ticket_started_after_its_deadline_is_missed(api, engineer, customer):
    ticket = make_ticket(customer=customer, now=timezone.now() - dt.timedelta(hours=7))
    api(engineer).post(f"{URL}{ticket.pk}/start-work/")

    assert api(customer).get(f"{URL}{ticket.pk}/").json()["sla_state"] == "missed"


# --- queries -------------------------------------------------------------------------------


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["customer", "engineer"])
def test_ticket_list_runs_the_same_queries_at_5_and_500_tickets(
    request, api, customer, other_customer, role, django_assert_max_num_queries
):
    client = api(_user(request, role))
    template = make_ticket(customer=customer)
    make_ticket(customer=other_customer, priority="high")
    _copies(template, 4)
    at_five = _list_queries(client)

    _copies(template, 495)
    with django_assert_max_num_queries(3):
        response = client.get(URL)
    at_five_hundred = _list_queries(client)

    assert response.json()["count"] == (501 if role == "engineer" else 500)
    assert at_five == at_five_hundred


def test_filtered_list_queries_are_bounded(api, engineer, customer, django_assert_max_num_queries):
    template = make_ticket(customer=customer, priority="high")
    _copies(template, 120)

    with django_assert_max_num_queries(3):
        response = api(engineer).get(URL, {"status": "open", "priority": "high"})

    assert response.json()["count"] == 121
    assert len(response.json()["results"]) == 25


def test_page_size_asks_for_up_to_a_hundred_rows_and_the_next_link_keeps_it(api, engineer, customer):
    _copies(make_ticket(customer=customer), 130)

    first = api(engineer).get(URL, {"page_size": 100}).json()
    second = api(engineer).get(first["next"]).json()

    assert len(first["results"]) == 100 and "page_size=100" in first["next"]
    assert len(second["results"]) == 31 and second["next"] is None
    assert not {row["id"] for row in first["results"]} & {row["id"] for row in second["results"]}


@pytest.mark.parametrize("value", ["0", "101", "-5", "ten", "9" * 30, "<b>5</b>", "5; DROP TABLE x"])
def test_a_page_size_out_of_range_or_not_a_number_is_a_400(api, engineer, value):
    response = api(engineer).get(URL, {"page_size": value})

    assert response.status_code == 400 and "page_size" in response.json()
