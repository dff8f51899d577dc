"""Live chat writes: request, accept, post, end, escalate to a ticket, log a phone call, and the sweep.

Every message is stored (numbered 1, 2, 3… per session under the session's row lock)
before anyone is sent it: pushes to the sockets are side effects scheduled on commit,
and a socket that misses one reads the gap back from the database. The database says
when a request stops waiting (`wait_deadline`) and when a session closes (`ends_at`);
`chats_sweep_due`, run every second by beat, does what is overdue, and several sweeps
may run at once."""

import datetime as dt
import logging
import math
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from helpdesk.accounts.models import Account, User
from helpdesk.chat import access, selectors
from helpdesk.chat.models import (
    ChatEndReason,
    ChatEvent,
    ChatKind,
    ChatMessage,
    ChatMessageKind,
    ChatSession,
    ChatStatus,
)
from helpdesk.chat.services import pushes
from helpdesk.chat.services.pushes import chat_group
from helpdesk.kit import roles
from helpdesk.kit.errors import ConflictError, ValidationError, field_error
from helpdesk.kit.validation import clean_text
from helpdesk.tickets.models import Ticket

log = logging.getLogger(__name__)

MAX_MESSAGE_LENGTH = 5000
MAX_TOPIC_LENGTH = 200
MAX_NOTES_LENGTH = 10_000
MAX_CALL_SECONDS = 24 * 3600
DESCRIPTION_LIMIT = Ticket._meta.get_field("description").max_length
SWEEP_BATCH = 200
# A phone call being logged may have ended a little after the clock the form was filled in by.
CALL_END_TOLERANCE = dt.timedelta(minutes=5)


class ChatConflict(ConflictError):
    """A 409 that carries more than a message, e.g. when chat opens next."""

    def __init__(self, message: str, *, code: str, **extra):
        super().__init__(message, code=code)
        self.extra = extra


def wait_limit_seconds() -> int:
    return int(settings.CHAT_WAIT_SECONDS)


def warning_seconds() -> int:
    return int(settings.CHAT_WARNING_SECONDS)


def engineer_limit() -> int:
    return int(settings.CHAT_ENGINEER_LIMIT)


# --- helpers ---------------------------------------------------------------------------


def _locked(session_id: int) -> ChatSession:
    return ChatSession.objects.select_for_update().get(pk=session_id)


def _skip_locked(queryset):
    """Row claims that let sweeps run side by side; SQLite has one writer and no such clause."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    return queryset.select_for_update()


def _chat_event(session: ChatSession, code: str, actor: User | None, at: dt.datetime, **data) -> None:
    ChatEvent.objects.create(session=session, code=code, actor=actor, at=at, data=data)


# Storing a message is the one write every chat line pays for, many times a second across
# sessions; there the ORM's query building cost several times the SQL it sends (measured:
# 1.7 ms against 0.3 ms a message on SQLite), so these statements are written out.
_SESSIONS = ChatSession._meta.db_table
_MESSAGES = ChatMessage._meta.db_table
_CLAIMED = ("status", "ends_at", "account_id", "customer_id", "engineer_id", "message_count")


def _claim_seq(session_id: int) -> ChatSession:
    """Lock the session's row by numbering its next line; the session as posting checks it.

    The returned instance holds only those fields, `message_count` being the new line's
    number. A refusal after this raises, and the rollback gives the number back.
    """
    columns = ", ".join(_CLAIMED)
    with connection.cursor() as cursor:
        if connection.features.can_return_columns_from_insert:  # RETURNING, on UPDATE as well
            cursor.execute(
                f"UPDATE {_SESSIONS} SET message_count = message_count + 1 WHERE id = %s "  # noqa: S608
                f"RETURNING {columns}",
                [session_id],
            )
        else:
            cursor.execute(
                f"UPDATE {_SESSIONS} SET message_count = message_count + 1 WHERE id = %s",  # noqa: S608
                [session_id],
            )
            cursor.execute(f"SELECT {columns} FROM {_SESSIONS} WHERE id = %s", [session_id])  # noqa: S608
        row = cursor.fetchone()
    return _claimed_session(session_id, row)


def _claimed_session(session_id: int, row: tuple | None) -> ChatSession:
    """The session as `_CLAIMED` columns read it back (raw SQL hands back plain values)."""
    if row is None:
        raise ChatSession.DoesNotExist(f"no chat {session_id}")
    fields = dict(zip(_CLAIMED, row, strict=True))
    ends_at = fields["ends_at"]
    if isinstance(ends_at, str):  # SQLite hands back text to a raw query
        ends_at = dt.datetime.fromisoformat(ends_at)
    if ends_at is not None and timezone.is_naive(ends_at):
        fields["ends_at"] = ends_at.replace(tzinfo=dt.UTC)
    else:
        fields["ends_at"] = ends_at
    return ChatSession(id=session_id, **fields)


def _insert_message(
    session_id: int, *, seq: int, author: User | None, kind: str, body: str, now: dt.datetime
) -> ChatMessage:
    """Insert a line whose number `_claim_seq` gave (the caller holds the session's row lock)."""
    returning = " RETURNING id" if connection.features.can_return_columns_from_insert else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_MESSAGES} (session_id, seq, author_id, kind, body, created_at) "  # noqa: S608
            f"VALUES (%s, %s, %s, %s, %s, %s){returning}",
            [
                session_id,
                seq,
                author.pk if author else None,
                kind,
                body,
                connection.ops.adapt_datetimefield_value(now),
            ],
        )
        message_id = cursor.fetchone()[0] if returning else cursor.lastrowid
    message = ChatMessage(
        id=message_id,
        session_id=session_id,
        seq=seq,
        author=author,
        kind=kind,
        body=body,
        created_at=now,
    )
    message._state.adding = False
    message._state.db = connection.alias
    return message


