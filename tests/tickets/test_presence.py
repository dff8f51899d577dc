"""/ws/tickets/{id}/presence/ through the whole ASGI stack on the in-memory channel layer.

Two engineers on one ticket hear of each other, of each other's typing, and of leaving;
customers and strangers are refused. The consumer reads the database in worker threads,
so the tests commit (transaction=True).
"""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from helpdesk.asgi import application
from helpdesk.tickets import consumers
from tests.chat.test_chat_fixtures import session_cookie
from tests.factories import EngineerFactory, make_ticket

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://localhost")


@pytest.fixture(autouse=True)
def _fresh_layer():
    layer = get_channel_layer()
    async_to_sync(layer.flush)()
    yield
    async_to_sync(layer.flush)()


@pytest.fixture
def coworker(db):
    return EngineerFactory(first_name="Cody", last_name="Coworker")


async def socket(user, ticket_id):
    headers = [ORIGIN]
    if user is not None:
        key = await database_sync_to_async(session_cookie)(user)
        headers.append((b"cookie", f"sessionid={key}".encode()))
    return WebsocketCommunicator(application, f"/ws/tickets/{ticket_id}/presence/", headers=headers)


async def joined(user, ticket_id):
    communicator = await socket(user, ticket_id)
    accepted, _ = await communicator.connect(timeout=5)
    assert accepted
    first = await communicator.receive_json_from(timeout=5)
    assert first == {"type": "presence", "others": []}
    return communicator


async def next_presence(communicator, timeout=5.0) -> list:
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame["type"] == "presence":
            return frame["others"]


@pytest.mark.parametrize(
    "role, code",
    [("anonymous", 4401), ("other_customer", 4404), ("customer", 4403)],
)
def test_only_staff_join_a_tickets_presence(request, ticket, role, code):
    user = None if role == "anonymous" else request.getfixturevalue(role)

    async def scenario():
        communicator = await socket(user, ticket.pk)
        accepted, _ = await communicator.connect(timeout=5)
        assert accepted
        output = await communicator.receive_output(timeout=5)
        assert output == {"type": "websocket.close", "code": code}

    async_to_sync(scenario)()


def test_an_unknown_ticket_is_4404(engineer):
    async def scenario():
        communicator = await socket(engineer, 10**20)
        await communicator.connect(timeout=5)
        assert (await communicator.receive_output(timeout=5))["code"] == 4404

    async_to_sync(scenario)()


def test_two_engineers_see_each_other_typing_and_leaving(customer, engineer, coworker):
    engineer.first_name, engineer.last_name = "Erin", "Engineer"
    engineer.save()
    ticket = make_ticket(customer=customer)
    other_ticket = make_ticket(customer=customer)

    async def scenario():
        # Given Erin has the ticket open, and someone else another ticket
        erin = await joined(engineer, ticket.pk)
        elsewhere = await joined(coworker, other_ticket.pk)

        # When Cody opens the same ticket, each hears of the other
        cody = await joined(coworker, ticket.pk)
        assert await next_presence(erin) == [{"name": "Cody Coworker", "typing": False}]
        assert await next_presence(cody) == [{"name": "Erin Engineer", "typing": False}]

        # When Cody types, Erin sees it; when Cody stops, it goes
        await cody.send_json_to({"type": "typing"})
        assert await next_presence(erin) == [{"name": "Cody Coworker", "typing": True}]
        await cody.send_json_to({"type": "idle"})
        assert await next_presence(erin) == [{"name": "Cody Coworker", "typing": False}]

        # A second tab of Erin's is not "another engineer" to her first one, nor counted twice for Cody
        erin_again = await joined(engineer, ticket.pk)
        assert await next_presence(erin_again) == [{"name": "Cody Coworker", "typing": False}]
        await cody.send_json_to({"type": "ping"})
        assert (await cody.receive_json_from(timeout=5)) == {"type": "pong"}
        assert await erin.receive_nothing(timeout=0.3)

        # When Cody leaves, Erin's page says nobody else is here
        await cody.disconnect()
        assert await next_presence(erin) == []
        assert await next_presence(erin_again) == []

        # The socket on the other ticket heard nothing of all this
        assert await elsewhere.receive_nothing(timeout=0.3)
        for communicator in (erin, erin_again, elsewhere):
            await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_silent_socket_is_forgotten_and_a_lapsed_typing_flag_clears(
    customer, engineer, coworker, monkeypatch
):
    ticket = make_ticket(customer=customer)
    monkeypatch.setattr(consumers, "STALE_SECONDS", 1.0)
    monkeypatch.setattr(consumers, "TYPING_SECONDS", 0.5)

    async def scenario():
        erin = await joined(engineer, ticket.pk)
        cody = await joined(coworker, ticket.pk)
        assert len(await next_presence(erin)) == 1
        await cody.send_json_to({"type": "typing"})
        assert (await next_presence(erin))[0]["typing"] is True

        # Real seconds: Cody's flag lapses without an "idle", then Cody goes silent past the limit
        await asyncio.sleep(0.7)
        await erin.send_json_to({"type": "ping"})
        assert (await next_presence(erin))[0]["typing"] is False
        await asyncio.sleep(1.1)
        await erin.send_json_to({"type": "ping"})
        assert await next_presence(erin) == []
        await erin.disconnect()
        await cody.disconnect()

    async_to_sync(scenario)()


def test_junk_frames_are_ignored(customer, engineer):
    ticket = make_ticket(customer=customer)

    async def scenario():
        erin = await joined(engineer, ticket.pk)
        await erin.send_to(text_data="not json")
        await erin.send_to(text_data='"a string"')
        await erin.send_to(text_data="x" * 5000)
        await erin.send_json_to({"type": "nonsense"})
        await erin.send_to(bytes_data=b"\x00\x01")
        await erin.send_json_to({"type": "ping"})
        assert (await erin.receive_json_from(timeout=5)) == {"type": "pong"}
        await erin.disconnect()

    async_to_sync(scenario)()
