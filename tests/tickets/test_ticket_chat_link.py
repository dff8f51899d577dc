"""A ticket escalated from a live chat or a phone call links back to it: the ticket page and the API."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from helpdesk.chat.models import ChatKind, ChatSession, ChatStatus
from helpdesk.chat.services.chats import chat_post
from helpdesk.chat.services.escalation import chat_escalate, chat_log_phone
from helpdesk.tickets.models import Ticket
from tests.chat import test_chat_fixtures as chat_fixtures
from tests.chat.test_chat_fixtures import active_chat, user_for

# Fixtures shared by the chat tests.
coworker = chat_fixtures.coworker
open_chat = chat_fixtures.open_chat

pytestmark = pytest.mark.django_db

# The ticket fields shared/API.md promises; `chat` comes beside them.
CONTRACT_FIELDS = {
    "id",
    "account",
    "subject",
    "description",
    "priority",
    "service_unavailable",
    "affected_service",
    "status",
    "created_at",
    "work_started_deadline",
    "work_started_at",
    "sla_state",
    "downgraded_from",
    "downgrade_reason",
}


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


def browser(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def escalated_chat(open_chat, customer, engineer):
    """A live chat the engineer turned into a ticket: (session, ticket)."""
    session = active_chat(customer, engineer, topic="VPN", message="Our VPN is down.")
    chat_post(session=session, author=engineer, body="Restart the VPN client, please.")
    ticket, created = chat_escalate(session=session, actor=engineer)
    assert created
    return session, ticket


@pytest.fixture
def escalated_call(account, engineer):
    """A logged phone call the engineer turned into a ticket: (session, ticket)."""
    call = chat_log_phone(
        account=account,
        logged_by=engineer,
        caller="Dana from Finance",
        started_at=timezone.now() - dt.timedelta(hours=1),
        duration=600,
        notes="Export fails.",
    )
    ticket, _ = chat_escalate(session=call, actor=engineer)
    return call, ticket


def _source_link(html: str, session: ChatSession) -> bool:
    return f'href="{reverse("chat_detail", args=[session.pk])}"' in html


# --- the ticket page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 302),
        ("customer", 200),
        ("coworker", 200),
        ("other_customer", 404),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_the_ticket_page_links_back_to_its_chat_for_whoever_may_see_both(
    request, escalated_chat, role, status
):
    session, ticket = escalated_chat
    user = user_for(request, role)

    response = browser(user).get(reverse("ticket_detail", args=[ticket.pk]))

    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert f"Escalated from live chat #{session.pk}" in html
        assert _source_link(html, session)
        # The link leads somewhere this user may go.
        assert browser(user).get(reverse("chat_detail", args=[session.pk])).status_code == 200
    elif status == 404:
        assert f"#{session.pk}" not in response.content.decode()


def test_a_ticket_from_a_phone_call_says_so(request, escalated_call, customer, engineer):
    call, ticket = escalated_call

    for user in (customer, engineer):
        html = browser(user).get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

        assert "Escalated from a phone call" in html
        assert "live chat #" not in html
        assert _source_link(html, call)
    assert browser(customer).get(reverse("chat_detail", args=[call.pk])).status_code == 200


def test_a_ticket_opened_any_other_way_names_no_chat(open_chat, ticket, customer, engineer):
    for user in (customer, engineer):
        html = browser(user).get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

        assert "Escalated from" not in html
        assert "data-ticket-source" not in html


def test_the_link_stays_on_a_refused_action(escalated_chat, engineer):
    """A 409 re-renders the ticket page; it still names the chat."""
    session, ticket = escalated_chat

    response = browser(engineer).post(reverse("ticket_transition", args=[ticket.pk]), {"status": "closed"})

    assert response.status_code == 409
    assert f"Escalated from live chat #{session.pk}" in response.content.decode()


# --- the API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["customer", "coworker", "engineer", "billing_admin"])
def test_the_ticket_api_names_the_chat(request, api, escalated_chat, role):
    session, ticket = escalated_chat
    client = api(user_for(request, role))

    detail = client.get(f"/api/v1/tickets/{ticket.pk}/")
    listed = client.get("/api/v1/tickets/")

    assert detail.status_code == 200
    body = detail.json()
    assert body["chat"] == session.pk
    assert set(body) >= CONTRACT_FIELDS
    assert [row["chat"] for row in listed.json()["results"] if row["id"] == ticket.pk] == [session.pk]


def test_the_chat_field_is_null_for_other_tickets_and_read_only(api, escalated_chat, ticket, customer):
    session, escalated = escalated_chat

    listed = {row["id"]: row["chat"] for row in api(customer).get("/api/v1/tickets/").json()["results"]}
    created = api(customer).post(
        "/api/v1/tickets/",
        {"subject": "Slow", "description": "Pages are slow.", "chat": session.pk},
        format="json",
    )

    assert listed == {escalated.pk: session.pk, ticket.pk: None}
    assert created.status_code == 201 and created.json()["chat"] is None
    assert ChatSession.objects.get(pk=session.pk).ticket_id == escalated.pk


def test_another_accounts_customer_still_gets_404(api, escalated_chat, other_customer):
    session, ticket = escalated_chat
    client = api(other_customer)

    assert client.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404
    assert client.get("/api/v1/tickets/").json()["count"] == 0
    assert client.get(f"/api/v1/chats/{session.pk}/").status_code == 404


def test_escalating_returns_the_ticket_with_its_chat(api, open_chat, customer, engineer):
    session = active_chat(customer, engineer, topic="VPN", message="Our VPN is down.")

    first = api(customer).post(f"/api/v1/chats/{session.pk}/escalate/")
    again = api(engineer).post(f"/api/v1/chats/{session.pk}/escalate/")

    assert first.status_code == 201 and first.json()["chat"] == session.pk
    assert again.status_code == 200 and again.json()["chat"] == session.pk


def test_actions_on_the_ticket_answer_with_the_chat(api, escalated_chat, engineer):
    session, ticket = escalated_chat

    response = api(engineer).post(f"/api/v1/tickets/{ticket.pk}/start-work/")

    assert response.status_code == 200 and response.json()["chat"] == session.pk


def test_the_schema_publishes_chat_as_a_nullable_read_only_integer(client, db):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    chat = schema["components"]["schemas"]["Ticket"]["properties"]["chat"]
    assert chat["type"] == "integer" and chat.get("nullable") is True and chat.get("readOnly") is True


# --- queries ---------------------------------------------------------------------------------


def _fields_of(ticket: Ticket) -> dict:
    return {f.attname: getattr(ticket, f.attname) for f in Ticket._meta.concrete_fields if not f.primary_key}


def _escalated_copies(template: Ticket, count: int, engineer) -> None:
    """`count` more tickets like the template, each escalated from a phone call of its own."""
    fields = _fields_of(template)
    tickets = Ticket.objects.bulk_create(
        [Ticket(**{**fields, "subject": f"Copy {n}"}) for n in range(count)], batch_size=250
    )
    now = timezone.now()
    ChatSession.objects.bulk_create(
        [
            ChatSession(
                account_id=template.account_id,
                kind=ChatKind.PHONE,
                caller=f"Caller {n}",
                status=ChatStatus.ENDED,
                engineer=engineer,
                plan_id=template.plan_id,
                requested_at=now,
                accepted_at=now,
                ended_at=now,
                end_reason="phone",
                ended_by=engineer,
                ticket=ticket,
            )
            for n, ticket in enumerate(tickets)
        ],
        batch_size=250,
    )


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["customer", "engineer"])
def test_the_ticket_list_runs_the_same_queries_with_escalated_tickets(
    request, api, escalated_chat, engineer, role, django_assert_max_num_queries
):
    session, ticket = escalated_chat
    client = api(user_for(request, role))
    _escalated_copies(ticket, 4, engineer)
    at_five = _count(client, "/api/v1/tickets/")

    _escalated_copies(ticket, 495, engineer)
    with django_assert_max_num_queries(3):  # as test_api_tickets asserts for any list
        response = client.get("/api/v1/tickets/")
    at_five_hundred = _count(client, "/api/v1/tickets/")

    rows = response.json()["results"]
    assert at_five == at_five_hundred
    assert all(row["chat"] is not None for row in rows)


@pytest.mark.parametrize("role", ["customer", "engineer"])
def test_an_escalated_ticket_costs_no_query_more_than_any_other(request, api, escalated_chat, role):
    session, escalated = escalated_chat
    user = user_for(request, role)
    plain = Ticket.objects.create(**_fields_of(escalated))
    page, client = browser(user), api(user)

    assert _count(page, reverse("ticket_detail", args=[escalated.pk])) == _count(
        page, reverse("ticket_detail", args=[plain.pk])
    )
    assert _count(client, f"/api/v1/tickets/{escalated.pk}/") == _count(
        client, f"/api/v1/tickets/{plain.pk}/"
    )
