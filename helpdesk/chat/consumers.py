"""WebSocket consumers of live chat: one session's conversation, and the engineers' lobby.

Authentication and the account check happen on connect (the session cookie, or an
``Authorization: Token`` header for API clients). A refused socket is accepted and at once
closed with a 4xxx code, so the client can tell why: 4401 not signed in, 4404 no such
session in the caller's reach (another account's), 4403 visible but not a party.

Messages are stored before they are pushed. Every message of a session has a number
(`seq` 1, 2, 3…); a socket forwards each exactly once and in order, and when a push is
missing (a gap in the numbers, a layer outage, a sweep in another process on the
in-memory layer) it reads the missing ones from the database. A client that reconnects
says the id of the last message it has (``?after=<id>`` or ``{"type": "catch_up",
"after": <id>}``) and is sent everything after it. Changes of state (position in line,
accepted, warned, ended, escalated) are re-read at the instants the socket knows are due,
and now and then besides, in case a push never came.

Frames to the client: ``{"type": "state", "chat": {...}}``, ``{"type": "message",
"message": {id, seq, kind, author, body, created_at}}`` (``"ref"`` added on the sender's
own message: that is its acknowledgement), ``{"type": "typing", "name"}``,
``{"type": "error", "status": 400|403|409, ...}``. From the client: ``{"type": "message",
"body", "ref"}``, ``{"type": "catch_up", "after"}``, ``{"type": "typing"}``, ``{"type": "ping"}``.
"""

import asyncio
import contextlib
import datetime as dt
import gc
import json
import logging
import random
import threading
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from urllib.parse import parse_qs

from asgiref.sync import SyncToAsync
from channels import exceptions as channels_exceptions
from channels import layers as channels_layers
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connections
from django.utils.dateparse import parse_datetime
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from helpdesk.chat import access, selectors
from helpdesk.chat.services import chats, pushes
from helpdesk.kit import roles
from helpdesk.kit.errors import ConflictError, ValidationError

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_BAD_REQUEST = 4400

# The safety net for pushes that cannot reach this process (e.g. a sweep in a worker on the
# in-memory layer): how often a socket re-reads its session on its own.
WAITING_RECHECK_SECONDS = 5.0
ACTIVE_RECHECK_SECONDS = 60.0
DUE_RECHECK_SECONDS = 1.0
# How long a socket waits for pushes to fill a gap before it reads the lines from the database.
PUSH_WAIT_SECONDS = 2.0


# A connection that answered a chat call this recently is not health-checked again: under load
# a chat thread's connection answers hundreds of times a second, and a `SELECT 1` before each
# call was one round trip in five of every message posted (measured on PostgreSQL). One idle
# for longer is checked as CONN_HEALTH_CHECKS asks; one that fails mid-call is dropped by
# Django's `errors_occurred` check on the way out.
RECENTLY_ANSWERED_SECONDS = 1.0
_answered = threading.local()


def _tidy_connections() -> None:
    """Django's close_old_connections, minus the cost of it that a chat socket's calls cannot afford.

    A healthy SQLite connection stays open: reopening the file per call (and re-reading its
    schema) would cost more than the message itself, and a local file goes stale in no way
    that closing would cure. Any other database keeps its CONN_MAX_AGE, and its health check
    runs only on a connection that has not answered in the last RECENTLY_ANSWERED_SECONDS.
    """
    now = time.monotonic()
    answered_at = getattr(_answered, "at", {})
    for conn in connections.all(initialized_only=True):
        if (
            conn.vendor == "sqlite"
            and conn.connection is not None
            and not conn.errors_occurred
            and conn.get_autocommit() == conn.settings_dict["AUTOCOMMIT"]
        ):
            continue
        conn.close_if_unusable_or_obsolete()
        if conn.connection is None or conn.errors_occurred:
            answered_at.pop(conn.alias, None)
        elif now - answered_at.get(conn.alias, -RECENTLY_ANSWERED_SECONDS) < RECENTLY_ANSWERED_SECONDS:
            conn.health_check_done = True
    _answered.at = answered_at


def _answered_now() -> None:
    """Note the connections this thread has just used without an error (see `_tidy_connections`)."""
    answered_at = getattr(_answered, "at", {})
    now = time.monotonic()
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and not conn.errors_occurred:
            answered_at[conn.alias] = now
    _answered.at = answered_at


# Sockets' database calls run on threads of their own (settings.CHAT_DATABASE_THREADS), each
# with its own connection, so they do not queue behind Django's own sync code, which shares a
# single thread. Order within a socket holds: each socket awaits its calls in turn.
def _database_threads() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=settings.CHAT_DATABASE_THREADS, thread_name_prefix="chat-db")


