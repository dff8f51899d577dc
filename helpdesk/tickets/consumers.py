"""/ws/tickets/<id>/presence/: which other engineers have a ticket open, and whether they are typing.

Presence lives in the channel layer only, nothing is stored: a socket that joins a ticket's
group announces itself, every socket already there answers it directly, and each socket
keeps the list of the others it has heard from. A socket that leaves says so; one that dies
without a word (a laptop lid shut) is forgotten once it has not been heard from for
STALE_SECONDS, since every page pings the others every PING_SECONDS.

Only support staff join (a customer of the ticket's account is closed with 4403, anyone else
with 4404, as the chat sockets do). Frames to the client: ``{"type": "presence", "others":
[{"name", "typing"}]}`` (other engineers, one entry each, however many tabs they have open)
and ``{"type": "pong"}``. From the client: ``{"type": "typing"}`` (repeated every few seconds
while keys are pressed), ``{"type": "idle"}``, ``{"type": "ping"}``.
"""

import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from helpdesk.tickets import access

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404

# The page pings every PING_SECONDS; a socket not heard from for STALE_SECONDS has gone.
PING_SECONDS = 20
STALE_SECONDS = 60
# A typing flag that no "idle" followed (the tab closed mid-word) lapses after this long.
TYPING_SECONDS = 10


def presence_group(ticket_id: int) -> str:
    return f"ticket_presence_{ticket_id}"


def _ticket_visible(user, ticket_id: int) -> bool:
    return access.tickets_visible_to(user).filter(pk=ticket_id).exists()


class TicketPresenceConsumer(AsyncJsonWebsocketConsumer):
    """One engineer's ticket page: tells the others it is here, and hears about them."""

    joined = False
    typing = False

    async def connect(self):
        self.others: dict[str, dict] = {}  # channel name -> {user, name, typing, typing_at, seen}
        self.shown: list | None = None
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        ticket_id = min(int(self.scope["url_route"]["kwargs"]["pk"]), 2**63 - 1)
        if not await database_sync_to_async(_ticket_visible)(user, ticket_id):
            await self.close(code=CLOSE_NOT_FOUND)
            return
        if not access.may_work_tickets(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user = user
        self.group = presence_group(ticket_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.joined = True
        await self._send_others()
        await self._tell_group("presence.join")

    async def disconnect(self, code):
        if self.joined:
            self.joined = False
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.channel_layer.group_send(
                self.group, {"type": "presence.leave", "sender": self.channel_name}
            )

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return json.loads(text_data)
        except ValueError:
            return None

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is not None and len(text_data) <= 1000:
            await super().receive(text_data=text_data, **kwargs)

    # --- from the page -------------------------------------------------------------------

    async def receive_json(self, content, **kwargs):
        if not self.joined or not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "typing" or (kind == "idle" and self.typing):
            # The page repeats "typing" every few seconds while keys are pressed: each one
            # renews the flag on the other pages, which let it lapse after TYPING_SECONDS.
            self.typing = kind == "typing"
            await self._tell_group("presence.update")
        elif kind == "ping":
            await self._tell_group("presence.update")
            await self._send_others()
            await self.send_json({"type": "pong"})

    # --- from the other engineers' sockets -------------------------------------------------

    async def presence_join(self, event):
        if event["sender"] == self.channel_name:
            return
        self._heard(event)
        await self.channel_layer.send(event["sender"], {**self._me(), "type": "presence.here"})
        await self._send_others()

    async def presence_here(self, event):
        self._heard(event)
        await self._send_others()

    async def presence_update(self, event):
        if event["sender"] == self.channel_name:
            return
        self._heard(event)
        await self._send_others()

    async def presence_leave(self, event):
        if self.others.pop(event["sender"], None) is not None:
            await self._send_others()

    # --- helpers -----------------------------------------------------------------------------

    def _me(self) -> dict:
        return {
            "sender": self.channel_name,
            "user": self.user.pk,
            "name": self.user.display_name,
            "typing": self.typing,
        }

    async def _tell_group(self, kind: str) -> None:
        await self.channel_layer.group_send(self.group, {**self._me(), "type": kind})

    def _heard(self, event: dict) -> None:
        now = time.monotonic()
        self.others[event["sender"]] = {
            "user": event["user"],
            "name": str(event["name"])[:150],
            "typing": bool(event.get("typing")),
            "typing_at": now,
            "seen": now,
        }

    def others_now(self) -> list[dict]:
        """Other engineers on the ticket (not this user's other tabs), each once, by name."""
        now = time.monotonic()
        self.others = {
            channel: other for channel, other in self.others.items() if now - other["seen"] < STALE_SECONDS
        }
        people: dict[int, dict] = {}
        for other in self.others.values():
            if other["user"] == self.user.pk:
                continue
            typing = other["typing"] and now - other["typing_at"] < TYPING_SECONDS
            person = people.setdefault(other["user"], {"name": other["name"], "typing": False})
            person["typing"] = person["typing"] or typing
        return sorted(people.values(), key=lambda person: person["name"])

    async def _send_others(self) -> None:
        others = self.others_now()
        if others != self.shown:
            self.shown = others
            await self.send_json({"type": "presence", "others": others})
