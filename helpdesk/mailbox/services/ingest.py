"""Mail in: one raw message becomes a ticket, a message on its ticket, or a refusal with a reason.

Whatever happens, the mail is recorded once (InboundMail, raw bytes kept for audit): a repeated
Message-ID, or the same bytes when there is none, is answered from that record and changes nothing.
"""

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import compat32
from email.utils import parseaddr

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from helpdesk.accounts.models import User
from helpdesk.accounts.selectors import user_by_email
from helpdesk.inbox.parsing import (
    DroppedMail,
    InboundMail,
    RejectedMail,
    clean_header_text,
    normalise_message_id,
    parse_message,
)
from helpdesk.inbox.threading import ticket_reference
from helpdesk.kit import roles
from helpdesk.kit.errors import ConflictError, ValidationError
from helpdesk.mailbox import selectors
from helpdesk.mailbox.models import FAILED_OUTCOMES, InboundOutcome
from helpdesk.mailbox.models import InboundMail as InboundRecord
from helpdesk.tickets import access
from helpdesk.tickets.models import Message, Ticket, TicketStatus
from helpdesk.tickets.services.messages import message_create, ticket_follow_up
from helpdesk.tickets.services.tickets import ticket_create

log = logging.getLogger(__name__)

# A Received date further back than this is not the arrival at our mailbox (a relay's clock, a
# resent message): the poll time stands in for it.
MAX_ARRIVAL_AGE = dt.timedelta(days=1)


@dataclass(frozen=True)
class IngestResult:
    outcome: str
    reason: str = ""
    ticket_id: int | None = None
    message_id: int | None = None
    duplicate: bool = False

    @property
    def failed(self) -> bool:
        """Belongs in the failures folder."""
        return self.outcome in FAILED_OUTCOMES


class _Refused(Exception):
    def __init__(self, outcome: str, reason: str):
        super().__init__(reason)
        self.outcome, self.reason = outcome, reason


def own_addresses() -> list[str]:
    return [settings.SUPPORT_EMAIL, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]]


def mail_ingest(
    *, raw: bytes, arrived_at: dt.datetime | None = None, now: dt.datetime | None = None
) -> IngestResult:
    """Ingest one raw message; `arrived_at` is when it reached the mailbox (default: now)."""
    now = now or timezone.now()
    digest = hashlib.sha256(raw).hexdigest()
    try:
        mail = parse_message(
            raw,
            max_bytes=settings.INBOUND_MAIL_MAX_BYTES,
            own_addresses=own_addresses(),
            own_message_id_domain=settings.MAIL_MESSAGE_ID_DOMAIN,
        )
    except (RejectedMail, DroppedMail) as error:
        outcome = InboundOutcome.REJECTED if isinstance(error, RejectedMail) else InboundOutcome.DROPPED
        return _record_unparsed(raw=raw, digest=digest, outcome=outcome, reason=str(error), now=now)
    arrived_at = _arrival(mail, arrived_at or now, now)
    try:
        return _ingest(raw=raw, mail=mail, arrived_at=arrived_at, now=now)
    except IntegrityError:
        # Another poller recorded the same mail a moment ago: its answer stands.
        existing = _existing(mail.message_id, mail.digest)
        if existing is None:
            raise
        return _duplicate(existing)


def mail_refuse_oversized(*, size: int, now: dt.datetime | None = None) -> IngestResult:
    """A message the poll would not download: nothing but its size is known."""
    reason = f"too_large: {size} bytes, the limit is {settings.INBOUND_MAIL_MAX_BYTES}"
    log.warning("inbound mail rejected: %s", reason)
    return IngestResult(InboundOutcome.REJECTED, reason)


