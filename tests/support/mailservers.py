"""Real mail servers for the tests: Debian's Dovecot over IMAP and aiosmtpd over SMTP, on loopback ports.

Load it as a pytest plugin (pytest_plugins = ["tests.support.mailservers"]) for the fixtures:

    dovecot       session-wide IMAP server with one user, on .port and with TLS (IMAPS) on .ssl_port,
                  whose certificate .ssl_context() trusts; .deliver(raw) APPENDs a message to INBOX
    imap_mailbox  the same server, its mailbox emptied first: every test starts from nothing
    smtp_server   an SMTP server collecting every message sent to it in .messages
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

DOVECOT = shutil.which("dovecot") or next(
    (path for path in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.access(path, os.X_OK)), None
)
LOOPBACK = "127.0.0.1"
START_SECONDS = 15
IMAP_TIMEOUT = 10

DOVECOT_CONF = """\
# A throwaway Dovecot for one test session; nothing here is read from /etc/dovecot.
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = {host}
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
# Plaintext LOGIN is fine without TLS too: the server listens on the loopback interface only.
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = {uid}
last_valid_uid = {uid}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {ssl_port}
  }}
}}
"""
# Without root, every process runs as the user who started the tests, and nothing can chroot.
UNPRIVILEGED_CONF = """\
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
service imap-login {{
  chroot =
}}
service anvil {{
  chroot =
}}
"""


@dataclass
class DovecotServer:
    host: str
    port: int
    user: str
    password: str
    log_path: Path
    ssl_port: int
    cert_path: Path

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's self-signed certificate, and only that."""
        return ssl.create_default_context(cafile=str(self.cert_path))

    def connect(self) -> imaplib.IMAP4:
        """A fresh logged-in imaplib session, for a test to look at the mailbox independently."""
        connection = imaplib.IMAP4(self.host, self.port, timeout=IMAP_TIMEOUT)
        connection.login(self.user, self.password)
        return connection

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        """Put a message in a folder the way a mail server would: it arrives unread, with the next UID."""
        connection = self.connect()
        try:
            typ, data = connection.append(folder, None, None, raw)
            assert typ == "OK", data
        finally:
            connection.logout()

    def empty(self) -> None:
        """Delete every folder but INBOX and every message in INBOX, and forget every subscription."""
        connection = self.connect()
        try:
            _, listed = connection.list('""', "*")
            names = [_listed_name(line) for line in listed if line]
            for name in sorted((name for name in names if name.upper() != "INBOX"), key=len, reverse=True):
                connection.delete(_quoted(name))
            # A deleted folder stays subscribed on Dovecot: the next test would see it in LSUB.
            _, subscribed = connection.lsub('""', "*")
            for name in (_listed_name(line) for line in subscribed if line):
                if name.upper() != "INBOX":
                    connection.unsubscribe(_quoted(name))
            connection.select("INBOX")
            typ, data = connection.search(None, "ALL")
            if data and data[0]:
                connection.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
                connection.expunge()
        finally:
            connection.logout()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[ReceivedMail] = field(default_factory=list)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def dovecot():
    if DOVECOT is None:
        if os.geteuid() == 0:
            pytest.fail(
                "dovecot is missing: `python3 run.py test` installs it (apt-get install dovecot-imapd)"
            )
        pytest.skip("dovecot-imapd is not installed, and only root could install it")
    root = Path(tempfile.mkdtemp(prefix="pledge-dovecot-"))
    try:
        server, process = _start_dovecot(root)
        try:
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap_mailbox(dovecot):
    dovecot.empty()
    return dovecot


@pytest.fixture
def smtp_server():
    server = SmtpServer(LOOPBACK, free_port())
    controller = Controller(_Collector(server.messages), hostname=server.host, port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


class _Collector:
    def __init__(self, messages: list[ReceivedMail]):
        self.messages = messages

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        self.messages.append(ReceivedMail(envelope.mail_from, tuple(envelope.rcpt_tos), content))
        return "250 OK message accepted"


def _start_dovecot(root: Path) -> tuple[DovecotServer, subprocess.Popen]:
    privileged = os.geteuid() == 0
    # Dovecot will not read or write mail as root: with root, the mail belongs to nobody.
    account = pwd.getpwnam("nobody") if privileged else pwd.getpwuid(os.getuid())
    root.chmod(0o711)
    home = root / "mail" / "pledge"
    home.mkdir(parents=True)
    for path in (root / "mail", home):
        os.chown(path, account.pw_uid, account.pw_gid)
    server = DovecotServer(
        LOOPBACK,
        free_port(),
        "pledge",
        "pledge-imap-test",
        root / "dovecot.log",
        free_port(),
        root / "cert.pem",
    )
    _self_signed_certificate(root, server.host)
    (root / "users").write_text(
        f"{server.user}:{{PLAIN}}{server.password}:{account.pw_uid}:{account.pw_gid}::{home}::\n"
    )
    (root / "users").chmod(0o644)
    conf = DOVECOT_CONF.format(
        root=root, host=server.host, port=server.port, ssl_port=server.ssl_port, uid=account.pw_uid
    )
    if not privileged:
        conf += UNPRIVILEGED_CONF.format(user=account.pw_name, group=grp.getgrgid(account.pw_gid).gr_name)
    (root / "dovecot.conf").write_text(conf)
    output = (root / "dovecot.out").open("wb")
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")], stdout=output, stderr=subprocess.STDOUT
    )
    output.close()
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection((server.host, server.port), timeout=1) as probe:
                if probe.recv(100).startswith(b"* OK"):
                    return server, process
        except OSError:
            time.sleep(0.1)
    if process.poll() is None:
        process.kill()
        process.wait()
    output_text = (root / "dovecot.out").read_text(errors="replace")
    pytest.fail(f"dovecot did not start (exit {process.returncode}):\n{output_text}\n{server.log()}")


def _self_signed_certificate(root: Path, host: str) -> None:
    """A throwaway certificate for the loopback address, made with the openssl that Dovecot depends on."""
    request = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    request += ["-nodes", "-days", "2", "-subj", f"/CN={host}", "-addext", f"subjectAltName=IP:{host}"]
    request += ["-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem")]
    subprocess.run(request, check=True, capture_output=True, timeout=60)


def _listed_name(line: bytes) -> str:
    found = re.match(rb'\([^)]*\) (?:"(?:[^"\\]|\\.)*"|NIL) (?P<name>.+)$', line)
    name = found["name"].decode() if found else line.decode()
    return name[1:-1].replace('\\"', '"').replace("\\\\", "\\") if name.startswith('"') else name


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
