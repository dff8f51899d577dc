"""Raw inbound mail into plain values: what it says, whom it is from, which ticket it answers, or why not.

Pure functions: nothing here reads settings or touches the database; callers pass the limits,
Pledge's own addresses and the signing secret in.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import secrets
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.errors import MessageError
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from typing import NamedTuple

from mailparser_reply.parser import EmailMessage as QuotedHistory

MAX_SUBJECT_CHARS = 255
MAX_ID_CHARS = 250
MAX_REFERENCES = 50
MAX_MIME_DEPTH = 10
MAX_MIME_PARTS = 200
MAX_FILENAME_CHARS = 120
# The reply is at the top; quoted history past this point is not worth a regex pass.
MAX_STRIPPED_CHARS = 100_000
LONG_LINE_CHARS = 1000

# Parser defects that leave no trustworthy MIME tree. Others (a missing closing boundary,
# bad base64 padding) are common in real mail and the content is still readable.
_FATAL_DEFECTS = frozenset(
    {
        "NoBoundaryInMultipartDefect",
        "StartBoundaryNotFoundDefect",
        "MultipartInvariantViolationDefect",
        "MisplacedEnvelopeHeaderDefect",
        "MissingHeaderBodySeparatorDefect",
    }
)
# The email package raises these on input it cannot make sense of (an unknown charset, a header
# its registry cannot parse); for untrusted mail they mean "malformed", not "bug".
_EMAIL_ERRORS = (MessageError, ValueError, TypeError, IndexError, LookupError, UnicodeError)
_INJECTABLE_HEADERS = ("from", "to", "cc", "subject", "message-id", "in-reply-to", "references", "date")
_SINGLE_HEADERS = ("from", "subject", "message-id")
_ID_HEADERS = ("message-id", "in-reply-to", "references")
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ADDRESS_RE = re.compile(
    r"(?P<local>[^\s@<>()\[\],;:\"\\]{1,64})@(?P<domain>[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)+)"
)
_ID_TOKEN = re.compile(r"<([^<>\s]+)>")
_FOLDING = re.compile(r"\r?\n(?=[ \t])")
_LONG_LINE = re.compile(rf"^([> \t]*)(\S[^\n]{{{LONG_LINE_CHARS},}})$", re.MULTILINE)
OWN_ID_LOCAL = re.compile(r"pledge\.\d+\.\d+\.[0-9a-f]{12}")
_AUTOMATED_SENDERS = frozenset({"mailer-daemon", "postmaster"})


class UnacceptedMail(Exception):
    """Mail that becomes neither a ticket nor a message; `reason_code` is a stable string for logs."""

    def __init__(self, reason_code: str, detail: str = ""):
        super().__init__(f"{reason_code}: {detail}" if detail else reason_code)
        self.reason_code = reason_code
        self.detail = detail


class RejectedMail(UnacceptedMail):
    """Bad mail (no sender, too large, broken MIME, injected headers): it goes to the failures folder."""


class DroppedMail(UnacceptedMail):
    """An auto-reply or Pledge's own mail come back: not an error, but nobody must answer it."""


