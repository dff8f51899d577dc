"""The users of bench_load.py's load, for locust (run headless by bench_load.py, not on its own).

bench_load.py seeds the people and writes their API tokens and session cookies to the JSON file
named by PLEDGE_LOAD_PEOPLE; every id the API acknowledges (tickets, replies, chat messages) is
written, when the run stops, to PLEDGE_LOAD_RECORD, so that bench_load.py can check each is
stored exactly once. Request names say the kind: "portal ...", "api ...", "chat ...".

* Customers read the portal and the API, open tickets and reply to their own.
* Engineers read the queue page and the API, start work and reply.
* Chatters are a customer and an engineer of their own: the customer asks for a chat over the
  API, the engineer accepts it, both talk over the chat's WebSocket (every message acknowledged
  by the server to its sender and delivered to the other party), then the customer ends it.
* With PLEDGE_LOAD_DEADLINES set, one more user opens a ticket a second on a plan whose
  targets are seconds long and never starts work on it: its deadlines keep passing.
"""

import contextlib
import itertools
import json
import os
import random
import time
import uuid

from locust import HttpUser, between, constant_pacing, events, task
from websockets.sync.client import connect

PEOPLE = json.loads(open(os.environ["PLEDGE_LOAD_PEOPLE"]).read())  # noqa: SIM115 - read once, at import
RECORD: dict[str, list] = {"tickets": [], "messages": [], "chat_messages": [], "deadline_tickets": []}
_next = {kind: itertools.count() for kind in ("customers", "engineers", "chatters", "deadlines")}


def _take(kind: str) -> dict:
    people = PEOPLE[kind]
    return people[next(_next[kind]) % len(people)]


def _marker() -> str:
    return uuid.uuid4().hex


@events.test_stop.add_listener
def _write_record(environment, **kwargs) -> None:
    with open(os.environ["PLEDGE_LOAD_RECORD"], "w") as out:
        json.dump(RECORD, out)


class _Pledge(HttpUser):
    abstract = True

    def _signed_in(self, person: dict) -> None:
        self.person = person
        self.api = {"Authorization": f"Token {person['token']}"}
        self.client.cookies.set("sessionid", person["session"])

    def _json(self, response, *, expect: int) -> dict | None:
        if response.status_code != expect:
            response.failure(f"{response.status_code}: {response.text[:300]}")
            return None
        try:
            return response.json()
        except ValueError:
            response.failure("not JSON")
            return None


class Customer(_Pledge):
    weight = 7
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self._signed_in(_take("customers"))
        self.tickets = list(self.person["tickets"])

    @task(3)
    def portal_home(self) -> None:
        self.client.get("/portal/", name="portal /portal/")

    @task(2)
    def portal_ticket(self) -> None:
        self.client.get(f"/tickets/{random.choice(self.tickets)}/", name="portal /tickets/{id}/")

    @task(3)
    def api_list(self) -> None:
        self.client.get("/api/v1/tickets/", headers=self.api, name="api GET /tickets/")

    @task(2)
    def api_detail(self) -> None:
        self.client.get(
            f"/api/v1/tickets/{random.choice(self.tickets)}/", headers=self.api, name="api GET /tickets/{id}/"
        )

    @task(2)
    def api_messages(self) -> None:
        self.client.get(
            f"/api/v1/tickets/{random.choice(self.tickets)}/messages/",
            headers=self.api,
            name="api GET /tickets/{id}/messages/",
        )

    @task(2)
    def create_ticket(self) -> None:
        marker = _marker()
        payload = {
            "subject": f"Load {marker}",
            "description": "The invoices page is slow.",
            "priority": "general",
        }
        with self.client.post(
            "/api/v1/tickets/", json=payload, headers=self.api, name="api POST /tickets/", catch_response=True
        ) as response:
            body = self._json(response, expect=201)
            if body is not None:
                RECORD["tickets"].append([body["id"], marker])
                self.tickets.append(body["id"])

    @task(2)
    def reply(self) -> None:
        ticket = random.choice(self.tickets)
        marker = _marker()
        with self.client.post(
            f"/api/v1/tickets/{ticket}/messages/",
            json={"body": f"Customer reply {marker}"},
            headers=self.api,
            name="api POST /tickets/{id}/messages/",
            catch_response=True,
        ) as response:
            body = self._json(response, expect=201)
            if body is not None:
                RECORD["messages"].append([body["id"], ticket, marker])


class Engineer(_Pledge):
    weight = 2
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self._signed_in(_take("engineers"))
        self.tickets = list(PEOPLE["tickets"])

    def _some_ticket(self) -> int:
        return random.choice(self.tickets)

    @task(2)
    def queue_page(self) -> None:
        self.client.get("/queue/", name="portal /queue/")

    @task(2)
    def api_queue(self) -> None:
        with self.client.get(
            "/api/v1/tickets/", headers=self.api, name="api GET /tickets/ (staff)", catch_response=True
        ) as response:
            body = self._json(response, expect=200)
            if body is not None:
                self.tickets.extend(row["id"] for row in body["results"][:5])
                self.tickets = self.tickets[-200:]

    @task(2)
    def ticket_page(self) -> None:
        self.client.get(f"/tickets/{self._some_ticket()}/", name="portal /tickets/{id}/ (staff)")

    @task(1)
    def start_work(self) -> None:
        self.client.post(
            f"/api/v1/tickets/{self._some_ticket()}/start-work/",
            headers=self.api,
            name="api POST /tickets/{id}/start-work/",
        )

    @task(2)
    def reply(self) -> None:
        ticket = self._some_ticket()
        marker = _marker()
        with self.client.post(
            f"/api/v1/tickets/{ticket}/messages/",
            json={"body": f"Engineer reply {marker}"},
            headers=self.api,
            name="api POST /tickets/{id}/messages/ (staff)",
            catch_response=True,
        ) as response:
            body = self._json(response, expect=201)
            if body is not None:
                RECORD["messages"].append([body["id"], ticket, marker])


