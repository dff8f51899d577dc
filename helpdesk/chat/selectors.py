"""Live chat reads: opening hours, the waiting line, sessions and transcripts, scoped through access.py."""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import BooleanField, Case, Count, F, Max, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from helpdesk.accounts import access as accounts_access
from helpdesk.accounts.models import Account, User
from helpdesk.chat import access
from helpdesk.chat.models import (
    ChatKind,
    ChatMessage,
    ChatMessageKind,
    ChatSession,
    ChatStatus,
    ConsolePresence,
)
from helpdesk.kit import roles
from sla import calendars
from sla.terms.models import Plan
from sla.terms.policies import calendar_of

SESSION_RELATED = ("account", "account__plan", "customer", "engineer", "plan")
# How far ahead "open until" looks for the end of the current opening.
_CLOSING_HORIZON = dt.timedelta(days=8)


# --- opening hours -----------------------------------------------------------------------


@dataclass(frozen=True)
class ChatHours:
    """Whether a plan offers live chat, whether it is open at an instant, and when that changes."""

    offered: bool
    open_now: bool
    opens_at: dt.datetime | None = None  # next opening (UTC) while closed
    closes_at: dt.datetime | None = None  # end of the current opening (UTC); None: no end in sight
    calendar_name: str = ""


def chat_calendar(plan: Plan) -> calendars.WorkingCalendar | None:
    """The plan's chat hours as pure calendar arithmetic (memoized); None means around the clock."""
    return calendar_of({"calendar": plan.chat_calendar.snapshot()})


def chat_hours(plan: Plan, *, now: dt.datetime) -> ChatHours:
    """Chat hours come from the plan's chat calendar (in its zone, the support zone when seeded).

    A plan without a chat calendar has no live chat; a chat calendar without opening hours
    is open around the clock.
    """
    if plan.chat_calendar_id is None:
        return ChatHours(offered=False, open_now=False)
    name = plan.chat_calendar.name
    calendar = chat_calendar(plan)
    if calendar is None:
        return ChatHours(offered=True, open_now=True, calendar_name=name)
    if calendars.is_open(calendar, now):
        current = next(calendars.working_intervals(calendar, now, now + _CLOSING_HORIZON), None)
        closes_at = current[1] if current and current[1] < now + _CLOSING_HORIZON else None
        return ChatHours(offered=True, open_now=True, closes_at=closes_at, calendar_name=name)
    return ChatHours(
        offered=True, open_now=False, opens_at=calendars.next_opening(calendar, now), calendar_name=name
    )


def plan_with_chat_calendar(plan_id: int) -> Plan:
    return (
        Plan.objects.select_related("chat_calendar")
        .prefetch_related("chat_calendar__hours", "chat_calendar__holidays")
        .get(pk=plan_id)
    )


def customer_chat_hours(*, user: User, now: dt.datetime) -> tuple[Account, ChatHours]:
    account = get_object_or_404(accounts_access.accounts_visible_to(user), pk=user.account_id)
    return account, chat_hours(plan_with_chat_calendar(account.plan_id), now=now)


# --- the waiting line ----------------------------------------------------------------------


def queued_ids() -> list[int]:
    """Every waiting request, first come first served."""
    return list(ChatSession.objects.queued().values_list("pk", flat=True))


def queue_position(session: ChatSession) -> int | None:
    """1 for the first in line; None once the request is no longer waiting."""
    if session.status != ChatStatus.QUEUED:
        return None
    ahead = ChatSession.objects.queued().filter(requested_at__lt=session.requested_at).count()
    level = ChatSession.objects.queued().filter(requested_at=session.requested_at, pk__lt=session.pk).count()
    return ahead + level + 1


def queue_positions() -> dict[int, int]:
    return {pk: index for index, pk in enumerate(queued_ids(), start=1)}


def waiting_chats(*, user: User) -> QuerySet[ChatSession]:
    """The engineer console's waiting list: plan, account, how long each has waited."""
    return (
        access.chats_visible_to(user)
        .filter(status=ChatStatus.QUEUED)
        .select_related(*SESSION_RELATED)
        .order_by("requested_at", "id")
    )


# The console refreshes itself every 10 s; one not heard from for this long has been closed.
ONLINE_SECONDS = 60


def engineers_online(*, now: dt.datetime) -> int:
    """How many active support staff have the chat console open (seen within ONLINE_SECONDS)."""
    return ConsolePresence.objects.filter(
        seen_at__gte=now - dt.timedelta(seconds=ONLINE_SECONDS), user__is_active=True
    ).count()