_DATABASE_THREADS = _database_threads()


class _ChatThreads(Executor):
    """The current chat threads, whichever pool that is (close_database_threads starts a new one)."""

    def submit(self, fn, /, *args, **kwargs):
        return _DATABASE_THREADS.submit(fn, *args, **kwargs)


def close_database_threads() -> None:
    """Stop the chat threads, their database connections closing with them, and start new ones.

    For tests, which drop their database afterwards: a connection is closed only by its own
    thread, or when that thread ends.
    """
    global _DATABASE_THREADS
    old, _DATABASE_THREADS = _DATABASE_THREADS, _database_threads()
    old.shutdown(wait=True)
    gc.collect()


class database_sync_to_async(SyncToAsync):  # noqa: N801 - used like channels' function of that name
    """channels.db.database_sync_to_async on the chat threads, tidying with `_tidy_connections`."""

    def __init__(self, func):
        super().__init__(func, thread_sensitive=False, executor=_ChatThreads())

    def thread_handler(self, loop, *args, **kwargs):
        _tidy_connections()
        try:
            result = super().thread_handler(loop, *args, **kwargs)
        except BaseException:
            _tidy_connections()
            raise
        _answered_now()
        _tidy_connections()
        return result


@database_sync_to_async
def _user_for_token(key: str):
    try:
        user, _ = KnoxTokenAuthentication().authenticate_credentials(key.encode())
    except AuthenticationFailed:
        return None
    return user


async def authenticated_user(scope):
    """The session cookie's user (AuthMiddlewareStack), else an API token from the headers."""
    user = scope.get("user")
    if user is not None and user.is_authenticated:
        return user
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            kind, _, key = value.decode("latin-1").partition(" ")
            if kind.lower() == "token" and key.strip():
                found = await _user_for_token(key.strip())
                if found is not None:
                    return found
    return user or AnonymousUser()


def _query_int(scope, name: str) -> int | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name)
    if not values:
        return None
    try:
        number = int(values[0])
    except ValueError:
        return None
    return number if 0 <= number < 2**63 else None