class Attachment(NamedTuple):
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class InboundMail:
    sender: str
    sender_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    text: str
    reply_text: str
    attachments: tuple[Attachment, ...]
    date: datetime | None
    received_at: datetime | None
    digest: str  # sha256 of the raw bytes: a duplicate check for mail without a Message-ID

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """The ids this mail answers, nearest first: In-Reply-To, then References newest to oldest."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        ids += reversed(self.references)
        return tuple(dict.fromkeys(ids))


def parse_message(
    raw: bytes,
    *,
    max_bytes: int,
    own_addresses: Collection[str],
    own_message_id_domain: str,
    reply_languages: Sequence[str] = ("en",),
    max_subject_chars: int = MAX_SUBJECT_CHARS,
) -> InboundMail:
    """Read one raw message, or raise RejectedMail (bad mail) or DroppedMail (auto-reply, loop)."""
    if len(raw) > max_bytes:
        raise RejectedMail("too_large", f"{len(raw)} bytes, the limit is {max_bytes}")
    _check_header_section(raw)
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except _EMAIL_ERRORS as error:
        raise RejectedMail("malformed_mime", repr(error)) from error
    _check_mime_tree(msg)
    headers = _read_headers(msg)

    if not headers["from"].strip():
        raise RejectedMail("no_sender", "no From header")
    senders = _header_addresses(msg, "from")
    if len(senders) != 1:
        raise RejectedMail(
            "bad_sender", f"{len(senders)} usable addresses in From: {headers['from'][:200]!r}"
        )
    sender_name, sender = senders[0]

    reason = auto_submitted_reason(msg)
    if reason:
        raise DroppedMail(reason, f"from {sender}")
    own = {_address_key(address) for address in own_addresses}
    if _address_key(sender) in own or _address_key(_without_tag(sender)) in own:
        raise DroppedMail("own_address", f"from {sender}")
    message_id = normalise_message_id(headers["message-id"])
    if message_id and is_own_message_id(message_id, own_message_id_domain):
        raise DroppedMail("own_message_id", message_id)

    body, text = _body(msg)
    return InboundMail(
        sender=sender,
        sender_name=clean_header_text(sender_name, max_chars=200),
        to=tuple(address for _, address in _header_addresses(msg, "to")),
        cc=tuple(address for _, address in _header_addresses(msg, "cc")),
        subject=clean_header_text(headers["subject"], max_chars=max_subject_chars),
        message_id=message_id,
        in_reply_to=next(iter(_message_ids(headers["in-reply-to"])), None),
        references=_message_ids(headers["references"])[-MAX_REFERENCES:],
        text=text,
        reply_text=strip_reply(text, languages=reply_languages),
        attachments=tuple(_attachments(msg, body)),
        date=_parse_date(headers["date"]),
        received_at=_received_at(msg),
        digest=hashlib.sha256(raw).hexdigest(),
    )


def auto_submitted_reason(msg: Message) -> str | None:
    """Why this message was written by a machine (RFC 3834 and the common non-standard marks), or None."""
    auto_submitted = _loose_header(msg, "auto-submitted")
    if auto_submitted and auto_submitted.split(";")[0].strip().lower() != "no":
        return "auto_submitted"
    if (_loose_header(msg, "precedence") or "").strip().lower() in {"bulk", "junk", "list"}:
        return "precedence"
    if _loose_header(msg, "x-autoreply") is not None:
        return "x_autoreply"
    if _loose_header(msg, "x-autorespond") is not None:
        return "x_autorespond"
    # The null reverse-path is how bounces and RFC 3834 responders mark their mail.
    return_path = _loose_header(msg, "return-path")
    if return_path is not None and return_path.strip() in {"", "<>"}:
        return "null_return_path"
    for _, address in getaddresses([_loose_header(msg, "from") or ""]):
        if address.rpartition("@")[0].lower() in _AUTOMATED_SENDERS:
            return "mailer_daemon"
    return None


def normalise_message_id(value: str | None) -> str | None:
    """The comparable form of a Message-ID: no angle brackets, the domain part lower-cased."""
    if not value:
        return None
    found = _ID_TOKEN.search(value)
    candidate = found.group(1) if found else value.strip().strip("<>")
    if not candidate or len(candidate) > MAX_ID_CHARS or any(char.isspace() for char in candidate):
        return None
    if any(unicodedata.category(char) == "Cc" for char in candidate):
        return None
    local, at, domain = candidate.rpartition("@")
    return f"{local}@{domain.lower()}" if at else candidate


def is_own_message_id(message_id: str, domain: str) -> bool:
    normalised = normalise_message_id(message_id)
    if not normalised:
        return False
    local, _, id_domain = normalised.rpartition("@")
    return id_domain == domain.lower() and bool(OWN_ID_LOCAL.fullmatch(local))


def strip_reply(text: str, *, languages: Sequence[str] = ("en",)) -> str:
    """The new words of a reply: without the quoted history, the signature or a client's disclaimer.

    Bounded to the first MAX_STRIPPED_CHARS characters of the body.
    """
    # The library's attribution patterns take time quadratic in a line's length. An attribution
    # is never a long line, so long lines travel through it as placeholders.
    long_lines: dict[str, str] = {}

    def park(found: re.Match) -> str:
        placeholder = f"pledge-long-line-{len(long_lines)}-{secrets.token_hex(4)}"
        long_lines[placeholder] = found.group(2)
        return found.group(1) + placeholder

    parked = _LONG_LINE.sub(park, text[:MAX_STRIPPED_CHARS])
    history = QuotedHistory(text=parked, languages=list(languages), keep_hyphen_lists=True)
    replies = history.read().replies
    newest = replies[0].body if replies else ""
    for placeholder, line in long_lines.items():
        newest = newest.replace(placeholder, line)
    # The library splits at attribution lines ("On … wrote:"); a bare "> " block with no
    # attribution above it is still history when nothing follows it.
    lines = newest.splitlines()
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith(">")):
        lines.pop()
    return "\n".join(lines).strip()


def html_to_text(html: str) -> str:
    """Readable text from an HTML body; blockquotes become "> " lines so quoted history stays recognisable."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return extractor.text()