def queue_news(*, user: User) -> dict:
    """For the queue page's poll: how many chats wait, and the newest waiting one (0: none)."""
    if not access.may_take_chats(user):
        return {}
    waiting = access.chats_visible_to(user).filter(status=ChatStatus.QUEUED)
    return waiting.aggregate(chats_waiting=Count("pk"), newest_chat=Coalesce(Max("pk"), 0))


def active_chats(*, user: User) -> QuerySet[ChatSession]:
    """Sessions in progress, the viewer's own first, soonest to end first."""
    return (
        access.chats_visible_to(user)
        .filter(status=ChatStatus.ACTIVE)
        .select_related(*SESSION_RELATED)
        .annotate(
            mine=Case(
                When(engineer_id=user.pk, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by("-mine", "ends_at", "accepted_at", "id")
    )


def engineer_active_count(*, engineer: User) -> int:
    return ChatSession.objects.filter(engineer=engineer, status=ChatStatus.ACTIVE).count()


# --- sessions ------------------------------------------------------------------------------


def chat_list(*, user: User, status: str = "", account: int | None = None, kind: str = "") -> QuerySet:
    """Sessions the user may see; the waiting line in FIFO order, everything else newest first."""
    sessions = access.chats_visible_to(user).select_related(*SESSION_RELATED)
    if status:
        sessions = sessions.filter(status=status)
    if account:
        sessions = sessions.filter(account_id=account)
    if kind:
        sessions = sessions.filter(kind=kind)
    if status == ChatStatus.QUEUED:
        return sessions.order_by("requested_at", "id")
    return sessions.order_by("-requested_at", "-id")


def chat_for(*, user: User, pk) -> ChatSession:
    """One session the user may see, or 404 (another account's session is never a 403)."""
    return get_object_or_404(access.chats_visible_to(user).select_related(*SESSION_RELATED), pk=pk)


def open_chat_of(*, user: User) -> ChatSession | None:
    """The customer's chat that is waiting or running, if any."""
    if not roles.is_customer(user):
        return None
    return access.chats_visible_to(user).open().filter(customer=user).select_related(*SESSION_RELATED).first()


def chat_messages(*, user: User, session: ChatSession, after: int | None = None) -> QuerySet[ChatMessage]:
    messages = ChatMessage.objects.filter(session__in=access.chats_visible_to(user), session=session)
    if after:
        messages = messages.filter(pk__gt=after)
    return messages.select_related("author").order_by("seq")


def chat_history(*, user: User, account: int | None = None) -> QuerySet[ChatSession]:
    """Chats and phone calls of an account (a customer's own; staff any, or all), newest first."""
    sessions = access.chats_visible_to(user).select_related(*SESSION_RELATED, "ticket")
    if account:
        sessions = sessions.filter(account_id=account)
    return sessions.order_by("-requested_at", "-id")


def chat_events(*, session: ChatSession):
    return session.events.select_related("actor").order_by("at", "id")


# --- what travels on the socket ------------------------------------------------------------


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def author_payload(user: User | None) -> dict | None:
    if user is None:
        return None
    return {
        "id": user.pk,
        "name": user.display_name,
        "role": "staff" if user.is_support_staff else "customer",
    }


def message_payload(message: ChatMessage, author: User | None = None) -> dict:
    author = author if author is not None else message.author
    return {
        "id": message.pk,
        "seq": message.seq,
        "kind": message.kind,
        "body": message.body,
        "author": author_payload(author),
        "created_at": _iso(message.created_at),
    }


def chat_state(session: ChatSession, *, position: int | None = None) -> dict:
    """The session as its socket reports it (the API's fields plus what the window shows)."""
    engineer = session.engineer if session.engineer_id else None
    return {
        "id": session.pk,
        "kind": session.kind,
        "status": session.status,
        "queue_position": position if session.status == ChatStatus.QUEUED else None,
        "requested_at": _iso(session.requested_at),
        "wait_deadline": _iso(session.wait_deadline),
        "accepted_at": _iso(session.accepted_at),
        "ends_at": _iso(session.ends_at),
        "warned_at": _iso(session.warned_at),
        "ended_at": _iso(session.ended_at),
        "end_reason": session.end_reason or None,
        "ticket": session.ticket_id,
        "engineer": engineer.display_name if engineer else None,
    }


def socket_chat(*, user: User, pk: int) -> ChatSession | None:
    """The session a socket asks for, if the user may see it at all (else None: 4404)."""
    return access.chats_visible_to(user).select_related("engineer").filter(pk=pk).first()


def socket_state(*, session_id: int) -> dict | None:
    session = ChatSession.objects.select_related("engineer").filter(pk=session_id).first()
    if session is None:
        return None
    return chat_state(session, position=queue_position(session))


def socket_snapshot(*, session_id: int) -> tuple[dict | None, int]:
    """A socket's periodic look: the session's state and how many lines it has (one query)."""
    session = ChatSession.objects.select_related("engineer").filter(pk=session_id).first()
    if session is None:
        return None, 0
    return chat_state(session, position=queue_position(session)), session.message_count


def socket_messages(*, session_id: int, after_id: int | None = None, after_seq: int | None = None):
    """(seq the client already has, messages after it) for a catch-up, by message id or by seq."""
    messages = ChatMessage.objects.filter(session_id=session_id).select_related("author").order_by("seq")
    if after_seq is None:
        after_id = after_id or 0
        baseline = (
            ChatMessage.objects.filter(session_id=session_id, pk__lte=after_id)
            .order_by("-seq")
            .values_list("seq", flat=True)
            .first()
        ) or 0
    else:
        baseline = after_seq
    return baseline, [message_payload(m) for m in messages.filter(seq__gt=baseline)]


# --- transcript ----------------------------------------------------------------------------


def _stamp(value: dt.datetime) -> str:
    local = value.astimezone(ZoneInfo(settings.SUPPORT_TIME_ZONE))
    return local.strftime("%Y-%m-%d %H:%M:%S %Z")


def _speaker(user: User | None) -> str:
    if user is None:
        return "Pledge"
    return f"{user.display_name} (support)" if user.is_support_staff else user.display_name


def chat_transcript(session: ChatSession) -> str:
    """The whole session as plain text with timestamps (support time zone) and names: a ticket description."""
    lines: list[str] = []
    account = session.account
    if session.kind == ChatKind.PHONE:
        lines.append(f"Phone call #{session.pk} with {session.caller} — {account.name}")
        duration = session.duration_seconds or 0
        lines.append(
            f"Started {_stamp(session.accepted_at)}, lasted {duration // 60} min {duration % 60} s; "
            f"logged by {_speaker(session.engineer)}."
        )
        lines.append("")
        lines.append("Notes:")
        lines.append(session.notes or "(none)")
        return "\n".join(lines)
    lines.append(f"Live chat #{session.pk} — {account.name} ({session.plan.name} plan)")
    lines.append(f"Requested {_stamp(session.requested_at)} by {_speaker(session.customer)}.")
    if session.accepted_at:
        lines.append(f"Accepted {_stamp(session.accepted_at)} by {_speaker(session.engineer)}.")
    else:
        lines.append("Nobody accepted the chat.")
    if session.ended_at:
        lines.append(f"Ended {_stamp(session.ended_at)} ({session.get_end_reason_display().lower()}).")
    if session.topic:
        lines.append(f"Topic: {session.topic}")
    lines.append("")
    spoken = [
        m
        for m in session.messages.select_related("author").order_by("seq")
        if m.kind == ChatMessageKind.MESSAGE
    ]
    if not spoken:
        lines.append("(No messages.)")
    for message in spoken:
        lines.append(f"[{_stamp(message.created_at)}] {_speaker(message.author)}:")
        lines.append(message.body)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def with_source_chat(tickets: QuerySet, *, user) -> QuerySet:
    """Annotate the live chat or phone call each ticket was escalated from, if the user may see it.

    `from_chat_id` and `from_chat_kind` are null for a ticket opened any other way. They come
    through the session's one-to-one ticket column, a join of the same statement, so a list of
    tickets costs no query more. Registered with helpdesk.tickets.origins in ChatConfig.ready().
    """
    if access.may_take_chats(user):  # staff see every chat
        return tickets.annotate(from_chat_id=F("chat_session__id"), from_chat_kind=F("chat_session__kind"))
    # Anyone else sees a chat only through access.chats_visible_to (a customer: their account's).
    visible = Q(chat_session__in=access.chats_visible_to(user))
    return tickets.annotate(
        from_chat_id=Case(When(visible, then=F("chat_session__id"))),
        from_chat_kind=Case(When(visible, then=F("chat_session__kind"))),
    )
