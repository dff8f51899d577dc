"""The chat sweep: ends sessions at their limit, warns before it, ends unanswered requests."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from helpdesk.chat.models import (
    ChatEndReason,
    ChatMessageKind,
    ChatSession,
)
from helpdesk.chat.services import pushes
from helpdesk.chat.services.chats import (
    SWEEP_BATCH,
    _add_message,
    _chat_event,
    _duration_words,
    _finish,
    _skip_locked,
    wait_limit_seconds,
    warning_seconds,
)

# --- the sweep --------------------------------------------------------------------------


def _sweep_batches(queryset_for, apply, *, now: dt.datetime | None, batch: int) -> int:
    total = 0
    while True:
        now_ = now or timezone.now()
        with transaction.atomic():
            claimed = list(_skip_locked(queryset_for(now_))[:batch])
            for session in claimed:
                apply(session, now_)
            total += len(claimed)
        if len(claimed) < batch:
            return total


def _end_over_time(session: ChatSession, now: dt.datetime) -> None:
    _finish(
        session,
        reason=ChatEndReason.TIME_LIMIT,
        actor=None,
        now=now,
        notice="The session reached its time limit and has ended. "
        "If the problem is not solved, turn the chat into a ticket and we will follow up.",
    )


def _warn(session: ChatSession, now: dt.datetime) -> None:
    session.warned_at = now
    session.save(update_fields=["warned_at"])
    left = _duration_words((session.ends_at - now).total_seconds())
    _add_message(
        session,
        author=None,
        now=now,
        kind=ChatMessageKind.SYSTEM,
        body=f"{left[0].upper()}{left[1:]} left: the session closes at the plan's time limit.",
    )
    _chat_event(session, "warned", None, now, ends_at=session.ends_at.isoformat())
    pushes._push_state(session)


def _end_unanswered(session: ChatSession, now: dt.datetime) -> None:
    _finish(
        session,
        reason=ChatEndReason.UNANSWERED,
        actor=None,
        now=now,
        notice=f"Nobody could take your chat within {_duration_words(wait_limit_seconds())}. "
        "Turn it into a ticket: it carries what you wrote, and an engineer follows up.",
    )


def chats_sweep_due(*, now: dt.datetime | None = None, batch: int = SWEEP_BATCH) -> dict:
    """End sessions past their limit, warn those near it, end requests nobody accepted in time."""
    warn = warning_seconds()
    return {
        "ended": _sweep_batches(
            lambda at: ChatSession.objects.over_time(at).order_by("ends_at", "pk"),
            _end_over_time,
            now=now,
            batch=batch,
        ),
        "warned": _sweep_batches(
            lambda at: ChatSession.objects.warning_due(at, warn).order_by("ends_at", "pk"),
            _warn,
            now=now,
            batch=batch,
        ),
        "unanswered": _sweep_batches(
            lambda at: ChatSession.objects.unanswered_due(at).order_by("wait_deadline", "pk"),
            _end_unanswered,
            now=now,
            batch=batch,
        ),
    }
