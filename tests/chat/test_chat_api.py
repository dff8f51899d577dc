"""/api/v1/chats/: the permission matrix of every endpoint, bad input, 409s, and the schema."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from helpdesk.chat.models import ChatMessage, ChatSession
from helpdesk.chat.services.chats import chat_end, chat_post
from helpdesk.tickets.models import Ticket
from sla.terms.models import Plan
from tests.chat import test_chat_fixtures as chat_fixtures
from tests.chat.test_chat_fixtures import active_chat, request_chat, user_for
from tests.factories import AccountFactory, CustomerFactory, EngineerFactory

# Fixtures shared by the chat tests.
coworker = chat_fixtures.coworker
open_chat = chat_fixtures.open_chat

pytestmark = pytest.mark.django_db

CONTRACT_FIELDS = {"id", "status", "queue_position", "accepted_at", "ends_at", "ticket"}
ROLES = ["anonymous", "customer", "coworker", "other_customer", "engineer", "billing_admin"]


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False
    settings.SUPPORT_TIME_ZONE = "UTC"


@pytest.fixture
def waiting(open_chat, customer):
    return request_chat(customer, message="Our VPN is down.")


@pytest.fixture
def running(open_chat, customer, engineer):
    return active_chat(customer, engineer, message="Our VPN is down.")


def _snapshot(session):
    session = ChatSession.objects.get(pk=session.pk)
    return (session.status, session.engineer_id, session.ended_at, session.ticket_id, session.message_count)


# --- list and create ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status, sees",
    [
        ("anonymous", 401, None),
        ("customer", 200, True),
        ("coworker", 200, True),
        ("other_customer", 200, False),
        ("engineer", 200, True),
        ("billing_admin", 200, True),
    ],
)
def test_list_matrix(request, api, waiting, role, status, sees):
    response = api(user_for(request, role)).get("/api/v1/chats/")

    assert response.status_code == status
    if sees is not None:
        ids = [chat["id"] for chat in response.json()["results"]]
        assert (waiting.pk in ids) is sees


def test_list_shows_the_contract_fields_and_positions(api, open_chat, engineer):
    customers = [CustomerFactory(account=AccountFactory(plan=open_chat["standard"])) for _ in range(3)]
    sessions = [request_chat(c) for c in customers]

    response = api(engineer).get("/api/v1/chats/", {"status": "queued"})

    results = response.json()["results"]
    assert [r["id"] for r in results] == [s.pk for s in sessions]
    assert [r["queue_position"] for r in results] == [1, 2, 3]
    assert set(results[0]) >= CONTRACT_FIELDS
    assert results[0]["status"] == "queued" and results[0]["ticket"] is None


def test_list_filters_are_checked(api, engineer, open_chat):
    assert api(engineer).get("/api/v1/chats/", {"status": "lost"}).status_code == 400
    assert api(engineer).get("/api/v1/chats/", {"account": "x"}).status_code == 400


@pytest.mark.parametrize(
    "role, status",
    [("anonymous", 401), ("customer", 201), ("engineer", 403), ("billing_admin", 403)],
)
def test_create_matrix(request, api, open_chat, role, status):
    response = api(user_for(request, role)).post(
        "/api/v1/chats/", {"topic": "Login", "message": "I cannot log in."}, format="json"
    )

    assert response.status_code == status
    assert ChatSession.objects.count() == (1 if status == 201 else 0)
    if status == 201:
        body = response.json()
        assert set(body) >= CONTRACT_FIELDS
        assert body["status"] == "queued" and body["queue_position"] == 1
        assert body["accepted_at"] is None and body["ends_at"] is None and body["ticket"] is None
        assert ChatMessage.objects.get().body == "I cannot log in."


def test_create_with_nothing_is_a_chat_without_a_topic(api, open_chat, customer):
    response = api(customer).post("/api/v1/chats/", {}, format="json")

    assert response.status_code == 201
    assert ChatSession.objects.get().topic == ""


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"topic": "x" * 201}, "topic"),
        ({"message": "x" * 5001}, "message"),
        ({"message": "NUL \x00 inside"}, "message"),
        ({"topic": "ANSI \x1b[2J clear"}, "topic"),
        ({"topic": {"nested": "object"}}, "topic"),
    ],
)
def test_create_with_bad_input_is_400_and_writes_nothing(api, open_chat, customer, payload, field):
    response = api(customer).post("/api/v1/chats/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not ChatSession.objects.exists() and not ChatMessage.objects.exists()


def test_create_outside_chat_hours_is_409_with_the_next_opening(api, plans, customer):
    customer.timezone = "Asia/Tokyo"
    customer.save(update_fields=["timezone"])
    saturday = dt.datetime(2026, 3, 7, 11, 0, tzinfo=dt.UTC)

    with time_machine.travel(saturday, tick=False):
        response = api(customer).post("/api/v1/chats/", {"topic": "Help"}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "chat_closed"
    assert dt.datetime.fromisoformat(body["opens_at"]) == dt.datetime(2026, 3, 9, 8, 0, tzinfo=dt.UTC)
    assert "Mon 09 Mar 2026, 17:00 JST" in body["detail"]  # in the customer's own time zone
    assert not ChatSession.objects.exists()


def test_create_on_a_plan_without_chat_is_409(api, plans, customer):
    account = customer.account
    account.plan = Plan.objects.get(code="business")  # seed 004's policy offers no live chat
    account.save(update_fields=["plan"])

    response = api(customer).post("/api/v1/chats/", {"topic": "Help"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "no_live_chat"


def test_a_second_open_chat_is_409(api, waiting, customer):
    response = api(customer).post("/api/v1/chats/", {"topic": "Again"}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"You already have a chat open (#{waiting.pk}).",
        "code": "chat_already_open",
        "chat": waiting.pk,
    }


# --- one chat ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 200),
        ("coworker", 200),
        ("other_customer", 404),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_detail_matrix(request, api, waiting, role, status):
    response = api(user_for(request, role)).get(f"/api/v1/chats/{waiting.pk}/")

    assert response.status_code == status
    if status == 200:
        assert response.json()["queue_position"] == 1


def test_unknown_chat_is_404(api, engineer, open_chat):
    assert api(engineer).get("/api/v1/chats/999999/").status_code == 404
    assert api(engineer).post("/api/v1/chats/999999/accept/").status_code == 404


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 403),
        ("coworker", 403),
        ("other_customer", 404),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_accept_matrix(request, api, waiting, role, status):
    before = _snapshot(waiting)

    response = api(user_for(request, role)).post(f"/api/v1/chats/{waiting.pk}/accept/")

    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["status"] == "active" and body["queue_position"] is None
        accepted = dt.datetime.fromisoformat(body["accepted_at"])
        assert dt.datetime.fromisoformat(body["ends_at"]) - accepted == dt.timedelta(minutes=30)
    else:
        assert _snapshot(waiting) == before


def test_accepting_a_taken_chat_is_409(api, running):
    response = api(EngineerFactory()).post(f"/api/v1/chats/{running.pk}/accept/")

    assert response.status_code == 409
    assert response.json()["code"] == "chat_not_queued"


def test_accepting_over_the_limit_is_409(api, open_chat, engineer, settings):
    settings.CHAT_ENGINEER_LIMIT = 1
    first, second = (
        request_chat(CustomerFactory(account=AccountFactory(plan=open_chat["advanced"]))) for _ in range(2)
    )
    assert api(engineer).post(f"/api/v1/chats/{first.pk}/accept/").status_code == 200

    response = api(engineer).post(f"/api/v1/chats/{second.pk}/accept/")

    assert response.status_code == 409
    assert response.json()["code"] == "chat_limit_reached"


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 200),
        ("coworker", 403),
        ("other_customer", 404),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_end_matrix(request, api, running, role, status):
    before = _snapshot(running)

    response = api(user_for(request, role)).post(f"/api/v1/chats/{running.pk}/end/")

    assert response.status_code == status
    if status == 200:
        assert response.json()["status"] == "ended"
        again = api(user_for(request, role)).post(f"/api/v1/chats/{running.pk}/end/")
        assert again.status_code == 200 and again.json()["status"] == "ended"
    else:
        assert _snapshot(running) == before


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 201),
        ("coworker", 403),
        ("other_customer", 404),
        ("engineer", 201),
        ("billing_admin", 201),
    ],
)
def test_escalate_matrix(request, api, running, role, status):
    chat_post(session=running, author=running.engineer, body="Restart the VPN client, please.")
    before = _snapshot(running)

    response = api(user_for(request, role)).post(f"/api/v1/chats/{running.pk}/escalate/")

    assert response.status_code == status
    if status == 201:
        ticket = response.json()
        assert "Our VPN is down." in ticket["description"]
        assert "Restart the VPN client, please." in ticket["description"]
        assert ticket["status"] == "new" and ticket["sla_state"] == "running"
        again = api(user_for(request, role)).post(f"/api/v1/chats/{running.pk}/escalate/")
        assert again.status_code == 200 and again.json()["id"] == ticket["id"]
        assert Ticket.objects.count() == 1
        chat = api(user_for(request, role)).get(f"/api/v1/chats/{running.pk}/").json()
        assert chat["ticket"] == ticket["id"] and chat["status"] == "ended"
    else:
        assert _snapshot(running) == before and not Ticket.objects.exists()


# --- messages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 200),
        ("coworker", 200),
        ("other_customer", 404),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_read_messages_matrix(request, api, running, role, status):
    response = api(user_for(request, role)).get(f"/api/v1/chats/{running.pk}/messages/")

    assert response.status_code == status
    if status == 200:
        results = response.json()["results"]
        assert [m["body"] for m in results][0] == "Our VPN is down."
        assert set(results[0]) == {"id", "seq", "kind", "author", "body", "created_at"}
    else:
        assert "results" not in response.json()


def test_messages_after_an_id_are_a_catch_up(api, running, customer):
    lines = [chat_post(session=running, author=customer, body=f"line {i}") for i in range(3)]

    response = api(customer).get(f"/api/v1/chats/{running.pk}/messages/", {"after": lines[0].pk})

    assert [m["body"] for m in response.json()["results"]] == ["line 1", "line 2"]
    assert api(customer).get(f"/api/v1/chats/{running.pk}/messages/", {"after": "x"}).status_code == 400


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 201),
        ("coworker", 403),
        ("other_customer", 404),
        ("engineer", 201),
        ("billing_admin", 403),
        ("other_engineer", 403),
    ],
)
def test_post_message_matrix(request, api, running, role, status):
    user = EngineerFactory() if role == "other_engineer" else user_for(request, role)
    before = ChatMessage.objects.count()

    response = api(user).post(f"/api/v1/chats/{running.pk}/messages/", {"body": "Hello"}, format="json")

    assert response.status_code == status
    assert ChatMessage.objects.count() == before + (1 if status == 201 else 0)
    if status == 201:
        body = response.json()
        assert body["body"] == "Hello" and body["author"]["id"] == user.pk and body["kind"] == "message"


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"body": ""},
        {"body": "   "},
        {"body": "x" * 5001},
        {"body": "NUL \x00"},
        {"body": "bell \x07"},
        {"body": None},
        {"body": ["a", "b"]},
        {"body": {"html": "<b>"}},
    ],
)
def test_bad_message_bodies_are_400_and_nothing_is_written(api, running, customer, payload):
    before = ChatMessage.objects.count()

    response = api(customer).post(f"/api/v1/chats/{running.pk}/messages/", payload, format="json")

    assert response.status_code == 400
    assert "body" in response.json()
    assert ChatMessage.objects.count() == before


def test_a_malformed_json_body_is_400(api, running, customer):
    response = api(customer).post(
        f"/api/v1/chats/{running.pk}/messages/", "{not json", content_type="application/json"
    )

    assert response.status_code == 400


def test_posting_after_the_end_is_409(api, running, customer):
    chat_end(session=running, actor=customer)

    response = api(customer).post(f"/api/v1/chats/{running.pk}/messages/", {"body": "Hi"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "chat_ended"


def test_posting_after_the_limit_is_409_before_any_sweep(api, running, customer):
    with time_machine.travel(running.ends_at + dt.timedelta(seconds=1), tick=False):
        response = api(customer).post(f"/api/v1/chats/{running.pk}/messages/", {"body": "Hi"}, format="json")

    assert response.status_code == 409
    assert ChatSession.objects.get(pk=running.pk).status == "active"  # the sweep ends it


# --- phone calls ----------------------------------------------------------------------------------


def _call(account):
    return {
        "account": account.pk,
        "caller": "Dana",
        "duration": 600,
        "notes": "Export fails.",
        "started_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
    }


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 403),
        ("other_customer", 403),
        ("engineer", 201),
        ("billing_admin", 201),
    ],
)
def test_phone_matrix(request, api, account, role, status):
    response = api(user_for(request, role)).post("/api/v1/chats/phone/", _call(account), format="json")

    assert response.status_code == status
    assert ChatSession.objects.count() == (1 if status == 201 else 0)
    if status == 201:
        body = response.json()
        assert body["kind"] == "phone" and body["status"] == "ended" and body["duration"] == 600
        assert body["notes"] == "Export fails."


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"account": 999999}, "account"),
        ({"caller": ""}, "caller"),
        ({"duration": 0}, "duration"),
        ({"duration": "long"}, "duration"),
        ({"started_at": "2026-03-04T10:00:00"}, "started_at"),
        ({"started_at": "2999-01-01T00:00:00Z"}, "started_at"),
        ({"notes": "\x00"}, "notes"),
    ],
)
def test_bad_phone_calls_are_400(api, account, engineer, changes, field):
    response = api(engineer).post("/api/v1/chats/phone/", {**_call(account), **changes}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not ChatSession.objects.exists()


def test_customers_see_their_phone_calls_without_staff_notes(api, account, engineer, customer):
    created = api(engineer).post("/api/v1/chats/phone/", _call(account), format="json").json()

    seen = api(customer).get(f"/api/v1/chats/{created['id']}/").json()

    assert seen["kind"] == "phone" and seen["notes"] is None


def test_a_phone_call_escalates_like_a_chat(api, account, engineer):
    created = api(engineer).post("/api/v1/chats/phone/", _call(account), format="json").json()

    ticket = api(engineer).post(f"/api/v1/chats/{created['id']}/escalate/")

    assert ticket.status_code == 201
    assert "Export fails." in ticket.json()["description"]


# --- the schema --------------------------------------------------------------------------------------


def test_the_schema_publishes_the_chat_paths_and_fields(client, db):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/chats/"])
    assert "get" in paths["/api/v1/chats/{id}/"]
    for name in ("accept", "end", "escalate"):
        assert "post" in paths[f"/api/v1/chats/{{id}}/{name}/"]
    assert {"get", "post"} <= set(paths["/api/v1/chats/{id}/messages/"])
    assert "post" in paths["/api/v1/chats/phone/"]
    assert "409" in paths["/api/v1/chats/"]["post"]["responses"]
    assert set(schema["components"]["schemas"]["Chat"]["properties"]) >= CONTRACT_FIELDS


def test_the_schema_still_builds_without_warnings(db, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
