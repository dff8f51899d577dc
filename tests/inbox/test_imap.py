"""The IMAP client against a real Dovecot, and the SMTP fixture against smtplib: no mock stands in."""

import re
import smtplib
import socket
import time
from email.message import EmailMessage

import pytest

from helpdesk.inbox import imap
from helpdesk.inbox.parsing import parse_message

FOLDERS = ("Pledge/Processed", "Pledge/Failed")


def message(subject: str, body: str = "Hello.\n") -> bytes:
    mail = EmailMessage()
    mail["From"] = "ann@customer.test"
    mail["To"] = "support@example.com"
    mail["Subject"] = subject
    slug = re.sub(r"\W+", "-", subject).strip("-")
    mail["Message-ID"] = f"<{slug}@customer.test>"
    mail.set_content(body)
    return mail.as_bytes()


def open_mailbox(server, **options) -> imap.Mailbox:
    return imap.connect(
        server.host,
        server.port,
        user=server.user,
        password=server.password,
        use_ssl=False,
        timeout=10,
        **options,
    )


def subjects(raws) -> list[str]:
    return [re.search(rb"^Subject: (.*?)\r?$", raw, re.M).group(1).decode() for raw in raws]


def folder_subjects(server, folder: str) -> list[str]:
    """What a folder holds, seen through a connection of its own (plain imaplib, the server's own names)."""
    connection = server.connect()
    try:
        typ, data = connection.select(f'"{folder}"', readonly=True)
        assert typ == "OK", data
        typ, data = connection.uid("SEARCH", "ALL")
        uids = data[0].split()
        raws = []
        for uid in uids:
            _, fetched = connection.uid("FETCH", uid, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            raws.append(fetched[0][1])
        return subjects(raws)
    finally:
        connection.logout()


def test_new_mail_is_fetched_oldest_first_and_filed_away(imap_mailbox):
    for subject in ("one", "two", "three"):
        imap_mailbox.deliver(message(subject))

    with open_mailbox(imap_mailbox) as mailbox:
        mailbox.ensure_folders(*FOLDERS)
        fetched = mailbox.fetch_new(limit=10)
        assert subjects(mail.raw for mail in fetched) == ["one", "two", "three"]
        assert [mail.uid for mail in fetched] == sorted(mail.uid for mail in fetched)
        assert all(mail.size == len(mail.raw) for mail in fetched)
        mailbox.move(fetched[0].uid, "Pledge/Failed")
        mailbox.move(fetched[1].uid, "Pledge/Processed")

    # Dovecot's maildir names its folders with "." between levels.
    assert folder_subjects(imap_mailbox, "INBOX") == ["three"]
    assert folder_subjects(imap_mailbox, "Pledge.Failed") == ["one"]
    assert folder_subjects(imap_mailbox, "Pledge.Processed") == ["two"]

    imap_mailbox.deliver(message("one"))  # the same mail once more, as a retrying server would
    imap_mailbox.deliver(message("four"))
    with open_mailbox(imap_mailbox) as mailbox:
        again = mailbox.fetch_new(limit=10, after_uid=fetched[-1].uid)
        everything = mailbox.fetch_new(limit=10)

    assert subjects(mail.raw for mail in again) == ["one", "four"]
    assert min(mail.uid for mail in again) > fetched[-1].uid
    assert subjects(mail.raw for mail in everything) == ["three", "one", "four"]


def test_a_poll_takes_at_most_its_limit(imap_mailbox):
    for subject in ("one", "two", "three"):
        imap_mailbox.deliver(message(subject))

    with open_mailbox(imap_mailbox) as mailbox:
        first = mailbox.fetch_new(limit=2)
        second = mailbox.fetch_new(limit=2, after_uid=first[-1].uid)
        third = mailbox.fetch_new(limit=2, after_uid=second[-1].uid)

    assert subjects(mail.raw for mail in first) == ["one", "two"]
    assert subjects(mail.raw for mail in second) == ["three"]
    assert third == []


def test_reading_leaves_the_mail_unread_for_people(imap_mailbox):
    imap_mailbox.deliver(message("one"))

    with open_mailbox(imap_mailbox) as mailbox:
        (fetched,) = mailbox.fetch_new(limit=10)

    connection = imap_mailbox.connect()
    connection.select("INBOX", readonly=True)
    _, flags = connection.uid("FETCH", str(fetched.uid), "(FLAGS)")
    connection.logout()
    assert b"\\Seen" not in flags[0]


@pytest.mark.parametrize("missing", [{"MOVE"}, {"MOVE", "UIDPLUS"}], ids=["copy-uid-expunge", "copy-expunge"])
def test_a_move_without_the_move_extension_copies_and_expunges_only_that_mail(imap_mailbox, missing):
    for subject in ("one", "two"):
        imap_mailbox.deliver(message(subject))

    with open_mailbox(imap_mailbox) as mailbox:
        mailbox.capabilities -= missing
        mailbox.ensure_folders(*FOLDERS)
        first, _ = mailbox.fetch_new(limit=10)
        mailbox.move(first.uid, "Pledge/Processed")

    assert folder_subjects(imap_mailbox, "INBOX") == ["two"]
    assert folder_subjects(imap_mailbox, "Pledge.Processed") == ["one"]


def test_mail_over_the_size_limit_is_listed_but_not_downloaded(imap_mailbox):
    imap_mailbox.deliver(message("small"))
    imap_mailbox.deliver(message("large", ("x" * 70 + "\n") * 250))
    imap_mailbox.deliver(message("huge", ("y" * 70 + "\n") * 500))

    with open_mailbox(imap_mailbox) as mailbox:
        fetched = mailbox.fetch_new(limit=10, max_bytes=20_000)

    assert [mail.raw is None for mail in fetched] == [False, False, True]
    assert fetched[2].size > 20_000
    assert folder_subjects(imap_mailbox, "INBOX") == ["small", "large", "huge"]


def test_ensuring_folders_twice_creates_them_once_and_subscribes(imap_mailbox):
    with open_mailbox(imap_mailbox) as mailbox:
        mailbox.ensure_folders(*FOLDERS)
        mailbox.ensure_folders(*FOLDERS)

    connection = imap_mailbox.connect()
    _, listed = connection.list('""', "Pledge*")
    _, subscribed = connection.lsub('""', "Pledge*")
    connection.logout()
    names = sorted(line.rsplit(b" ", 1)[1].strip(b'"').decode() for line in listed)
    assert names == ["Pledge", "Pledge.Failed", "Pledge.Processed"]
    assert len([line for line in subscribed if line and b"Pledge." in line]) == 2


def test_the_client_knows_uidvalidity_and_refuses_bad_folder_names(imap_mailbox):
    with open_mailbox(imap_mailbox) as mailbox:
        assert mailbox.fetch_new(limit=1) == []
        assert mailbox.uidvalidity and mailbox.uidvalidity > 0
        for bad in ("Pledge//Failed", "Pledge/Fa.iled", "Pledge/Fehlgeschl\u00e4gen"):
            with pytest.raises(ValueError):
                mailbox.ensure_folders(bad)
        with pytest.raises(ValueError):
            mailbox.fetch_new(limit=0)


def test_imaps_is_spoken_and_its_certificate_checked(imap_mailbox):
    imap_mailbox.deliver(message("over tls"))
    server = imap_mailbox

    with imap.connect(
        server.host,
        server.ssl_port,
        user=server.user,
        password=server.password,
        ssl_context=server.ssl_context(),
    ) as mailbox:
        (fetched,) = mailbox.fetch_new(limit=10)
    with pytest.raises(imap.MailboxError, match="CERTIFICATE_VERIFY_FAILED"):
        imap.connect(server.host, server.ssl_port, user=server.user, password=server.password, timeout=10)

    assert subjects([fetched.raw]) == ["over tls"]


def test_a_wrong_password_is_a_mailbox_error(dovecot):
    with pytest.raises(imap.MailboxError, match="login"):
        imap.connect(
            dovecot.host, dovecot.port, user=dovecot.user, password="wrong", use_ssl=False, timeout=10
        )


def test_a_server_that_never_answers_times_out(dovecot):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    started = time.monotonic()
    try:
        with pytest.raises(imap.MailboxError):
            imap.connect(
                "127.0.0.1", silent.getsockname()[1], user="u", password="p", use_ssl=False, timeout=1
            )
    finally:
        silent.close()
    assert time.monotonic() - started < 5


def test_what_is_fetched_parses(imap_mailbox):
    imap_mailbox.deliver(
        message("Re: [#12] Printer", "It works.\n\nOn Tue, 3 Jun 2025, Pledge wrote:\n> Try.\n")
    )

    with open_mailbox(imap_mailbox) as mailbox:
        (fetched,) = mailbox.fetch_new(limit=1)
    mail = parse_message(
        fetched.raw,
        max_bytes=1_000_000,
        own_addresses={"support@example.com"},
        own_message_id_domain="x.test",
    )

    assert (mail.subject, mail.reply_text, mail.message_id) == (
        "Re: [#12] Printer",
        "It works.",
        "Re-12-Printer@customer.test",
    )


def test_the_smtp_fixture_receives_what_smtplib_sends(smtp_server):
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        client.sendmail("support@example.com", ["ann@customer.test"], message("Your ticket"))

    (received,) = smtp_server.messages
    assert received.mail_from == "support@example.com"
    assert received.rcpt_tos == ("ann@customer.test",)
    assert subjects([received.content]) == ["Your ticket"]
