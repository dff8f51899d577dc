"""Pushing chat events to sockets after the database commits."""

import asyncio
import logging
import os
import weakref

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from helpdesk.chat import selectors
from helpdesk.chat.models import (
    ChatSession,
)

log = logging.getLogger(__name__)

QUEUE_GROUP = "chat_queue"  # sockets of waiting requests: positions
LOBBY_GROUP = "chat_lobby"  # engineer consoles: the waiting line changed


def chat_group(session_id: int) -> str:
    return f"chat_{session_id}"


class _Pusher:
    """Sends one event loop's pushes in the order they were made, one after another.

    A write that commits in a worker thread of an ASGI server (a view, a socket's database
    call) hands its pushes to the server's event loop and returns at once: database threads
    never wait for the channel layer, and pushes leave in the order the writes committed.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.queue: asyncio.Queue = asyncio.Queue()
        self.task = loop.create_task(self._run())

    async def _run(self) -> None:
        layer = get_channel_layer()
        while True:
            group, event = await self.queue.get()
            try:
                await layer.group_send(group, event)
            except Exception:  # noqa: BLE001 - clients catch up from the database
                log.warning("could not push %s to %s", event.get("type"), group, exc_info=True)


_pushers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Pusher]" = weakref.WeakKeyDictionary()


def _enqueue(group: str, event: dict) -> None:
    """On the event loop's thread: queue a push behind the ones made before it."""
    loop = asyncio.get_running_loop()
    pusher = _pushers.get(loop)
    if pusher is None or pusher.task.done():
        pusher = _pushers[loop] = _Pusher(loop)
    pusher.queue.put_nowait((group, event))


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the ASGI server this worker thread runs for, if any (as asgiref finds it)."""
    threadlocal = SyncToAsync.threadlocal
    if getattr(threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(threadlocal, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() else None


def _send(group: str, event: dict) -> None:
    """Best effort: the message is stored already, and a socket that misses it catches up."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:  # only a script or test calls services on an event loop's thread; sockets re-read
        log.debug("not pushing %s to %s from an event loop's thread", event.get("type"), group)
        return
    loop = _server_loop()
    try:
        if loop is not None:
            loop.call_soon_threadsafe(_enqueue, group, event)
        else:  # a Celery worker or a script: send it from here
            async_to_sync(layer.group_send)(group, event)
    except Exception:  # noqa: BLE001 - a layer outage must not fail the writer; clients catch up
        log.warning("could not push %s to %s", event.get("type"), group, exc_info=True)


def _broadcast_state(session_id: int) -> None:
    state = selectors.socket_state(session_id=session_id)
    if state is not None:
        _send(chat_group(session_id), {"type": "chat.state", "chat": state})


def _broadcast_queue() -> None:
    queue = selectors.queued_ids()
    _send(QUEUE_GROUP, {"type": "queue.changed", "queue": queue})
    _send(LOBBY_GROUP, {"type": "lobby.changed", "waiting": len(queue)})


def _push_state(session: ChatSession, *, queue_changed: bool = False) -> None:
    session_id = session.pk
    transaction.on_commit(lambda: _broadcast_state(session_id))
    if queue_changed:
        transaction.on_commit(_broadcast_queue)
    else:
        # Active sessions and their countdowns show on every console too.
        transaction.on_commit(lambda: _send(LOBBY_GROUP, {"type": "lobby.changed"}))