def _error_payload(exc: Exception) -> dict:
    if isinstance(exc, ValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return {"status": 400, "errors": errors}
    if isinstance(exc, roles.Denied):
        return {"status": 403, "detail": str(exc)}
    if isinstance(exc, ConflictError):
        return {"status": 409, "detail": exc.message, "code": exc.code}
    return {"status": 500, "detail": "Something went wrong."}


class _JsonConsumer(AsyncJsonWebsocketConsumer):
    """Ignores what is not a JSON text frame instead of dropping the connection."""

    async def dispatch(self, message):
        # Channels closes old database connections before every event, on a thread hop of its
        # own; here every database call goes through `database_sync_to_async`, which tidies
        # connections itself, so a pushed message that needs no database costs no thread hop.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is None:
            return
        await super().receive(text_data=text_data, **kwargs)

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return json.loads(text_data)
        except ValueError:
            return None


class ChatConsumer(_JsonConsumer):
    """/ws/chats/<id>/: the session's messages and state, for its customer and support staff."""

    session_id: int
    last_seq = 0
    state: dict | None = None
    in_queue_group = False
    watcher: asyncio.Task | None = None
    joined = False

    async def connect(self):
        self.session_id = min(int(self.scope["url_route"]["kwargs"]["pk"]), 2**63 - 1)
        self.refs: dict[int, object] = {}  # message id -> the ref its sender gave it
        self.gap_checks: set[asyncio.Task] = set()
        # One writer of messages at a time: each seq goes out once, and in order.
        self.send_lock = asyncio.Lock()
        await self.accept()
        self.user = await authenticated_user(self.scope)
        if not self.user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        session = await database_sync_to_async(selectors.socket_chat)(user=self.user, pk=self.session_id)
        if session is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        if not access.may_join_chat(self.user, session):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.session = session
        self.group = pushes.chat_group(self.session_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.joined = True
        # Pushes that arrive from here on wait until this handler is done: the catch-up
        # below is sent first, and the numbers drop whatever it already covered.
        await self._send_state(
            await database_sync_to_async(selectors.socket_state)(session_id=self.session_id)
        )
        await self._catch_up(after_id=_query_int(self.scope, "after") or 0)
        self.watcher = asyncio.ensure_future(self._watch())

    async def disconnect(self, code):
        if self.watcher is not None:
            self.watcher.cancel()
        for task in list(self.gap_checks):
            task.cancel()
        if self.joined:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if self.in_queue_group:
            await self.channel_layer.group_discard(pushes.QUEUE_GROUP, self.channel_name)

    # --- from the client ---------------------------------------------------------------

    async def receive_json(self, content, **kwargs):
        if not self.joined or not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "catch_up":
            after = content.get("after")
            if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after < 2**63:
                await self.send_json({"type": "error", "status": 400, "detail": "after: a message id."})
                return
            await self._catch_up(after_id=after, resend=True)
        elif kind == "message":
            await self._post(content)
        elif kind == "typing":
            await self.channel_layer.group_send(
                self.group,
                {
                    "type": "chat.typing",
                    "name": self.user.display_name,
                    "sender": self.channel_name,
                },
            )
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_json({"type": "error", "status": 400, "detail": "Unknown message type."})

    async def _post(self, content):
        ref = content.get("ref")
        body = content.get("body")
        try:
            message = await database_sync_to_async(self._post_sync)(body)
        except (ValidationError, roles.Denied, ConflictError) as exc:
            await self.send_json({"type": "error", "ref": ref, **_error_payload(exc)})
            return
        # The sender hears its own message once, stored, carrying its ref (no separate ack);
        # the push of it that follows is then a duplicate and dropped.
        payload = selectors.message_payload(message, self.user)
        async with self.send_lock:
            if payload["seq"] == self.last_seq + 1:
                self.last_seq = payload["seq"]
                await self.send_json({"type": "message", "message": payload, "ref": ref})
                return
            if payload["seq"] <= self.last_seq:  # a catch-up sent it already
                await self.send_json({"type": "ack", "ref": ref, "id": payload["id"], "seq": payload["seq"]})
                return
            self.refs[payload["id"]] = ref
        self._await_pushes(payload["seq"])

    def _post_sync(self, body):
        # The service reads the session again under its row lock and checks the author there.
        return chats.chat_post(session=self.session, author=self.user, body=body)

    # --- from the channel layer ----------------------------------------------------------

    async def chat_message(self, event):
        message = event["message"]
        async with self.send_lock:
            seq = message["seq"]
            if seq <= self.last_seq:
                return  # sent already (a catch-up covered it)
            if seq == self.last_seq + 1:
                self.last_seq = seq
                frame = {"type": "message", "message": message}
                if message["id"] in self.refs:  # this socket's own line, acknowledged now
                    frame["ref"] = self.refs.pop(message["id"])
                await self.send_json(frame)
                return
        await self._catch_up(after_seq=self.last_seq)  # a push went missing: read the gap

    async def chat_state(self, event):
        await self._send_state(event["chat"])

    async def queue_changed(self, event):
        if self.state is None or self.state["status"] != "queued":
            return
        try:
            position = event["queue"].index(self.session_id) + 1
        except ValueError:
            # No longer waiting: the state push says what became of it; read it in case it is lost.
            await self._refresh()
            return
        if position != self.state.get("queue_position"):
            await self._send_state({**self.state, "queue_position": position})

    async def chat_typing(self, event):
        if event.get("sender") != self.channel_name:
            await self.send_json({"type": "typing", "name": event["name"]})

    # --- helpers -------------------------------------------------------------------------

    async def _send_state(self, state: dict | None):
        if state is None or state == self.state:
            return
        self.state = state
        queued = state["status"] == "queued"
        if queued and not self.in_queue_group:
            await self.channel_layer.group_add(pushes.QUEUE_GROUP, self.channel_name)
            self.in_queue_group = True
        elif not queued and self.in_queue_group:
            await self.channel_layer.group_discard(pushes.QUEUE_GROUP, self.channel_name)
            self.in_queue_group = False
        await self.send_json({"type": "state", "chat": state})

    async def _catch_up(self, *, after_id: int | None = None, after_seq: int | None = None, resend=False):
        baseline, messages = await database_sync_to_async(selectors.socket_messages)(
            session_id=self.session_id, after_id=after_id, after_seq=after_seq
        )
        async with self.send_lock:
            if not resend:
                self.last_seq = max(self.last_seq, baseline)
            for message in messages:
                if resend or message["seq"] > self.last_seq:
                    self.last_seq = max(self.last_seq, message["seq"])
                    frame = {"type": "message", "message": message}
                    if message["id"] in self.refs:
                        frame["ref"] = self.refs.pop(message["id"])
                    await self.send_json(frame)

    def _await_pushes(self, seq: int) -> None:
        """Let the pushes of the lines before `seq` arrive; read them back only if they do not.

        A line stored by this socket can come back before the lines stored just before it by the
        other party, whose pushes are on their way (sent in commit order). Reading the gap back
        at once cost a query for nearly every line once pushes ran a second behind, which made
        them run later still; the pushes fill it, and the database is asked only when one has
        not come within PUSH_WAIT_SECONDS (a layer outage).
        """
        task = asyncio.ensure_future(self._fill_gap_later(seq))
        self.gap_checks.add(task)
        task.add_done_callback(self.gap_checks.discard)

    async def _fill_gap_later(self, seq: int) -> None:
        await asyncio.sleep(PUSH_WAIT_SECONDS)
        if self.last_seq >= seq:
            return
        try:
            await self._catch_up(after_seq=self.last_seq)
        except Exception as exc:  # noqa: BLE001 - like the watcher: the socket may have gone meanwhile
            gone = type(exc).__name__ == "ClientDisconnected"
            log.log(
                logging.DEBUG if gone else logging.WARNING,
                "chat %s socket catch-up failed",
                self.session_id,
                exc_info=not gone,
            )

    async def _refresh(self):
        state, count = await database_sync_to_async(selectors.socket_snapshot)(session_id=self.session_id)
        if count > self.last_seq:
            await self._catch_up(after_seq=self.last_seq)
        await self._send_state(state)

    def _next_check(self) -> float | None:
        """Seconds until this socket should look at the database itself (None: never again)."""
        state = self.state or {}
        status = state.get("status")
        now = dt.datetime.now(dt.UTC)
        if status == "queued":
            due = parse_datetime(state["wait_deadline"]) if state.get("wait_deadline") else None
            if due is not None and due <= now:
                return DUE_RECHECK_SECONDS
            until = (due - now).total_seconds() + 0.3 if due else WAITING_RECHECK_SECONDS
            return max(0.3, min(WAITING_RECHECK_SECONDS, until))
        if status == "active":
            ends_at = parse_datetime(state["ends_at"]) if state.get("ends_at") else None
            if ends_at is None:
                return ACTIVE_RECHECK_SECONDS
            instants = [ends_at]
            if not state.get("warned_at"):
                instants.append(ends_at - dt.timedelta(seconds=chats.warning_seconds()))
            if min(instants) <= now:
                return DUE_RECHECK_SECONDS
            return max(0.3, min(ACTIVE_RECHECK_SECONDS, (min(instants) - now).total_seconds() + 0.3))
        return None

    async def _watch(self):
        try:
            while True:
                delay = self._next_check()
                if delay is None:
                    return
                if delay >= WAITING_RECHECK_SECONDS:
                    # Sockets that opened together must not all read the database together.
                    delay *= random.uniform(0.75, 1.25)  # noqa: S311 - spreading load, not secrecy
                await asyncio.sleep(delay)
                await self._refresh()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the net must never take the socket down
            gone = type(exc).__name__ == "ClientDisconnected"  # closed while it looked
            log.log(
                logging.DEBUG if gone else logging.WARNING,
                "chat %s socket re-check failed",
                self.session_id,
                exc_info=not gone,
            )


class ChatLobbyConsumer(_JsonConsumer):
    """/ws/chats/: tells engineer consoles that the waiting line or the running sessions changed."""

    joined = False

    async def connect(self):
        await self.accept()
        user = await authenticated_user(self.scope)
        if not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if not access.may_take_chats(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.channel_layer.group_add(pushes.LOBBY_GROUP, self.channel_name)
        self.joined = True
        await self.send_json({"type": "lobby"})

    async def disconnect(self, code):
        if self.joined:
            await self.channel_layer.group_discard(pushes.LOBBY_GROUP, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def lobby_changed(self, event):
        await self.send_json({"type": "lobby", "waiting": event.get("waiting")})


class InMemoryChannelLayer(channels_layers.InMemoryChannelLayer):
    """Channels' in-memory layer (the embedded default's), without its cost per event.

    Channels' own layer sweeps every channel and group for expired messages on every send
    and receive, which grows with the number of open sockets; here the sweep runs at most
    once a second (messages and memberships still expire as configured), and a group send
    neither deep-copies nor starts a task per receiver.
    """

    clean_interval = 1.0
    _cleaned_at = 0.0

    async def send(self, channel, message):
        # Channels deep-copies every message for every receiver; these consumers never change
        # what they receive, so one shallow copy each will do.
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_channel_name(channel)
        queue = self.channels.setdefault(channel, asyncio.Queue(maxsize=self.get_capacity(channel)))
        try:
            queue.put_nowait((time.time() + self.expiry, dict(message)))
        except asyncio.QueueFull as exc:
            raise channels_exceptions.ChannelFull(channel) from exc

    async def group_send(self, group, message):
        # One after another, without a task per receiver: sending to a local queue never waits.
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, ())):
            # A full channel belongs to a socket far behind: it reads the gap back from the database.
            with contextlib.suppress(channels_exceptions.ChannelFull):
                await self.send(channel, message)

    def _clean_expired(self):
        now = time.monotonic()
        if now - self._cleaned_at < self.clean_interval:
            return
        self._cleaned_at = now
        super()._clean_expired()
