"""/ws/chats/{id}/ through Channels' WebsocketCommunicator and the whole ASGI stack (origin, session cookie).

Each test is a sync function that runs its async scenario with async_to_sync; the
consumer reads the database in worker threads, so the tests commit (transaction=True).
"""

import asyncio
import time

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from helpdesk.asgi import application
from helpdesk.chat import consumers
from helpdesk.chat.models import ChatMessage
from helpdesk.chat.services import pushes as chat_pushes
from helpdesk.chat.services.chats import chat_accept, chat_end, chat_post
from helpdesk.chat.services.escalation import chat_escalate
from helpdesk.chat.services.sweep import chats_sweep_due
from sla.terms.models import Plan
from tests.chat import test_chat_fixtures as chat_fixtures
from tests.chat.test_chat_fixtures import (
    active_chat,
    request_chat,
    session_cookie,
    token_for,
    websocket_communicator_class,
)
from tests.factories import AccountFactory, CustomerFactory, EngineerFactory

# Fixtures shared by the chat tests.
coworker = chat_fixtures.coworker
open_chat = chat_fixtures.open_chat


WebsocketCommunicator = websocket_communicator_class()

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://localhost")


@pytest.fixture(autouse=True)
def _fresh_layer():
    layer = get_channel_layer()
    async_to_sync(layer.flush)()
    yield
    async_to_sync(layer.flush)()
    # The sockets' database threads keep their connections; the test database is dropped later.
    consumers.close_database_threads()


async def socket(user, session_id=None, *, after=None, path=None, cookie=True, headers=()):
    """A communicator through the whole ASGI stack, signed in with the user's session cookie."""
    path = path or f"/ws/chats/{session_id}/" + (f"?after={after}" if after is not None else "")
    sent = [ORIGIN, *headers]
    if user is not None and cookie:
        key = await database_sync_to_async(session_cookie)(user)
        sent.append((b"cookie", f"sessionid={key}".encode()))
    return WebsocketCommunicator(application, path, headers=sent)


async def connected(communicator):
    accepted, _ = await communicator.connect(timeout=5)
    assert accepted
    return communicator


async def refused_with(communicator) -> int:
    accepted, code = await communicator.connect(timeout=5)
    if accepted:
        output = await communicator.receive_output(timeout=5)
        assert output["type"] == "websocket.close", output
        code = output.get("code")
    return code


