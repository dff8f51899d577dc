"""Which ticket a mail belongs to: Pledge's own Message-IDs, signed reply addresses, "[#123]" subjects.

Pure, like parsing: the caller looks up the Message-IDs it sent and checks that the sender may
write on the ticket (a subject number proves nothing by itself).
"""

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from helpdesk.inbox.parsing import ADDRESS_RE, InboundMail, split_address

REPLY_TOKEN_CHARS = 12  # 60 bits of HMAC: guessing one by sending mail is hopeless
_SUBJECT_TICKET = re.compile(r"\[#(\d{1,18})\]")
_REPLY_TAG = re.compile(rf"t(?P<ticket>[1-9]\d{{0,17}})\.(?P<token>[a-z2-7]{{{REPLY_TOKEN_CHARS}}})", re.I)


@dataclass(frozen=True)
class TicketReference:
    ticket_id: int
    via: str  # "address" (signed reply address), "thread" (a Message-ID Pledge sent) or "subject"


def make_message_id(domain: str, ticket_id: int, message_id: int) -> str:
    """A Message-ID header value for mail Pledge sends; its random tail makes it unguessable."""
    if not ADDRESS_RE.fullmatch(f"pledge@{domain}"):
        raise ValueError(f"not a domain for a Message-ID: {domain!r}")
    return f"<pledge.{int(ticket_id)}.{int(message_id)}.{secrets.token_hex(6)}@{domain.lower()}>"


def reply_address(support_address: str, ticket_id: int, secret: str | bytes) -> str:
    """The support address plus-tagged with the ticket and an HMAC of it: support+t123.k9x2…@example.com."""
    local, domain = split_address(support_address)
    if "+" in local:
        raise ValueError(f"the support address already carries a tag: {support_address!r}")
    if isinstance(ticket_id, bool) or not isinstance(ticket_id, int) or ticket_id < 1:
        raise ValueError(f"not a ticket id: {ticket_id!r}")
    return f"{local}+t{ticket_id}.{_reply_token(ticket_id, secret)}@{domain}"


def ticket_id_from_reply_address(address: str, *, support_address: str, secret: str | bytes) -> int | None:
    """The ticket a reply address names, or None when it is not one of ours or its token is forged."""
    try:
        local, domain = split_address(address)
        support_local, support_domain = split_address(support_address)
    except ValueError:
        return None
    base, plus, tag = local.partition("+")
    if not plus or base.lower() != support_local.lower() or domain.lower() != support_domain.lower():
        return None
    found = _REPLY_TAG.fullmatch(tag)
    if not found:
        return None
    ticket_id = int(found["ticket"])
    # Some relays lower-case local parts; the token's alphabet is case-free for that reason.
    if not hmac.compare_digest(found["token"].lower(), _reply_token(ticket_id, secret)):
        return None
    return ticket_id


def ticket_number_from_subject(subject: str) -> int | None:
    found = _SUBJECT_TICKET.search(subject or "")
    if not found or int(found.group(1)) == 0:
        return None
    return int(found.group(1))


def ticket_reference(
    mail: InboundMail,
    *,
    token_parser: Callable[[str], int | None],
    ticket_for_message_ids: Callable[[Sequence[str]], int | None] | None = None,
) -> TicketReference | None:
    """Which ticket a mail answers, by the strongest evidence it carries.

    A signed reply address is proof on its own; a threading header is as good as the caller's
    record of the Message-IDs Pledge sent; a "[#123]" in the subject proves nothing, so the caller
    must check that the sender may write on that ticket before using it.
    """
    for address in (*mail.to, *mail.cc):
        ticket_id = token_parser(address)
        if ticket_id is not None:
            return TicketReference(ticket_id, "address")
    if ticket_for_message_ids is not None and mail.thread_ids:
        ticket_id = ticket_for_message_ids(mail.thread_ids)
        if ticket_id is not None:
            return TicketReference(ticket_id, "thread")
    ticket_id = ticket_number_from_subject(mail.subject)
    return TicketReference(ticket_id, "subject") if ticket_id is not None else None


def _reply_token(ticket_id: int, secret: str | bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    if not key:
        raise ValueError("reply addresses need a secret")
    mac = hmac.new(key, f"pledge-reply-address:{ticket_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode().lower()[:REPLY_TOKEN_CHARS]
