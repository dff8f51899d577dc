"""Reads for mail: which ticket a set of Message-IDs belongs to, and a ticket's thread so far."""

from collections.abc import Sequence

from django.conf import settings
from django.db.models import Count

from helpdesk.inbox.threading import reply_address, ticket_id_from_reply_address
from helpdesk.mailbox.models import FAILED_OUTCOMES, InboundMail, InboundOutcome, SentMail

MAX_REFERENCES = 20


def reply_secret() -> str:
    return settings.MAIL_REPLY_SECRET or f"pledge-reply:{settings.SECRET_KEY}"


def ticket_reply_address(ticket_id: int) -> str:
    return reply_address(settings.SUPPORT_EMAIL, ticket_id, reply_secret())


def ticket_from_reply_address(address: str) -> int | None:
    return ticket_id_from_reply_address(
        address, support_address=settings.SUPPORT_EMAIL, secret=reply_secret()
    )


def ticket_for_message_ids(message_ids: Sequence[str]) -> int | None:
    """The ticket of the first id (nearest first) that Pledge sent or ingested."""
    ids = list(message_ids)
    known = dict(
        SentMail.objects.filter(message_id_header__in=ids).values_list("message_id_header", "ticket_id")
    )
    known.update(
        InboundMail.objects.filter(message_id_header__in=ids, ticket__isnull=False).values_list(
            "message_id_header", "ticket_id"
        )
    )
    return next((known[mid] for mid in ids if mid in known), None)


def thread_message_ids(ticket_id: int) -> list[str]:
    """The Message-IDs of a ticket's mail so far, oldest first (for References and In-Reply-To)."""
    sent = SentMail.objects.filter(ticket_id=ticket_id).values_list("sent_at", "message_id_header")
    came = InboundMail.objects.filter(ticket_id=ticket_id, message_id_header__isnull=False).values_list(
        "received_at", "message_id_header"
    )
    ordered = [mid for _, mid in sorted([*sent, *came])]
    # The first one roots the thread; the rest are the most recent.
    return ordered[:1] + ordered[1:][-(MAX_REFERENCES - 1) :] if ordered else []


# What an operator watches: mail Pledge did not turn into a ticket or a reply, held or refused.
INGEST_FAILURE_OUTCOMES = (InboundOutcome.HELD, *sorted(FAILED_OUTCOMES))


def ingest_failure_counts() -> dict[str, int]:
    """Inbound mails held for review, refused or rejected (as recorded now), by outcome; one query."""
    counts = dict(
        InboundMail.objects.filter(outcome__in=INGEST_FAILURE_OUTCOMES)
        .order_by()
        .values("outcome")
        .annotate(n=Count("pk"))
        .values_list("outcome", "n")
    )
    return {str(outcome.value): counts.get(outcome.value, 0) for outcome in INGEST_FAILURE_OUTCOMES}