async def receive(communicator, kind: str, *, timeout: float = 5.0) -> dict:
    """The next frame of this type (frames of other types are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no {kind!r} frame in {timeout} s"
        frame = await communicator.receive_json_from(timeout=left)
        if frame["type"] == kind:
            return frame


async def messages(communicator, count: int, *, timeout: float = 5.0) -> list[dict]:
    return [(await receive(communicator, "message", timeout=timeout))["message"] for _ in range(count)]


def db(function):
    return database_sync_to_async(function)


# --- who may connect ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, code",
    [("anonymous", 4401), ("other_customer", 4404), ("coworker", 4403)],
)
def test_refused_sockets_close_with_a_4xxx_code(request, open_chat, customer, role, code):
    session = request_chat(customer)
    user = None if role == "anonymous" else request.getfixturevalue(role)

    async def scenario():
        communicator = await socket(user, session.pk)
        assert await refused_with(communicator) == code
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_an_unknown_chat_is_4404(open_chat, engineer):
    async def scenario():
        communicator = await socket(engineer, 999999)
        assert await refused_with(communicator) == 4404

    async_to_sync(scenario)()


def test_a_socket_without_an_allowed_origin_is_rejected(open_chat, customer):
    session = request_chat(customer)

    async def scenario():
        key = await database_sync_to_async(session_cookie)(customer)
        communicator = WebsocketCommunicator(
            application,
            f"/ws/chats/{session.pk}/",
            headers=[
                (b"origin", b"http://evil.example"),
                (b"cookie", f"sessionid={key}".encode()),
            ],
        )
        accepted, _ = await communicator.connect(timeout=5)
        assert not accepted

    async_to_sync(scenario)()


@pytest.mark.parametrize("role", ["customer", "engineer", "billing_admin"])
def test_the_customer_who_asked_and_staff_may_connect(request, open_chat, customer, role):
    session = request_chat(customer, message="Hello?")
    user = request.getfixturevalue(role)

    async def scenario():
        communicator = await connected(await socket(user, session.pk))
        state = await receive(communicator, "state")
        assert state["chat"]["status"] == "queued" and state["chat"]["queue_position"] == 1
        assert [m["body"] for m in await messages(communicator, 1)] == ["Hello?"]
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_an_api_token_in_the_headers_also_authenticates(open_chat, customer):
    session = request_chat(customer)
    key = token_for(customer)

    async def scenario():
        communicator = await socket(
            customer, session.pk, cookie=False, headers=[(b"authorization", f"Token {key}".encode())]
        )
        await connected(communicator)
        assert (await receive(communicator, "state"))["chat"]["id"] == session.pk
        await communicator.disconnect()
        wrong = await socket(None, session.pk, headers=[(b"authorization", b"Token nope")])
        assert await refused_with(wrong) == 4401

    async_to_sync(scenario)()


# --- delivery ----------------------------------------------------------------------------------------


def test_messages_arrive_once_and_in_order_on_both_sides(open_chat, customer, engineer):
    session = active_chat(customer, engineer)

    async def scenario():
        mine = await connected(await socket(customer, session.pk))
        theirs = await connected(await socket(engineer, session.pk))
        baseline = [m["seq"] for m in await messages(mine, 1)]  # the "joined" notice
        await messages(theirs, 1)

        for i in range(30):
            author = engineer if i % 2 else customer
            await db(chat_post)(session=session, author=author, body=f"message {i}")

        for communicator in (mine, theirs):
            got = await messages(communicator, 30)
            assert [m["body"] for m in got] == [f"message {i}" for i in range(30)]
            assert [m["seq"] for m in got] == list(range(baseline[0] + 1, baseline[0] + 31))
            assert await communicator.receive_nothing(timeout=0.3)
            await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_message_sent_on_the_socket_is_stored_then_pushed(open_chat, customer, engineer):
    session = active_chat(customer, engineer)

    async def scenario():
        mine = await connected(await socket(customer, session.pk))
        theirs = await connected(await socket(engineer, session.pk))
        await messages(mine, 1)  # the "joined" notice
        await messages(theirs, 1)

        await mine.send_json_to({"type": "message", "body": "Over the socket", "ref": "a1"})
        own = await receive(mine, "message")  # the sender's acknowledgement is its stored message
        assert own["ref"] == "a1" and own["message"]["seq"] == 2
        stored = await db(ChatMessage.objects.get)(pk=own["message"]["id"])
        assert stored.body == "Over the socket" and stored.author_id == customer.pk
        pushed = await messages(theirs, 1)
        assert pushed[0]["id"] == own["message"]["id"]
        assert pushed[0]["author"]["name"] == customer.display_name
        assert await mine.receive_nothing(timeout=0.3)  # its own push is not sent a second time

        await mine.send_json_to({"type": "message", "body": "\x00 hostile", "ref": "a2"})
        error = await receive(mine, "error")
        assert error["ref"] == "a2" and error["status"] == 400 and "body" in error["errors"]
        await mine.send_json_to({"type": "message", "body": "x" * 5001, "ref": "a3"})
        assert (await receive(mine, "error"))["status"] == 400
        await mine.send_to(text_data="{not json")
        await mine.send_to(bytes_data=b"\x00\x01")
        await mine.send_json_to({"type": "ping"})
        assert (await receive(mine, "pong"))["type"] == "pong"
        assert await db(ChatMessage.objects.filter(session=session).count)() == 2
        await mine.disconnect()
        await theirs.disconnect()

    async_to_sync(scenario)()


def test_staff_watching_but_not_on_the_chat_cannot_write_in_it(open_chat, customer, engineer):
    session = active_chat(customer, engineer)
    onlooker = EngineerFactory()

    async def scenario():
        communicator = await connected(await socket(onlooker, session.pk))
        await communicator.send_json_to({"type": "message", "body": "Hi", "ref": 1})
        assert (await receive(communicator, "error"))["status"] == 403
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_socket_never_receives_another_chats_messages(open_chat, customer, engineer, other_customer):
    ours = active_chat(customer, engineer)
    theirs = active_chat(other_customer, engineer)

    async def scenario():
        our_socket = await connected(await socket(customer, ours.pk))
        await receive(our_socket, "state")
        await messages(our_socket, 1)
        their_socket = await connected(await socket(other_customer, theirs.pk))
        await receive(their_socket, "state")
        await messages(their_socket, 1)

        for i in range(5):
            await db(chat_post)(session=theirs, author=other_customer, body=f"secret {i}")
            await db(chat_post)(session=theirs, author=engineer, body=f"answer {i}")
        await db(chat_post)(session=ours, author=engineer, body="for us")

        got = await messages(our_socket, 1)
        assert [m["body"] for m in got] == ["for us"]
        assert await our_socket.receive_nothing(timeout=0.5)
        # Asking to catch up cannot reach the other chat's lines either.
        await our_socket.send_json_to({"type": "catch_up", "after": 0})
        replay = await messages(our_socket, 2)
        assert [m["body"] for m in replay][-1] == "for us"
        assert await our_socket.receive_nothing(timeout=0.3)
        await our_socket.disconnect()
        await their_socket.disconnect()

    async_to_sync(scenario)()


# --- reconnecting ------------------------------------------------------------------------------------


def test_a_reconnecting_client_gets_everything_after_its_last_message(open_chat, customer, engineer):
    session = active_chat(customer, engineer)

    async def scenario():
        first = await connected(await socket(customer, session.pk))
        await db(chat_post)(session=session, author=engineer, body="one")
        got = await messages(first, 2)
        last_id = got[-1]["id"]
        await first.disconnect()

        for body in ("two", "three", "four"):  # said while the customer was away
            await db(chat_post)(session=session, author=engineer, body=body)

        again = await connected(await socket(customer, session.pk, after=last_id))
        replay = await messages(again, 3)
        assert [m["body"] for m in replay] == ["two", "three", "four"]
        assert await again.receive_nothing(timeout=0.3)
        await db(chat_post)(session=session, author=engineer, body="five")
        assert [m["body"] for m in await messages(again, 1)] == ["five"]
        # An explicit catch-up frame replays from any id.
        await again.send_json_to({"type": "catch_up", "after": replay[0]["id"]})
        assert [m["body"] for m in await messages(again, 3)] == ["three", "four", "five"]
        await again.send_json_to({"type": "catch_up", "after": "nope"})
        assert (await receive(again, "error"))["status"] == 400
        await again.disconnect()

    async_to_sync(scenario)()


def test_a_lost_push_is_read_back_from_the_database(open_chat, customer, engineer, monkeypatch):
    session = active_chat(customer, engineer)

    async def scenario():
        communicator = await connected(await socket(customer, session.pk))
        await messages(communicator, 1)
        real_send = chat_pushes._send
        monkeypatch.setattr(chat_pushes, "_send", lambda group, event: None)
        await db(chat_post)(session=session, author=engineer, body="lost push")
        monkeypatch.setattr(chat_pushes, "_send", real_send)
        await db(chat_post)(session=session, author=engineer, body="next push")

        got = await messages(communicator, 2)
        assert [m["body"] for m in got] == ["lost push", "next push"]
        await communicator.disconnect()

    async_to_sync(scenario)()


# --- state ---------------------------------------------------------------------------------------------


def test_positions_change_live_and_acceptance_reaches_the_customer(open_chat, engineer):
    customers = [CustomerFactory(account=AccountFactory(plan=open_chat["advanced"])) for _ in range(3)]
    sessions = [request_chat(c) for c in customers]

    async def scenario():
        third = await connected(await socket(customers[2], sessions[2].pk))
        assert (await receive(third, "state"))["chat"]["queue_position"] == 3
        first = await connected(await socket(customers[0], sessions[0].pk))
        assert (await receive(first, "state"))["chat"]["queue_position"] == 1

        await db(chat_accept)(session=sessions[0], engineer=engineer)
        state = (await receive(first, "state"))["chat"]
        assert state["status"] == "active" and state["engineer"] == engineer.display_name
        assert state["ends_at"] is not None
        assert (await receive(third, "state"))["chat"]["queue_position"] == 2

        await db(chat_end)(session=sessions[1], actor=customers[1])
        assert (await receive(third, "state"))["chat"]["queue_position"] == 1
        await first.disconnect()
        await third.disconnect()

    async_to_sync(scenario)()


def test_escalation_reaches_both_sides_with_the_ticket(open_chat, customer, engineer):
    session = active_chat(customer, engineer)

    async def scenario():
        communicator = await connected(await socket(customer, session.pk))
        await receive(communicator, "state")
        ticket, _ = await db(chat_escalate)(session=session, actor=engineer)
        deadline = time.monotonic() + 5
        while True:
            state = (await receive(communicator, "state", timeout=deadline - time.monotonic()))["chat"]
            if state["ticket"]:
                break
        assert state["ticket"] == ticket.pk and state["status"] == "ended"
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_session_ended_by_a_sweep_elsewhere_still_reaches_the_socket(
    open_chat, customer, engineer, monkeypatch
):
    # The sweep runs in a Celery worker; on the in-memory layer its pushes cannot reach the
    # web process. The socket reads the database itself at the instants it knows are due.
    Plan.objects.filter(pk=open_chat["advanced"].pk).update(chat_session_limit=2)
    session = active_chat(customer, engineer)
    monkeypatch.setattr(chat_pushes, "_send", lambda group, event: None)

    async def scenario():
        communicator = await connected(await socket(customer, session.pk))
        assert (await receive(communicator, "state"))["chat"]["status"] == "active"
        await asyncio.sleep(2.1)
        await db(chats_sweep_due)()
        frames = []
        while not any(f["type"] == "state" and f["chat"]["status"] == "ended" for f in frames):
            frames.append(await communicator.receive_json_from(timeout=4))
        state = frames[-1]["chat"]
        assert state["end_reason"] == "time_limit"
        notices = [f["message"]["body"] for f in frames if f["type"] == "message"]
        assert any("time limit" in body for body in notices)
        await communicator.disconnect()

    async_to_sync(scenario)()


# --- the engineers' lobby ------------------------------------------------------------------------------


def test_the_lobby_tells_staff_when_the_line_changes_and_refuses_customers(open_chat, customer, engineer):
    async def scenario():
        assert await refused_with(await socket(customer, path="/ws/chats/")) == 4403
        assert await refused_with(await socket(None, path="/ws/chats/")) == 4401
        lobby = await connected(await socket(engineer, path="/ws/chats/"))
        assert (await lobby.receive_json_from(timeout=5))["type"] == "lobby"
        await db(request_chat)(customer)
        assert (await lobby.receive_json_from(timeout=5)) == {"type": "lobby", "waiting": 1}
        await lobby.disconnect()

    async_to_sync(scenario)()


def test_typing_goes_to_the_other_side_only(open_chat, customer, engineer):
    session = active_chat(customer, engineer)

    async def scenario():
        mine = await connected(await socket(customer, session.pk))
        theirs = await connected(await socket(engineer, session.pk))
        await messages(mine, 1)
        await messages(theirs, 1)
        await mine.send_json_to({"type": "typing"})
        assert (await receive(theirs, "typing"))["name"] == customer.display_name
        assert await mine.receive_nothing(timeout=0.3)
        await mine.disconnect()
        await theirs.disconnect()

    async_to_sync(scenario)()