def _claim_and_insert(
    session_id: int, *, author: User, kind: str, body: str, now: dt.datetime
) -> tuple[ChatSession, ChatMessage]:
    """`_claim_seq` and `_insert_message` in one statement, where data-modifying WITH exists.

    Every round trip to the database is one more wait for a busy machine to schedule the
    server and then this thread, and posting is the one write every chat line pays for:
    this saves one in four (BEGIN, this, COMMIT). The line is inserted before the caller
    checks the session; a refusal raises, and the rollback takes the line back with its number.
    """
    claimed = ", ".join(f"claimed.{column}" for column in _CLAIMED)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH claimed AS (UPDATE {_SESSIONS} SET message_count = message_count + 1 "  # noqa: S608
            f"WHERE id = %s RETURNING id, {', '.join(_CLAIMED)}), "
            f"stored AS (INSERT INTO {_MESSAGES} (session_id, seq, author_id, kind, body, created_at) "
            f"SELECT id, message_count, %s, %s, %s, %s FROM claimed RETURNING id) "
            f"SELECT {claimed}, stored.id FROM claimed, stored",
            [session_id, author.pk, kind, body, connection.ops.adapt_datetimefield_value(now)],
        )
        row = cursor.fetchone()
    session = _claimed_session(session_id, row and row[:-1])
    message = ChatMessage(
        id=row[-1],
        session_id=session_id,
        seq=session.message_count,
        author=author,
        kind=kind,
        body=body,
        created_at=now,
    )
    message._state.adding = False
    message._state.db = connection.alias
    return session, message


def _add_message(
    session: ChatSession,
    *,
    author: User | None,
    body: str,
    now: dt.datetime,
    kind: str = ChatMessageKind.MESSAGE,
) -> ChatMessage:
    """Store one line (the caller holds the session's row lock), then push it once committed."""
    session.message_count = _claim_seq(session.pk).message_count
    return _store(session.pk, seq=session.message_count, author=author, kind=kind, body=body, now=now)


def _store(
    session_id: int, *, seq: int, author: User | None, kind: str, body: str, now: dt.datetime
) -> ChatMessage:
    message = _insert_message(session_id, seq=seq, author=author, kind=kind, body=body, now=now)
    _push_message(message, author)
    return message


def _push_message(message: ChatMessage, author: User | None) -> None:
    payload = selectors.message_payload(message, author)
    group = chat_group(message.session_id)
    transaction.on_commit(lambda: pushes._send(group, {"type": "chat.message", "message": payload}))


