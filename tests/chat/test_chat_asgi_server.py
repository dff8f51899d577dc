"""Live chat over a real ASGI server: uvicorn (as `run.py` serves Pledge) on the test database,
driven by the `websockets` client library and plain HTTP, over loopback.

Messages posted through the server's API and its sockets are pushed by the server itself, so
this holds on the in-memory channel layer (embedded) and on Redis (REDIS_URL) alike.
"""

import asyncio
import json
import urllib.error
import urllib.request

import pytest
from asgiref.sync import async_to_sync
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from helpdesk.chat.models import ChatMessage
from tests.chat import test_chat_fixtures as chat_fixtures
from tests.chat.test_chat_fixtures import (
    Uvicorn,
    active_chat,
    request_chat,
    session_cookie,
    token_for,
)

# Fixtures shared by the chat tests.
coworker = chat_fixtures.coworker
open_chat = chat_fixtures.open_chat

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory):
    uvicorn = Uvicorn(tmp_path_factory.mktemp("uvicorn"))
    uvicorn.start()
    yield uvicorn
    uvicorn.stop()


def http(server, method: str, path: str, *, token: str, payload=None) -> tuple[int, dict]:
    request = urllib.request.Request(
        server.url + path,
        method=method,
        data=None if payload is None else json.dumps(payload).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def open_socket(server, session_id: int, cookie: str | None, *, after: int | None = None):
    query = f"?after={after}" if after is not None else ""
    headers = {"Cookie": f"sessionid={cookie}"} if cookie else {}
    return connect(
        f"{server.ws_url}/ws/chats/{session_id}/{query}",
        origin=server.url,
        additional_headers=headers,
        open_timeout=10,
    )


async def frames_until(ws, done, *, timeout: float = 10.0) -> list[dict]:
    return await Reader(ws).until(done, timeout=timeout)


class Reader:
    """Every frame a socket received, kept, so waiting for one kind never loses another."""

    def __init__(self, ws):
        self.ws = ws
        self.frames: list[dict] = []

    async def until(self, done, *, timeout: float = 10.0) -> list[dict]:
        async with asyncio.timeout(timeout):
            while not done(self.frames):
                self.frames.append(json.loads(await self.ws.recv()))
        return self.frames


def bodies(frames) -> list[str]:
    return [f["message"]["body"] for f in frames if f["type"] == "message"]


def seqs(frames) -> list[int]:
    return [f["message"]["seq"] for f in frames if f["type"] == "message"]


def test_delivery_order_between_two_parties_over_a_real_server(server, open_chat, customer, engineer):
    session = active_chat(customer, engineer)
    customer_cookie, engineer_cookie = session_cookie(customer), session_cookie(engineer)
    engineer_token = token_for(engineer)
    expected = [f"line {i}" for i in range(24)]

    async def scenario():
        async with (
            open_socket(server, session.pk, customer_cookie, after=0) as mine_ws,
            open_socket(server, session.pk, engineer_cookie, after=0) as theirs_ws,
        ):
            mine, theirs = Reader(mine_ws), Reader(theirs_ws)
            loop = asyncio.get_running_loop()
            for i, body in enumerate(expected):
                if i % 2:  # the engineer through the HTTP API
                    status, _ = await loop.run_in_executor(
                        None,
                        lambda b=body: http(
                            server,
                            "POST",
                            f"/api/v1/chats/{session.pk}/messages/",
                            token=engineer_token,
                            payload={"body": b},
                        ),
                    )
                    assert status == 201
                else:  # the customer over the socket itself
                    await mine_ws.send(json.dumps({"type": "message", "body": body, "ref": i}))
                    # Stored: the sender hears its own message back, with its ref.
                    await mine.until(lambda f, ref=i: any(x.get("ref") == ref for x in f))
            for reader in (mine, theirs):
                got = await reader.until(lambda f: len(bodies(f)) >= 1 + len(expected))
                assert bodies(got)[1:] == expected  # after the "joined" notice, in order
                assert seqs(got) == list(range(1, len(expected) + 2))  # each once

    async_to_sync(scenario)()
    stored = list(ChatMessage.objects.filter(session=session, kind="message").order_by("seq"))
    assert [m.body for m in stored] == expected


def test_every_line_arrives_exactly_once_in_order(server, open_chat, customer, engineer):
    session = active_chat(customer, engineer)
    customer_cookie = session_cookie(customer)
    engineer_token = token_for(engineer)

    async def scenario():
        async with open_socket(server, session.pk, customer_cookie, after=0) as mine:
            loop = asyncio.get_running_loop()
            for i in range(15):
                await loop.run_in_executor(
                    None,
                    lambda i=i: http(
                        server,
                        "POST",
                        f"/api/v1/chats/{session.pk}/messages/",
                        token=engineer_token,
                        payload={"body": f"answer {i}"},
                    ),
                )
            reader = Reader(mine)
            got = await reader.until(lambda f: len(bodies(f)) >= 16)
            assert bodies(got)[1:] == [f"answer {i}" for i in range(15)]
            assert seqs(got) == list(range(1, 17))
            with pytest.raises(TimeoutError):
                await reader.until(lambda f: False, timeout=0.5)  # nothing doubled
            assert seqs(reader.frames) == list(range(1, 17))

    async_to_sync(scenario)()


def test_reconnect_catches_up_over_a_real_server(server, open_chat, customer, engineer):
    session = active_chat(customer, engineer)
    cookie = session_cookie(customer)
    engineer_token = token_for(engineer)

    async def scenario():
        loop = asyncio.get_running_loop()
        async with open_socket(server, session.pk, cookie, after=0) as first:
            got = await frames_until(first, lambda f: len(bodies(f)) >= 1)
            last_id = [f["message"]["id"] for f in got if f["type"] == "message"][-1]
        for body in ("while away 1", "while away 2", "while away 3"):
            status, _ = await loop.run_in_executor(
                None,
                lambda b=body: http(
                    server,
                    "POST",
                    f"/api/v1/chats/{session.pk}/messages/",
                    token=engineer_token,
                    payload={"body": b},
                ),
            )
            assert status == 201
        async with open_socket(server, session.pk, cookie, after=last_id) as again:
            got = await frames_until(again, lambda f: len(bodies(f)) >= 3)
            assert bodies(got) == ["while away 1", "while away 2", "while away 3"]
            await again.send(json.dumps({"type": "catch_up", "after": last_id}))
            replay = await frames_until(again, lambda f: len(bodies(f)) >= 3)
            assert bodies(replay) == ["while away 1", "while away 2", "while away 3"]
            with pytest.raises(TimeoutError):
                await frames_until(again, lambda f: False, timeout=0.5)

    async_to_sync(scenario)()


@pytest.mark.parametrize("role, code", [("anonymous", 4401), ("other_customer", 4404), ("coworker", 4403)])
def test_a_real_server_refuses_sockets_outside_the_chat(request, server, open_chat, customer, role, code):
    session = request_chat(customer, message="private")
    cookie = None if role == "anonymous" else session_cookie(request.getfixturevalue(role))

    async def scenario():
        async with open_socket(server, session.pk, cookie) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    frame = json.loads(await ws.recv())
                    assert frame["type"] not in ("message", "state"), frame
            assert closed.value.rcvd.code == code

    async_to_sync(scenario)()


def test_a_customer_cannot_read_another_accounts_chat_over_a_real_server(
    server, open_chat, customer, other_customer, engineer
):
    theirs = request_chat(other_customer, message="our secret")
    token = token_for(customer)

    assert http(server, "GET", f"/api/v1/chats/{theirs.pk}/", token=token)[0] == 404
    assert http(server, "GET", f"/api/v1/chats/{theirs.pk}/messages/", token=token)[0] == 404
    status, _ = http(
        server, "POST", f"/api/v1/chats/{theirs.pk}/messages/", token=token, payload={"body": "hi"}
    )
    assert status == 404
    listed = http(server, "GET", "/api/v1/chats/", token=token)[1]
    assert theirs.pk not in [chat["id"] for chat in listed["results"]]