def _arrival(mail: InboundMail, arrived_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    received = mail.received_at
    if received is not None and now - MAX_ARRIVAL_AGE <= received <= arrived_at:
        return received
    return min(arrived_at, now)


def _existing(message_id: str | None, digest: str) -> InboundRecord | None:
    if message_id:
        return InboundRecord.objects.filter(message_id_header=message_id).first()
    return InboundRecord.objects.filter(message_id_header__isnull=True, digest=digest).first()


def _duplicate(existing: InboundRecord) -> IngestResult:
    log.info("inbound mail %s seen before (%s): ingested once", existing.message_id_header, existing.outcome)
    return IngestResult(
        existing.outcome, "duplicate", existing.ticket_id, existing.message_id, duplicate=True
    )


@transaction.atomic
def _ingest(*, raw: bytes, mail: InboundMail, arrived_at: dt.datetime, now: dt.datetime) -> IngestResult:
    existing = _existing(mail.message_id, mail.digest)
    if existing is not None:
        return _duplicate(existing)
    ticket = message = None
    try:
        with transaction.atomic():
            outcome, ticket, message = _act(mail, arrived_at)
        reason = ""
    except _Refused as refused:
        outcome, reason = refused.outcome, refused.reason
    except (ValidationError, ConflictError, roles.Denied) as error:
        outcome, reason = InboundOutcome.REJECTED, f"refused_by_ticket: {_error_text(error)}"
    record = InboundRecord(
        message_id_header=mail.message_id,
        digest=mail.digest,
        sender=mail.sender[:254],
        subject=mail.subject[:255],
        size=len(raw),
        received_at=arrived_at,
        processed_at=now,
        outcome=outcome,
        reason=reason[:500],
        ticket=ticket,
        message=message,
    )
    record.raw.save("mail.eml", ContentFile(raw), save=False)
    record.save()
    if reason:
        log.warning("inbound mail %s from %s %s: %s", mail.message_id, mail.sender, outcome, reason)
    return IngestResult(outcome, reason, record.ticket_id, record.message_id)


def _headers_leniently(raw: bytes) -> tuple[str | None, str, str]:
    """Message-ID, From and Subject of mail the parser refused, as far as they can be read at all."""
    try:
        headers = BytesParser(policy=compat32).parsebytes(raw[:65_536], headersonly=True)
        return (
            normalise_message_id(str(headers.get("Message-ID") or "")),
            clean_header_text(str(headers.get("From") or ""), max_chars=254),
            clean_header_text(str(headers.get("Subject") or ""), max_chars=255),
        )
    except Exception:  # noqa: BLE001 - this mail is already refused; its headers are a courtesy
        return None, "", ""


def _record_unparsed(*, raw: bytes, digest: str, outcome: str, reason: str, now: dt.datetime) -> IngestResult:
    message_id, sender, subject = _headers_leniently(raw)
    existing = _existing(message_id, digest)
    if existing is not None:
        return _duplicate(existing)
    log.warning("inbound mail %s from %r %s: %s", message_id, sender, outcome, reason)
    record = InboundRecord(
        message_id_header=message_id,
        digest=digest,
        sender=sender,
        subject=subject,
        size=len(raw),
        received_at=now,
        processed_at=now,
        outcome=outcome,
        reason=reason[:500],
    )
    # Mail over the size limit is not kept twice: it stays in the mailbox's failures folder.
    if len(raw) <= settings.INBOUND_MAIL_MAX_BYTES:
        record.raw.save("mail.eml", ContentFile(raw), save=False)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        return _duplicate(_existing(message_id, digest))
    return IngestResult(outcome, reason)


def _act(mail: InboundMail, arrived_at: dt.datetime) -> tuple[str, Ticket, Message | None]:
    sender = user_by_email(mail.sender)
    reference = ticket_reference(
        mail,
        token_parser=selectors.ticket_from_reply_address,
        ticket_for_message_ids=selectors.ticket_for_message_ids,
    )
    if reference is not None:
        ticket = Ticket.objects.select_related("account").filter(pk=reference.ticket_id).first()
        participant = ticket is not None and sender is not None and access.may_reply(sender, ticket)
        if participant:
            return _reply(mail, sender, ticket, arrived_at)
        # A "[#123]" in a subject proves nothing: from anyone else, it is new mail.
        if reference.via != "subject":
            raise _Refused(
                InboundOutcome.REJECTED,
                f"not_participant: {mail.sender} may not write on ticket {reference.ticket_id}",
            )
    if sender is None:
        if settings.INBOUND_UNKNOWN_SENDERS == "refuse":
            raise _Refused(InboundOutcome.REFUSED, f"unknown_sender: {mail.sender}")
        raise _Refused(InboundOutcome.HELD, f"unknown_sender: {mail.sender} (held for review)")
    if not roles.is_customer(sender):
        raise _Refused(
            InboundOutcome.REJECTED,
            f"not_a_customer: {mail.sender} is support staff; new tickets come from customers",
        )
    ticket = ticket_create(
        account=sender.account,
        created_by=sender,
        subject=mail.subject or "(no subject)",
        description=mail.text or mail.subject or "(no text)",
        files=_files(mail),
        channel="email",
        now=arrived_at,
    )
    _keep_cc(ticket, mail)
    return InboundOutcome.TICKET_CREATED, ticket, None


def _reply(mail: InboundMail, sender: User, ticket: Ticket, arrived_at: dt.datetime):
    body = mail.reply_text or mail.text
    if ticket.status == TicketStatus.CLOSED:
        follow_up = ticket_follow_up(
            closed=ticket, author=sender, body=body or "(no text)", files=_files(mail)
        )
        return InboundOutcome.TICKET_CREATED, follow_up, None
    message = message_create(ticket=ticket, author=sender, body=body, files=_files(mail), now=arrived_at)
    return InboundOutcome.MESSAGE_ADDED, ticket, message


def _files(mail: InboundMail) -> list[ContentFile]:
    return [ContentFile(attachment.content, name=attachment.filename) for attachment in mail.attachments]


def _keep_cc(ticket: Ticket, mail: InboundMail) -> None:
    own = {address.lower() for address in own_addresses()}

    def untagged(address: str) -> str:
        local, _, domain = address.lower().rpartition("@")
        return f"{local.split('+', 1)[0]}@{domain}"

    cc = [address for address in dict.fromkeys(mail.cc) if untagged(address) not in own][:20]
    if cc:
        Ticket.objects.filter(pk=ticket.pk).update(cc_addresses=cc)


def _error_text(error: Exception) -> str:
    detail = getattr(error, "messages", None) or [str(error)]
    return " ".join(map(str, detail))[:400]


@transaction.atomic
def mail_release_held(*, inbound_id: int, now: dt.datetime | None = None) -> IngestResult:
    """Ingest a held mail again once staff have added its sender as a customer (or left it held).

    The ticket's clock still starts when the mail reached the mailbox, as for any mail-created ticket.
    """
    now = now or timezone.now()
    record = InboundRecord.objects.select_for_update().filter(pk=inbound_id).first()
    if record is None or record.outcome != InboundOutcome.HELD or not record.raw:
        return IngestResult(record.outcome if record else InboundOutcome.REJECTED, "not_held")
    with record.raw.open("rb") as stored:
        raw = stored.read()
    mail = parse_message(
        raw,
        max_bytes=settings.INBOUND_MAIL_MAX_BYTES,
        own_addresses=own_addresses(),
        own_message_id_domain=settings.MAIL_MESSAGE_ID_DOMAIN,
    )
    ticket = message = None
    try:
        with transaction.atomic():
            outcome, ticket, message = _act(mail, record.received_at)
        reason = f"released at {now.isoformat()}"
    except _Refused as refused:
        outcome, reason = refused.outcome, refused.reason
    except (ValidationError, ConflictError, roles.Denied) as error:
        outcome, reason = InboundOutcome.REJECTED, f"refused_by_ticket: {_error_text(error)}"
    record.outcome, record.reason, record.ticket, record.message = outcome, reason[:500], ticket, message
    record.processed_at = now
    record.save(update_fields=["outcome", "reason", "ticket", "message", "processed_at"])
    return IngestResult(outcome, reason, record.ticket_id, record.message_id)
