"""Turning a chat or a logged phone call into a ticket."""

import datetime as dt

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from helpdesk.accounts.models import Account, User
from helpdesk.chat import access, selectors
from helpdesk.chat.models import (
    ChatEndReason,
    ChatKind,
    ChatMessageKind,
    ChatSession,
    ChatStatus,
)
from helpdesk.chat.services import pushes
from helpdesk.chat.services.chats import (
    CALL_END_TOLERANCE,
    DESCRIPTION_LIMIT,
    MAX_CALL_SECONDS,
    MAX_NOTES_LENGTH,
    ChatConflict,
    _add_message,
    _chat_event,
    _finish,
    _locked,
)
from helpdesk.kit import roles
from helpdesk.kit.errors import ValidationError
from helpdesk.kit.validation import clean_text
from helpdesk.tickets.models import Ticket
from helpdesk.tickets.services.attachments import MAX_FILES_PER_MESSAGE
from helpdesk.tickets.services.events import event_record
from helpdesk.tickets.services.tickets import ticket_create

# --- turning it into a ticket ----------------------------------------------------------


def _ticket_subject(session: ChatSession) -> str:
    if session.kind == ChatKind.PHONE:
        subject = f"Phone call with {session.caller}"
    elif session.topic:
        subject = f"Live chat: {session.topic}"
    else:
        who = session.customer.display_name if session.customer_id else session.account.name
        subject = f"Live chat with {who}"
    return subject[:200]


def _split_bytes(data: bytes, limit: int) -> list[bytes]:
    """UTF-8 text in pieces of at most `limit` bytes, cut after a line if one fits, never in a character."""
    pieces: list[bytes] = []
    start = 0
    while start < len(data):
        end = min(start + limit, len(data))
        if end < len(data):
            line_end = data.rfind(b"\n", start, end)
            if line_end >= start:
                end = line_end + 1
            else:
                while end > start + 1 and data[end] & 0xC0 == 0x80:  # a continuation byte
                    end -= 1
        pieces.append(data[start:end])
        start = end
    return pieces


def _fit_description(session: ChatSession, transcript: str) -> tuple[str, list]:
    """The transcript as the description; one too long for it is attached whole as a text file.

    A transcript larger than one attachment may be (ATTACHMENT_MAX_BYTES) is attached in parts,
    so a long session can always be escalated.
    """
    if len(transcript) <= DESCRIPTION_LIMIT:
        return transcript, []
    data = transcript.encode("utf-8")
    stem = f"{session.kind}-{session.pk}-transcript"
    if len(data) <= settings.ATTACHMENT_MAX_BYTES:
        name = f"{stem}.txt"
        files = [ContentFile(data, name=name)]
        where = f"all of it is attached as {name}"
    else:
        pieces = _split_bytes(data, settings.ATTACHMENT_MAX_BYTES)
        total = len(pieces)
        if total > MAX_FILES_PER_MESSAGE:
            raise ChatConflict(
                f"This transcript is too long to attach ({len(data)} bytes in {total} parts; at most "
                f"{MAX_FILES_PER_MESSAGE} fit on a ticket). Open a ticket and summarise the chat.",
                code="transcript_too_long",
            )
        files = [
            ContentFile(piece, name=f"{stem}-part-{n}-of-{total}.txt") for n, piece in enumerate(pieces, 1)
        ]
        where = f"all of it is attached in {total} parts, {files[0].name} to {files[-1].name}"
    note = f"\n\n[The transcript is longer than a ticket description holds; {where}.]"
    head = transcript[: DESCRIPTION_LIMIT - len(note)].rstrip()
    return head + note, files


@transaction.atomic
def chat_escalate(
    *, session: ChatSession, actor: User, now: dt.datetime | None = None
) -> tuple[Ticket, bool]:
    """Turn a session into a ticket carrying its whole transcript; (ticket, created).

    The ticket is opened through ticket_create, by the customer or by staff on the account's
    behalf, so its Work Started clock starts at its creation. A session still open ends
    here (the transcript is complete). Escalating again returns the same ticket.
    """
    roles.require(access.may_escalate_chat(actor, session), "You may not turn this chat into a ticket.")
    locked = _locked(session.pk)
    if locked.ticket_id:
        return Ticket.objects.get(pk=locked.ticket_id), False
    now = now or timezone.now()
    if locked.is_open:
        _finish(locked, reason=ChatEndReason.ESCALATED, actor=actor, now=now, notice=None)
    locked = ChatSession.objects.select_related("account", "plan", "customer", "engineer").get(pk=locked.pk)
    description, files = _fit_description(locked, selectors.chat_transcript(locked))
    ticket = ticket_create(
        account=locked.account,
        created_by=actor,
        subject=_ticket_subject(locked),
        description=description,
        files=files,
        channel="phone" if locked.kind == ChatKind.PHONE else "chat",
        now=now,
    )
    locked.ticket = ticket
    locked.save(update_fields=["ticket"])
    event_record(
        ticket=ticket, code="created_from_chat", actor=actor, at=now, chat=locked.pk, kind=locked.kind
    )
    _chat_event(locked, "escalated", actor, now, ticket=ticket.pk)
    if locked.kind == ChatKind.CHAT:
        _add_message(
            locked,
            author=None,
            body=f"{actor.display_name} turned this chat into ticket #{ticket.pk}.",
            now=now,
            kind=ChatMessageKind.SYSTEM,
        )
    pushes._push_state(locked)
    return ticket, True


# --- phone ------------------------------------------------------------------------------


@transaction.atomic
def chat_log_phone(
    *,
    account: Account,
    logged_by: User,
    caller: str,
    started_at: dt.datetime,
    duration: int,
    notes: str = "",
    now: dt.datetime | None = None,
) -> ChatSession:
    """Record a phone call as a real-time session of the account (ended: it is logged afterwards)."""
    roles.require(access.may_log_phone_calls(logged_by), "Only support staff log phone calls.")
    now = now or timezone.now()
    errors: dict[str, list] = {}
    caller = clean_text(caller, field="caller", max_length=200, errors=errors)
    notes = clean_text(notes, field="notes", max_length=MAX_NOTES_LENGTH, errors=errors, required=False)
    if not isinstance(duration, int) or isinstance(duration, bool) or not 1 <= duration <= MAX_CALL_SECONDS:
        errors.setdefault("duration", []).append(
            f"Give the call's length in seconds, from 1 to {MAX_CALL_SECONDS}."
        )
    if not isinstance(started_at, dt.datetime) or timezone.is_naive(started_at):
        errors.setdefault("started_at", []).append("Give the time the call started, with its time zone.")
    elif started_at > now:
        errors.setdefault("started_at", []).append("The call cannot start in the future.")
    elif "duration" not in errors and started_at + dt.timedelta(seconds=duration) > now + CALL_END_TOLERANCE:
        errors.setdefault("duration", []).append("The call cannot end in the future: log it once it is over.")
    if not account.is_active:
        errors.setdefault("account", []).append("This account's subscription has ended.")
    if errors:
        raise ValidationError(errors)
    ended_at = started_at + dt.timedelta(seconds=duration)
    session = ChatSession.objects.create(
        account=account,
        kind=ChatKind.PHONE,
        caller=caller,
        notes=notes,
        status=ChatStatus.ENDED,
        engineer=logged_by,
        plan_id=account.plan_id,
        requested_at=started_at,
        accepted_at=started_at,
        ended_at=ended_at,
        end_reason=ChatEndReason.PHONE,
        ended_by=logged_by,
    )
    _chat_event(session, "phone_logged", logged_by, now, duration=duration)
    return session
