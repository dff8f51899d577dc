"""Bad mail is rejected or held with a logged reason, and moved to a folder: never deleted, never a ticket."""

import datetime as dt
import io
import logging
import sys

import pytest
from django.core.management import call_command
from django.utils import timezone

from helpdesk.mailbox.models import InboundMail
from helpdesk.mailbox.selectors import ticket_reply_address
from helpdesk.mailbox.services.ingest import mail_ingest, mail_release_held
from helpdesk.mailbox.tasks import poll_mailbox
from helpdesk.tickets.models import Message, Ticket
from tests.factories import CustomerFactory, make_ticket
from tests.inbox.test_imap import folder_subjects
from tests.mailbox.mails import customer_mail

NO_FROM = b"To: support@pledge.test\r\nSubject: No sender\r\nMessage-ID: <nofrom@x.test>\r\n\r\nHello\r\n"
BROKEN_MIME = (
    b"From: %s\r\nTo: support@pledge.test\r\nSubject: Broken MIME\r\nMessage-ID: <mime@x.test>\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\nhello\r\n--x--\r\n"
)
# A bare CR would be turned into a real line break by the server on the way in; an encoded one arrives.
INJECTED = (
    b"From: %s\r\nTo: support@pledge.test\r\nSubject: =?utf-8?q?Hello=0D=0ABcc:_victim@elsewhere.test?=\r\n"
    b"Message-ID: <inject@x.test>\r\n\r\nHello\r\n"
)


def test_bad_mail_goes_to_the_failures_folder_with_its_reason(mail_wired, customer, other_customer, caplog):
    dovecot, smtp = mail_wired
    theirs = make_ticket(customer=customer)
    email = customer.email.encode()
    dovecot.deliver(NO_FROM)
    dovecot.deliver(BROKEN_MIME % email)
    dovecot.deliver(INJECTED % email)
    # A customer of another account answering the signed address of a ticket that is not theirs
    dovecot.deliver(
        customer_mail(
            sender=other_customer.email,
            to=ticket_reply_address(theirs.pk),
            subject="Not a participant",
            message_id="<intruder@x.test>",
        )
    )
    # Over the size limit (25 MB by default): listed by the poll, never downloaded
    dovecot.deliver(customer_mail(sender=customer.email, subject="Huge", body="x" * (26 * 1024 * 1024)))

    with caplog.at_level(logging.WARNING, logger="helpdesk.mailbox"):
        assert poll_mailbox() == 5

    assert Ticket.objects.count() == 1 and not Message.objects.exists()
    assert folder_subjects(dovecot, "INBOX") == []
    failed = folder_subjects(dovecot, "Pledge.Failed")
    assert len(failed) == 5
    assert [failed[0], failed[1], failed[3], failed[4]] == [
        "No sender",
        "Broken MIME",
        "Not a participant",
        "Huge",
    ]
    reasons = dict(InboundMail.objects.values_list("message_id_header", "reason"))
    assert reasons["nofrom@x.test"].startswith("no_sender")
    assert reasons["mime@x.test"].startswith("malformed_mime")
    assert reasons["inject@x.test"].startswith("header_injection")
    assert reasons["intruder@x.test"].startswith("not_participant")
    assert set(InboundMail.objects.values_list("outcome", flat=True)) == {"rejected"}
    logged = caplog.text
    for reason in ("no_sender", "malformed_mime", "header_injection", "not_participant", "too_large"):
        assert reason in logged
    assert smtp.messages == []


def test_unknown_senders_are_refused_when_the_setting_says_so(mail_wired, settings, db):
    dovecot, _ = mail_wired
    settings.INBOUND_UNKNOWN_SENDERS = "refuse"
    dovecot.deliver(customer_mail(sender="stranger@elsewhere.test", subject="Who am I"))

    poll_mailbox()

    assert not Ticket.objects.exists()
    assert folder_subjects(dovecot, "Pledge.Failed") == ["Who am I"]
    assert InboundMail.objects.get().outcome == "refused"


def test_a_subject_number_alone_does_not_let_a_stranger_onto_a_ticket(mail_wired, customer, other_customer):
    dovecot, _ = mail_wired
    theirs = make_ticket(customer=customer)
    dovecot.deliver(customer_mail(sender=other_customer.email, subject=f"Re: [#{theirs.pk}] hello"))

    poll_mailbox()

    # It is new mail from the other customer: a ticket on their own account, nothing on the first.
    assert not theirs.messages.exists()
    assert Ticket.objects.exclude(pk=theirs.pk).get().account_id == other_customer.account_id


def stdin(monkeypatch, raw: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))


def test_receive_mail_reads_one_message_on_stdin(db, customer, monkeypatch, settings, capsys):
    settings.SUPPORT_EMAIL = "support@pledge.test"
    raw = customer_mail(sender=customer.email, subject="Piped in")
    stdin(monkeypatch, raw)
    call_command("receive_mail")
    stdin(monkeypatch, raw)
    call_command("receive_mail")

    ticket = Ticket.objects.get()
    assert ticket.subject == "Piped in"
    first, second = capsys.readouterr().out.splitlines()
    assert first == f"ticket_created ticket={ticket.pk}"
    assert second.startswith("ticket_created (duplicate)")


def test_receive_mail_exits_with_dataerr_for_bad_mail(db, monkeypatch, capsys):
    stdin(monkeypatch, NO_FROM)
    with pytest.raises(SystemExit) as exit_:
        call_command("receive_mail")
    assert exit_.value.code == 65
    assert "no_sender" in capsys.readouterr().err
    assert not Ticket.objects.exists()


def test_held_mail_is_ingested_once_staff_add_its_sender(db, account, settings):
    settings.SUPPORT_EMAIL = "support@pledge.test"
    arrived = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=10)
    held = mail_ingest(
        raw=customer_mail(sender="new.person@customer.test", subject="First mail"), now=arrived
    )
    assert held.outcome == "held" and not Ticket.objects.exists()
    inbound = InboundMail.objects.get()
    assert mail_release_held(inbound_id=inbound.pk).outcome == "held"  # still nobody with that address

    person = CustomerFactory(account=account, email="new.person@customer.test")
    released = mail_release_held(inbound_id=inbound.pk)

    ticket = Ticket.objects.get()
    assert released.outcome == "ticket_created" and released.ticket_id == ticket.pk
    assert ticket.created_by == person and ticket.created_at == arrived  # the clock: when the mail came
    assert mail_release_held(inbound_id=inbound.pk).reason == "not_held"
    assert Ticket.objects.count() == 1