class Chatter(_Pledge):
    """A customer and the engineer who takes the customer's chats, talking over WebSockets."""

    weight = 1
    wait_time = between(1, 3)
    messages_per_chat = 6

    def on_start(self) -> None:
        pair = _take("chatters")
        self._signed_in(pair["customer"])
        self.engineer = {"Authorization": f"Token {pair['engineer']['token']}"}

    def _fire(self, name: str, started: float, error: Exception | None = None, length: int = 0) -> None:
        self.environment.events.request.fire(
            request_type="WS",
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=length,
            exception=error,
            context={},
        )

    def _socket(self, sockets: contextlib.ExitStack, chat: int, headers: dict):
        url = self.host.replace("http", "ws", 1) + f"/ws/chats/{chat}/"
        started = time.perf_counter()
        try:
            socket = sockets.enter_context(
                connect(url, additional_headers=headers, origin=self.host, open_timeout=30)
            )
        except Exception as error:  # noqa: BLE001 - any failure to connect is the request's failure
            self._fire("chat WS connect", started, error)
            return None
        self._fire("chat WS connect", started)
        return socket

    def _until(self, socket, wanted, timeout: float = 30.0) -> dict:
        """Frames until `wanted(frame)`; an error frame, a close or the timeout raises."""
        deadline = time.monotonic() + timeout
        while True:
            frame = json.loads(socket.recv(timeout=max(0.01, deadline - time.monotonic())))
            if frame.get("type") == "error":
                raise RuntimeError(f"error frame: {frame}")
            if wanted(frame):
                return frame

    @task
    def chat(self) -> None:
        with self.client.post(
            "/api/v1/chats/",
            json={"topic": "Load", "message": f"Hello {_marker()}"},
            headers=self.api,
            name="chat POST /chats/",
            catch_response=True,
        ) as response:
            body = self._json(response, expect=201)
        if body is None:
            return
        chat = body["id"]
        with self.client.post(
            f"/api/v1/chats/{chat}/accept/",
            headers=self.engineer,
            name="chat POST /chats/{id}/accept/",
            catch_response=True,
        ) as response:
            if self._json(response, expect=200) is None:
                return
        try:
            with contextlib.ExitStack() as opened:
                sockets = [self._socket(opened, chat, self.api), self._socket(opened, chat, self.engineer)]
                if None not in sockets:
                    self._talk(chat, sockets)
        finally:
            with self.client.post(
                f"/api/v1/chats/{chat}/end/",
                headers=self.api,
                name="chat POST /chats/{id}/end/",
                catch_response=True,
            ) as response:
                self._json(response, expect=200)

    def _talk(self, chat: int, sockets) -> None:
        for turn in range(self.messages_per_chat):
            sender, receiver = sockets[turn % 2], sockets[(turn + 1) % 2]
            marker = _marker()
            body = f"Chat {marker}"
            started = time.perf_counter()
            try:
                sender.send(json.dumps({"type": "message", "body": body, "ref": turn}))
                ack = self._until(
                    sender, lambda f, ref=turn: f.get("ref") == ref and f["type"] in ("message", "ack")
                )
                self._fire("chat WS message (stored, acknowledged)", started)
                message_id = ack["message"]["id"] if ack["type"] == "message" else ack["id"]
                RECORD["chat_messages"].append([message_id, chat, marker])
                self._until(
                    receiver, lambda f, sent=body: f.get("type") == "message" and f["message"]["body"] == sent
                )
                self._fire("chat WS delivery (sent to other party's socket)", started)
            except Exception as error:  # noqa: BLE001 - a lost or refused message is the request's failure
                self._fire("chat WS message (stored, acknowledged)", started, error)
                return
            time.sleep(random.uniform(0.5, 1.5))


class DeadlineSetter(_Pledge):
    """Opens a ticket a second on the plan with second-long targets (the fault benchmark's clocks)."""

    fixed_count = 1
    wait_time = constant_pacing(1.0)

    def on_start(self) -> None:
        self._signed_in(_take("deadlines"))

    @task
    def create(self) -> None:
        marker = _marker()
        payload = {
            "subject": f"Deadline {marker}",
            "description": "Seconds-long target.",
            "priority": "general",
        }
        with self.client.post(
            "/api/v1/tickets/",
            json=payload,
            headers=self.api,
            name="api POST /tickets/ (seconds-long target)",
            catch_response=True,
        ) as response:
            body = self._json(response, expect=201)
            if body is not None:
                RECORD["deadline_tickets"].append([body["id"], marker])


if not os.environ.get("PLEDGE_LOAD_DEADLINES"):
    del DeadlineSetter