def _duration_words(seconds: float) -> str:
    seconds = max(0, math.ceil(seconds))
    if seconds >= 60:
        minutes = round(seconds / 60)
        return f"{minutes} minute{'' if minutes == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def _finish(
    session: ChatSession, *, reason: str, actor: User | None, now: dt.datetime, notice: str | None
) -> ChatSession:
    """End an open session (the caller holds its row lock)."""
    was_queued = session.status == ChatStatus.QUEUED
    session.status = ChatStatus.ENDED
    session.ended_at = now
    session.end_reason = reason
    session.ended_by = actor
    session.save(update_fields=["status", "ended_at", "end_reason", "ended_by"])
    if notice:
        _add_message(session, author=None, body=notice, now=now, kind=ChatMessageKind.SYSTEM)
    _chat_event(session, "ended", actor, now, reason=reason, was=("queued" if was_queued else "active"))
    pushes._push_state(session, queue_changed=was_queued)
    return session


# --- the customer asks -----------------------------------------------------------------


def _opens_words(opens_at: dt.datetime, user: User) -> str:
    """When chat opens, on the customer's own clock (their zone, else the support zone)."""
    try:
        zone = ZoneInfo(user.timezone or settings.SUPPORT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(settings.SUPPORT_TIME_ZONE)
    return opens_at.astimezone(zone).strftime("%a %d %b %Y, %H:%M %Z")


@transaction.atomic
def chat_request(
    *, customer: User, topic: str = "", message: str = "", now: dt.datetime | None = None
) -> ChatSession:
    """Join the waiting line, inside the plan's chat hours; outside them a 409 says when chat opens."""
    roles.require(access.may_request_chat(customer), "Only customers ask for a live chat.")
    errors: dict[str, list] = {}
    topic = clean_text(topic, field="topic", max_length=MAX_TOPIC_LENGTH, errors=errors, required=False)
    message = clean_text(
        message, field="message", max_length=MAX_MESSAGE_LENGTH, errors=errors, required=False
    )
    if errors:
        raise ValidationError(errors)
    account = Account.objects.get(pk=customer.account_id)
    if not account.is_active:
        raise field_error("account", "This account's subscription has ended.")
    plan = selectors.plan_with_chat_calendar(account.plan_id)
    now = now or timezone.now()
    hours = selectors.chat_hours(plan, now=now)
    if not hours.offered:
        raise ChatConflict(
            f"The {plan.name} plan has no live chat: open a ticket instead.",
            code="no_live_chat",
            opens_at=None,
        )
    if not hours.open_now:
        raise ChatConflict(
            f"Live chat is closed now. It opens {_opens_words(hours.opens_at, customer)}; "
            "until then, open a ticket.",
            code="chat_closed",
            opens_at=hours.opens_at.isoformat(),
        )
    # One customer's requests one at a time; the unique constraint is the last word.
    User.objects.select_for_update().filter(pk=customer.pk).values_list("pk", flat=True).first()
    already = ChatSession.objects.open().filter(customer=customer).values_list("pk", flat=True).first()
    if already:
        raise ChatConflict(
            f"You already have a chat open (#{already}).", code="chat_already_open", chat=already
        )
    try:
        with transaction.atomic():
            session = ChatSession.objects.create(
                account=account,
                kind=ChatKind.CHAT,
                customer=customer,
                topic=topic,
                status=ChatStatus.QUEUED,
                plan=plan,
                session_limit=plan.chat_session_limit,
                requested_at=now,
                wait_deadline=now + dt.timedelta(seconds=wait_limit_seconds()),
            )
    except IntegrityError as exc:
        raise ChatConflict("You already have a chat open.", code="chat_already_open") from exc
    _chat_event(
        session,
        "requested",
        customer,
        now,
        plan=plan.code,
        session_limit=plan.chat_session_limit,
        wait_deadline=session.wait_deadline.isoformat(),
    )
    if message:
        _add_message(session, author=customer, body=message, now=now)
    pushes._push_state(session, queue_changed=True)
    return session


# --- support takes it ------------------------------------------------------------------


@transaction.atomic
def chat_accept(*, session: ChatSession, engineer: User, now: dt.datetime | None = None) -> ChatSession:
    """An engineer takes a waiting chat (one wins a race); the plan's session limit starts now."""
    roles.require(access.may_take_chats(engineer), "Only support staff take chats.")
    # The engineer's row first: their accepts one at a time, so the concurrent-chat limit holds.
    User.objects.select_for_update().filter(pk=engineer.pk).values_list("pk", flat=True).first()
    locked = _locked(session.pk)
    now = now or timezone.now()  # read under the lock
    if locked.kind != ChatKind.CHAT or locked.status != ChatStatus.QUEUED:
        taken = locked.status == ChatStatus.ACTIVE
        raise ChatConflict(
            "Another engineer took this chat already." if taken else "This chat is no longer waiting.",
            code="chat_not_queued",
        )
    if locked.wait_deadline and now >= locked.wait_deadline:
        raise ChatConflict(
            "This request waited too long and was offered a ticket instead.", code="chat_not_queued"
        )
    limit = engineer_limit()
    if selectors.engineer_active_count(engineer=engineer) >= limit:
        raise ChatConflict(
            f"You already have {limit} chats running: end one first.",
            code="chat_limit_reached",
            limit=limit,
        )
    locked.status = ChatStatus.ACTIVE
    locked.engineer = engineer
    locked.accepted_at = now
    locked.ends_at = now + dt.timedelta(seconds=locked.session_limit) if locked.session_limit else None
    locked.save(update_fields=["status", "engineer", "accepted_at", "ends_at"])
    limit_words = (
        f" This session can last {_duration_words(locked.session_limit)}." if locked.session_limit else ""
    )
    _add_message(
        locked,
        author=None,
        body=f"{engineer.display_name} from support joined the chat.{limit_words}",
        now=now,
        kind=ChatMessageKind.SYSTEM,
    )
    _chat_event(
        locked,
        "accepted",
        engineer,
        now,
        ends_at=locked.ends_at.isoformat() if locked.ends_at else None,
        waited_seconds=int((now - locked.requested_at).total_seconds()),
    )
    pushes._push_state(locked, queue_changed=True)
    return locked


# --- the conversation ------------------------------------------------------------------


@transaction.atomic
def chat_post(
    *, session: ChatSession, author: User, body: str, now: dt.datetime | None = None
) -> ChatMessage:
    """Store a message, then push it; nobody writes in an ended session or after its limit.

    Numbering the line locks the session's row: who accepted it, and whether it has ended, are
    read under the lock, not from `session`. On PostgreSQL a valid line is inserted by the same
    statement (`_claim_and_insert`), so `now` is read just before the lock there; the status
    read under it is what a session that the sweep has ended is refused by.
    """
    errors: dict[str, list] = {}
    body = clean_text(body, field="body", max_length=MAX_MESSAGE_LENGTH, errors=errors)
    message = None
    if not errors and connection.vendor == "postgresql":
        now = now or timezone.now()
        locked, message = _claim_and_insert(
            session.pk, author=author, kind=ChatMessageKind.MESSAGE, body=body, now=now
        )
    else:
        locked = _claim_seq(session.pk)
    if not access.may_post_chat(author, locked):
        raise roles.Denied(
            "Only the engineer who accepted this chat writes in it."
            if roles.is_staff(author)
            else "You may not write in this chat."
        )
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()  # read under the lock
    if locked.status == ChatStatus.ENDED or (locked.ends_at is not None and now >= locked.ends_at):
        raise ChatConflict("This chat has ended: nobody can write in it any more.", code="chat_ended")
    if message is None:
        return _store(
            locked.pk,
            seq=locked.message_count,
            author=author,
            kind=ChatMessageKind.MESSAGE,
            body=body,
            now=now,
        )
    _push_message(message, author)
    return message


@transaction.atomic
def chat_end(*, session: ChatSession, actor: User, now: dt.datetime | None = None) -> ChatSession:
    """End a session (a waiting request is withdrawn). Ending it again changes nothing."""
    roles.require(access.may_end_chat(actor, session), "You may not end this chat.")
    locked = _locked(session.pk)
    if locked.status == ChatStatus.ENDED:
        return locked
    now = now or timezone.now()
    staff = roles.is_staff(actor)
    if locked.status == ChatStatus.QUEUED and not staff:
        notice = f"{actor.display_name} stopped waiting."
    else:
        notice = f"{actor.display_name} ended the chat."
    return _finish(
        locked,
        reason=ChatEndReason.STAFF if staff else ChatEndReason.CUSTOMER,
        actor=actor,
        now=now,
        notice=notice,
    )
