"""The support mailbox over IMAP: fetch what is new in INBOX, oldest first, and file each message away.

Pledge never deletes mail: every message it has read leaves INBOX by a move, to the processed
folder or to the failures folder, so a human can always look at what came in. Folder names are
written with "/" between levels and translated to the server's own hierarchy delimiter.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from dataclasses import dataclass

DEFAULT_TIMEOUT = 30.0
_NAMESPACE = re.compile(r'\(\("(?P<prefix>(?:[^"\\]|\\.)*)" (?:"(?P<delimiter>(?:[^"\\]|\\.)*)"|NIL)\)')
_LIST_DELIMITER = re.compile(r'^\([^)]*\) (?:"(?P<delimiter>(?:[^"\\]|\\.)*)"|NIL) ')
_FETCH_UID = re.compile(rb"\bUID (\d+)")
_FETCH_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


class MailboxError(Exception):
    """The IMAP server refused a command, or the connection failed or timed out."""


@dataclass(frozen=True)
class FetchedMail:
    uid: int
    size: int
    raw: bytes | None  # None when it is larger than the caller's limit: it was not downloaded


def connect(
    host: str,
    port: int,
    *,
    user: str,
    password: str,
    use_ssl: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    ssl_context: ssl.SSLContext | None = None,
) -> Mailbox:
    """Log in to the mailbox; plain IMAP (use_ssl=False) is for a server on the loopback interface."""
    try:
        if use_ssl:
            context = ssl_context or ssl.create_default_context()
            connection = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
        else:
            connection = imaplib.IMAP4(host, port, timeout=timeout)
    except (imaplib.IMAP4.error, OSError) as error:
        raise MailboxError(f"cannot connect to {host}:{port}: {error}") from error
    mailbox = Mailbox(connection)
    try:
        mailbox._login(user, password)
    except MailboxError:
        mailbox.close()
        raise
    return mailbox


class Mailbox:
    """One logged-in IMAP session; use it as a context manager so the session always ends."""

    def __init__(self, connection: imaplib.IMAP4):
        self._connection = connection
        self._selected: str | None = None
        self.capabilities: frozenset[str] = frozenset()
        self.uidvalidity: int | None = None
        self._prefix = ""
        self._delimiter = "/"

    def __enter__(self) -> Mailbox:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        # Leaving is best effort: the server drops a dead session on its own.
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            self._connection.logout()

    def ensure_folders(self, *folders: str) -> None:
        """Create the folders that are missing, and subscribe to them so mail clients show them too."""
        for folder in folders:
            name = self._server_name(folder)
            if self._exists(name):
                continue
            typ, data = self._run("create", _quoted(name))
            # Another poller may have created it a moment ago.
            if typ != "OK" and not self._exists(name):
                raise MailboxError(f"cannot create {folder!r}: {_text(data)}")
            with contextlib.suppress(imaplib.IMAP4.error):
                self._run("subscribe", _quoted(name))

    def fetch_new(
        self, *, limit: int, after_uid: int = 0, folder: str = "INBOX", max_bytes: int | None = None
    ) -> list[FetchedMail]:
        """Up to `limit` messages of the folder with a UID above `after_uid`, oldest first.

        The read leaves no trace (BODY.PEEK): a person reading the same mailbox still sees the
        message as unread. A message over `max_bytes` comes back with raw=None, undownloaded.
        A caller keeping `after_uid` between polls must start again from 0 when `uidvalidity` changes.
        """
        if limit < 1:
            raise ValueError("the limit must be at least 1")
        self._select(folder)
        typ, data = self._run("uid", "SEARCH", "UID", f"{after_uid + 1}:*")
        _check(typ, data, "search")
        # "n:*" always includes the highest UID, even when it is below n.
        uids = sorted(uid for uid in (int(word) for word in _words(data)) if uid > after_uid)[:limit]
        if not uids:
            return []
        sizes = self._sizes(uids)
        fetched = []
        for uid in uids:
            if uid not in sizes:
                continue  # moved away by someone else since the search
            if max_bytes is not None and sizes[uid] > max_bytes:
                fetched.append(FetchedMail(uid, sizes[uid], None))
                continue
            raw = self._body(uid)
            if raw is not None:
                fetched.append(FetchedMail(uid, sizes[uid], raw))
        return fetched

    def move(self, uid: int, folder: str, *, source: str = "INBOX") -> None:
        """Move one message; without the MOVE extension, copy it, then flag and expunge only that one."""
        self._select(source)
        target = _quoted(self._server_name(folder))
        if "MOVE" in self.capabilities:
            _check(*self._run("uid", "MOVE", str(uid), target), f"move {uid} to {folder!r}")
            return
        _check(*self._run("uid", "COPY", str(uid), target), f"copy {uid} to {folder!r}")
        _check(*self._run("uid", "STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)"), f"flag {uid}")
        if "UIDPLUS" in self.capabilities:
            _check(*self._run("uid", "EXPUNGE", str(uid)), f"expunge {uid}")
        else:
            # Plain EXPUNGE also removes what others flagged \Deleted here; only Pledge files mail away.
            _check(*self._run("expunge"), "expunge")

    def _login(self, user: str, password: str) -> None:
        _check(*self._run("login", user, password), "login")
        # The capabilities before login can differ from those after it.
        typ, data = self._run("capability")
        _check(typ, data, "capability")
        self.capabilities = frozenset(word.upper() for word in _words(data))
        self._prefix, self._delimiter = self._hierarchy()

    def _hierarchy(self) -> tuple[str, str]:
        """The personal namespace's prefix ("INBOX." on some servers) and its hierarchy delimiter."""
        if "NAMESPACE" in self.capabilities:
            typ, data = self._run("namespace")
            found = _NAMESPACE.match(_text(data)) if typ == "OK" else None
            if found and found["delimiter"]:
                return _unquoted(found["prefix"]), _unquoted(found["delimiter"])
        typ, data = self._run("list", '""', '""')
        found = _LIST_DELIMITER.match(_text(data)) if typ == "OK" else None
        if not found or not found["delimiter"]:
            raise MailboxError("the server offers no folder hierarchy")
        return "", _unquoted(found["delimiter"])

    def _server_name(self, folder: str) -> str:
        if not folder.isascii():
            raise ValueError(f"folder names are ASCII here: {folder!r}")
        if folder.upper() == "INBOX":
            return "INBOX"
        parts = folder.split("/")
        if any(not part or self._delimiter in part for part in parts):
            raise ValueError(f"not a folder path: {folder!r}")
        name = self._delimiter.join(parts)
        return name if name.startswith(self._prefix) else self._prefix + name

    def _exists(self, name: str) -> bool:
        typ, data = self._run("list", '""', _quoted(name))
        return typ == "OK" and any(item for item in data)

    def _select(self, folder: str) -> None:
        name = self._server_name(folder)
        if self._selected == name:
            return
        typ, data = self._run("select", _quoted(name))
        _check(typ, data, f"select {folder!r}")
        self._selected = name
        _, validity = self._connection.response("UIDVALIDITY")
        if folder.upper() == "INBOX" and validity and validity[0]:
            self.uidvalidity = int(validity[0])

    def _sizes(self, uids: list[int]) -> dict[int, int]:
        typ, data = self._run("uid", "FETCH", ",".join(map(str, uids)), "(UID RFC822.SIZE)")
        _check(typ, data, "fetch sizes")
        sizes = {}
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            uid, size = _FETCH_UID.search(line or b""), _FETCH_SIZE.search(line or b"")
            if uid and size:
                sizes[int(uid.group(1))] = int(size.group(1))
        return sizes

    def _body(self, uid: int) -> bytes | None:
        typ, data = self._run("uid", "FETCH", str(uid), "(UID BODY.PEEK[])")
        _check(typ, data, f"fetch {uid}")
        for item in data:
            if isinstance(item, tuple) and b"BODY[]" in item[0] and _FETCH_UID.search(item[0]):
                return item[1]
        return None

    def _run(self, command: str, *args: str):
        try:
            return getattr(self._connection, command)(*args)
        except (imaplib.IMAP4.error, OSError) as error:
            raise MailboxError(f"{command} {' '.join(args[:1])}: {error}") from error


def _check(typ: str, data: list, what: str) -> None:
    if typ != "OK":
        raise MailboxError(f"{what}: {typ} {_text(data)}")


def _words(data: list) -> list[str]:
    return " ".join(_text([item]) for item in data if item).split()


def _text(data: list) -> str:
    parts = []
    for item in data or []:
        if isinstance(item, tuple):
            item = item[0]
        if isinstance(item, bytes):
            parts.append(item.decode("ascii", errors="replace"))
        elif item is not None:
            parts.append(str(item))
    return " ".join(parts)


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unquoted(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)