def clean_header_text(value: str, *, max_chars: int) -> str:
    """One line of display text: control and bidi-override characters gone, whitespace collapsed, bounded."""
    kept = "".join(
        " " if char.isspace() else char
        for char in value
        if char.isspace() or (unicodedata.category(char) != "Cc" and char not in _BIDI_CONTROLS)
    )
    return " ".join(kept.split())[:max_chars].rstrip()


def sanitise_filename(filename: str | None, content_type: str) -> str:
    """A name that is safe to store and to offer for download: no path, no controls, bounded."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        "_" if char in '<>:"|?*' else char
        for char in name
        if unicodedata.category(char) not in {"Cc", "Cf"} and char not in _BIDI_CONTROLS
    )
    name = " ".join(name.split()).lstrip(". ").rstrip(". ")
    if not name:
        name = "attachment" + (mimetypes.guess_extension(content_type) or ".bin")
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = f"{stem[: MAX_FILENAME_CHARS - len(extension) - 1]}.{extension}"
        else:
            name = name[:MAX_FILENAME_CHARS]
    return name


def split_address(address: str) -> tuple[str, str]:
    found = ADDRESS_RE.fullmatch(address.strip())
    if not found:
        raise ValueError(f"not an e-mail address: {address!r}")
    return found["local"], found["domain"]


def _address_key(address: str) -> str:
    return address.strip().lower()


def _without_tag(address: str) -> str:
    local, _, domain = address.rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def _check_header_section(raw: bytes) -> None:
    """A bare CR, a stray LF among CRLFs or a NUL in the header section can smuggle in a header."""
    end = min((at for at in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if at >= 0), default=len(raw))
    section = raw[:end]
    if b"\0" in section:
        raise RejectedMail("header_injection", "a NUL byte in the header section")
    if re.search(rb"\r(?!\n)", section):
        raise RejectedMail("header_injection", "a bare CR in the header section")
    if b"\r\n" in section and re.search(rb"(?<!\r)\n", section):
        raise RejectedMail("header_injection", "a bare LF among CRLF header lines")


def _check_mime_tree(msg: Message) -> None:
    parts = 0

    def visit(part: Message, depth: int) -> None:
        nonlocal parts
        parts += 1
        if depth > MAX_MIME_DEPTH:
            raise RejectedMail("malformed_mime", f"parts nested deeper than {MAX_MIME_DEPTH}")
        if parts > MAX_MIME_PARTS:
            raise RejectedMail("malformed_mime", f"more than {MAX_MIME_PARTS} parts")
        for defect in part.defects:
            if type(defect).__name__ in _FATAL_DEFECTS:
                raise RejectedMail("malformed_mime", f"{type(defect).__name__} in {part.get_content_type()}")
        payload = part.get_payload()
        if isinstance(payload, list):
            for child in payload:
                visit(child, depth + 1)

    try:
        visit(msg, 0)
    except _EMAIL_ERRORS as error:
        raise RejectedMail("malformed_mime", repr(error)) from error


def _read_headers(msg: Message) -> dict[str, str]:
    """The headers Pledge uses, decoded; a line break in any of them is an injection attempt."""
    raw_values: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        if name.lower() in _INJECTABLE_HEADERS:
            raw_values.setdefault(name.lower(), []).append(value)
    for name in _SINGLE_HEADERS:
        if len(raw_values.get(name, ())) > 1:
            raise RejectedMail("duplicate_header", f"more than one {name} header")
    # Checked on the raw text, decoded here, before the header registry (which refuses some of
    # these with a bare ValueError) gets to see it.
    values = {}
    for name, found in raw_values.items():
        for value in found:
            decoded = _decoded_words(_FOLDING.sub("", value))
            if any(char in decoded for char in "\r\n\0"):
                raise RejectedMail("header_injection", f"a line break in {name}: {decoded[:200]!r}")
            values.setdefault(name, decoded)
    for name in _INJECTABLE_HEADERS:
        # The registry's msg-id parser mangles the many ids in the wild that break its grammar.
        if name in _ID_HEADERS:
            values.setdefault(name, "")
            continue
        try:
            header = msg[name]
            values[name] = "" if header is None else str(header)
        except _EMAIL_ERRORS as error:
            raise RejectedMail("malformed_header", f"{name}: {error!r}") from error
    return values


def _decoded_words(value: str) -> str:
    """A header's text with its RFC 2047 encoded words decoded, or as it is when they do not decode."""
    try:
        return str(make_header(decode_header(value)))
    except _EMAIL_ERRORS:
        return value


