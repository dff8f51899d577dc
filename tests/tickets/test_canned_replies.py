"""Canned replies: kept by staff, filled in per ticket, never shown to customers."""

import pytest

from helpdesk.tickets.models import CannedReply

pytestmark = pytest.mark.django_db
URL = "/api/v1/canned-replies/"
BODY = "Hello {customer_name}, about {ticket_number}: we start before {deadline}. {unknown_word"


def _user(request, role):
    return None if role == "anonymous" else request.getfixturevalue(role)


@pytest.fixture
def reply(engineer):
    return CannedReply.objects.create(
        title="Looking into it", body="Hello {customer_name}, we are on {ticket_number}.", created_by=engineer
    )


@pytest.mark.parametrize("role", ["engineer", "billing_admin"])
def test_staff_keep_canned_replies(request, api, role):
    client = api(_user(request, role))
    created = client.post(URL, {"title": "Ack", "body": "Thanks {customer_name}."}, format="json")

    assert created.status_code == 201, created.json()
    changed = client.patch(
        f"{URL}{created.json()['id']}/", {"body": "Thanks, {customer_name}!"}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["body"] == "Thanks, {customer_name}!"
    assert [r["title"] for r in client.get(URL).json()["results"]] == ["Ack"]


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("customer", 403), ("other_customer", 403)])
def test_customers_never_see_or_write_canned_replies(request, api, reply, role, status):
    client = api(_user(request, role))

    assert client.get(URL).status_code == status
    assert client.post(URL, {"title": "x", "body": "y"}, format="json").status_code == status
    assert CannedReply.objects.count() == 1


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"title": "", "body": "x"},
        {"title": "x" * 101, "body": "x"},
        {"title": "ok", "body": "x" * 5001},
        {"title": "ok", "body": "Hi {password}"},
        {"title": "Looking into it", "body": "duplicate title"},
        {"title": ["a"], "body": "x"},
        {"title": "nul\x00", "body": "x"},
    ],
)
def test_bad_canned_replies_are_400(api, engineer, reply, payload):
    response = api(engineer).post(URL, payload, format="json")

    assert response.status_code == 400
    assert CannedReply.objects.count() == 1


def test_replies_are_filled_in_for_a_ticket(api, engineer, customer, ticket, reply):
    CannedReply.objects.create(title="Deadline", body="Before {deadline}.", created_by=engineer)
    rows = api(engineer).get(f"/api/v1/tickets/{ticket.pk}/canned-replies/").json()

    filled = {row["title"]: row["body"] for row in rows}
    assert filled["Looking into it"] == f"Hello {customer.display_name}, we are on #{ticket.pk}."
    assert filled["Deadline"].startswith("Before ") and "{deadline}" not in filled["Deadline"]


@pytest.mark.parametrize("role, status", [("customer", 403), ("other_customer", 404), ("anonymous", 401)])
def test_filled_replies_are_for_staff(request, api, ticket, reply, role, status):
    assert api(_user(request, role)).get(f"/api/v1/tickets/{ticket.pk}/canned-replies/").status_code == status


def test_the_ticket_page_offers_them_to_staff_only(client, engineer, customer, ticket, reply):
    client.force_login(engineer)
    staff_page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    client.force_login(customer)
    customer_page = client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert "Insert a canned reply" in staff_page and f"we are on #{ticket.pk}." in staff_page
    assert "Insert a canned reply" not in customer_page and "Looking into it" not in customer_page


@pytest.mark.parametrize("role", ["engineer", "billing_admin"])
def test_staff_delete_a_canned_reply_through_the_api(request, api, reply, role):
    client = api(_user(request, role))

    assert client.delete(f"{URL}{reply.pk}/").status_code == 204
    assert not CannedReply.objects.exists()
    assert client.delete(f"{URL}{reply.pk}/").status_code == 404


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("customer", 403), ("other_customer", 403)])
def test_customers_cannot_delete_canned_replies(request, api, reply, role, status):
    assert api(_user(request, role)).delete(f"{URL}{reply.pk}/").status_code == status
    assert CannedReply.objects.filter(pk=reply.pk).exists()
