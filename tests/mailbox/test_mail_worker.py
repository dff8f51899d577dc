"""The real thing: beat polls Dovecot, a worker ingests the mail, and the reply mail reaches aiosmtpd."""

import time
from email import policy
from email.parser import BytesParser

import pytest

from helpdesk.tickets.models import Ticket
from helpdesk.tickets.services.messages import message_create
from tests.factories import EngineerFactory
from tests.mailbox.mails import customer_mail
from tests.workers import Processes

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_until(check, *, timeout: float, logs) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout}s\n{logs()}")


def test_beat_polls_the_mailbox_and_the_worker_mails_the_reply(tmp_path, imap_mailbox, smtp_server, customer):
    engineer = EngineerFactory()
    processes = Processes(
        tmp_path,
        env={
            "SUPPORT_EMAIL": "support@pledge.test",
            "IMAP_HOST": imap_mailbox.host,
            "IMAP_PORT": str(imap_mailbox.port),
            "IMAP_USER": imap_mailbox.user,
            "IMAP_PASSWORD": imap_mailbox.password,
            "IMAP_SSL": "false",
            "IMAP_POLL_SECONDS": "0.5",
            "EMAIL_URL": f"smtp://{smtp_server.host}:{smtp_server.port}",
        },
    )
    try:
        processes.start_worker(purge=True)
        processes.start_beat()
        imap_mailbox.deliver(customer_mail(sender=customer.email))

        wait_until(Ticket.objects.exists, timeout=30, logs=processes.logs)
        ticket = Ticket.objects.get()
        assert ticket.account_id == customer.account_id

        message_create(ticket=ticket, author=engineer, body="Looking at it now.")
        wait_until(
            lambda: any(b"Looking at it now." in m.content for m in smtp_server.messages),
            timeout=30,
            logs=processes.logs,
        )
        reply = next(m for m in smtp_server.messages if b"Looking at it now." in m.content)
        assert reply.rcpt_tos == (customer.email,)
        headers = BytesParser(policy=policy.default).parsebytes(reply.content)
        # The thread: the customer's mail, Pledge's "received" mail, then this answer to both.
        assert headers["References"].split()[0] == "<first@customer.test>"
        assert headers["In-Reply-To"] == headers["References"].split()[-1]
    finally:
        processes.stop()