def _header_addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    """(display name, address) pairs that are real addresses; the domain lower-cased, the local part kept."""
    header = msg[name]
    found = []
    for address in getattr(header, "addresses", ()):
        match = ADDRESS_RE.fullmatch(address.addr_spec)
        if match:
            found.append((address.display_name or "", f"{match['local']}@{match['domain'].lower()}"))
    return found


def _loose_header(msg: Message, name: str) -> str | None:
    """A header's text for heuristics, where an unreadable value is no evidence either way."""
    try:
        value = msg.get(name)
    except _EMAIL_ERRORS:
        return None
    return None if value is None else str(value)


def _message_ids(value: str) -> tuple[str, ...]:
    ids = (normalise_message_id(f"<{token}>") for token in _ID_TOKEN.findall(value or ""))
    return tuple(dict.fromkeys(message_id for message_id in ids if message_id))


def _parse_date(value: str | None) -> datetime | None:
    if not value or not value.strip():
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _received_at(msg: Message) -> datetime | None:
    """When the nearest server took the message in: the date after the ';' of the top Received header."""
    received = _loose_header(msg, "received")
    if not received or ";" not in received:
        return None
    return _parse_date(received.rpartition(";")[2])


def _body(msg: Message) -> tuple[Message | None, str]:
    try:
        part = msg.get_body(preferencelist=("plain", "html"))
    except _EMAIL_ERRORS as error:
        raise RejectedMail("malformed_mime", repr(error)) from error
    if part is None:
        return None, ""
    text = _decoded_text(part)
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "").split("\n")
    return part, "\n".join(line.rstrip() for line in lines).strip("\n")


def _decoded_text(part: Message) -> str:
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know: the bytes are most likely UTF-8 or Latin-1
        return payload.decode("utf-8", errors="replace")


def _attachments(msg: Message, body: Message | None) -> list[Attachment]:
    found = []

    def visit(part: Message) -> None:
        if part is body:
            return
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            inner = part.get_payload()
            content = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
            found.append(
                Attachment(sanitise_filename(part.get_filename(), content_type), content_type, content)
            )
            return
        if part.is_multipart():
            for child in part.get_payload():
                visit(child)
            return
        filename = part.get_filename()
        # A text part with no name that is not marked as an attachment is another rendering of the
        # body (the HTML twin of a text/plain one), not something the customer attached.
        if part.get_content_maintype() == "text" and not filename and part.get_content_disposition() is None:
            return
        content = part.get_payload(decode=True) or b""
        found.append(Attachment(sanitise_filename(filename, content_type), content_type, content))

    try:
        visit(msg)
    except _EMAIL_ERRORS as error:
        raise RejectedMail("malformed_mime", repr(error)) from error
    return found


class _TextExtractor(HTMLParser):
    _SKIPPED = frozenset({"script", "style", "head", "title", "template"})
    # Paragraphs get a blank line around them; lines only start on a line of their own.
    _PARAGRAPHS = frozenset(
        {"blockquote", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "ol", "p", "pre", "table", "ul"}
    )
    _LINES = frozenset(
        {"address", "article", "aside", "dd", "div", "dt", "footer", "form", "header", "li", "main", "nav",
         "section", "tr"}
    )  # fmt: skip

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self._lines: list[str] = []
        self._line: list[str] = []
        self._skipping = 0
        self._quoting = 0
        self._preformatted = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIPPED:
            self._skipping += 1
        elif tag == "br":
            self._break(blank=not "".join(self._line).strip())
        elif tag in self._LINES or tag in self._PARAGRAPHS:
            self._break(blank=tag in self._PARAGRAPHS)
            if tag == "blockquote":
                self._quoting += 1
            elif tag == "pre":
                self._preformatted += 1
            elif tag == "li":
                self._line.append("- ")

    def handle_endtag(self, tag):
        if tag in self._SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._LINES or tag in self._PARAGRAPHS:
            self._break(blank=tag in self._PARAGRAPHS)
            if tag == "blockquote":
                self._quoting = max(0, self._quoting - 1)
            elif tag == "pre":
                self._preformatted = max(0, self._preformatted - 1)

    def handle_data(self, data):
        if self._skipping:
            return
        if self._preformatted:
            first, *rest = data.split("\n")
            self._line.append(first)
            for line in rest:
                self._break()
                self._line.append(line)
        else:
            self._line.append(re.sub(r"\s+", " ", data))

    def _break(self, *, blank: bool = False):
        line = "".join(self._line).strip()
        self._line = []
        if line:
            self._lines.append("> " * self._quoting + line)
        if blank and self._lines and self._lines[-1]:
            self._lines.append("")

    def text(self) -> str:
        self._break()
        return "\n".join(self._lines).strip()
