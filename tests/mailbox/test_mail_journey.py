"""The conversation over real servers: mail in through Dovecot, replies out through aiosmtpd."""

import datetime as dt
from email import policy
from email.parser import BytesParser

from django.utils import timezone

from helpdesk.mailbox import notifications
from helpdesk.mailbox.models import InboundMail, SentMail
from helpdesk.mailbox.tasks import poll_mailbox
from helpdesk.tickets.models import Message, Ticket, TicketStatus
from helpdesk.tickets.services.messages import message_create
from helpdesk.tickets.services.tickets import ticket_transition
from tests.inbox.test_imap import folder_subjects
from tests.mailbox.mails import customer_mail


def parsed(received):
    return BytesParser(policy=policy.default).parsebytes(received.content)


def test_a_customer_writes_an_engineer_answers_the_customer_replies(
    mail_wired, customer, engineer, other_customer, client
):
    dovecot, smtp = mail_wired
    arrived = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=3)

    # Given a known customer's mail with an attachment in the support mailbox
    dovecot.deliver(
        customer_mail(sender=customer.email, received_at=arrived, attachment=("trace.txt", b"stack trace"))
    )
    # When one poll runs
    assert poll_mailbox() == 1
    # Then a ticket exists on the customer's account, its clock started when the mail arrived
    ticket = Ticket.objects.get()
    assert (ticket.account_id, ticket.created_by_id) == (customer.account_id, customer.pk)
    assert ticket.subject == "Invoices page is blank"
    assert ticket.channel == "email"
    assert ticket.description == "Since this morning the invoices page shows nothing."
    assert ticket.created_at == arrived and ticket.clock_started_at == arrived
    (attachment,) = ticket.attachments.all()
    assert attachment.filename == "trace.txt" and attachment.file.read() == b"stack trace"
    inbound = InboundMail.objects.get()
    assert inbound.raw.read().startswith(b"Received:") and inbound.ticket_id == ticket.pk
    assert folder_subjects(dovecot, "Pledge.Processed") == ["Invoices page is blank"]
    assert folder_subjects(dovecot, "INBOX") == []

    # When an engineer replies on the ticket page
    client.force_login(engineer)
    response = client.post(
        f"/tickets/{ticket.pk}/reply/", {"body": "Clear the cache, please.", "visibility": "public"}
    )
    assert response.status_code == 302
    answer = Message.objects.get(ticket=ticket)
    assert notifications.notify_reply(answer.pk) == 1
    # Then the customer gets it, threaded under their own mail, with a reply address for the ticket
    (sent,) = smtp.messages
    out = parsed(sent)
    assert sent.rcpt_tos == (customer.email,)
    assert out["In-Reply-To"] == "<first@customer.test>"
    assert out["Message-ID"] == f"<{SentMail.objects.get().message_id_header}>"
    reply_to = out["Reply-To"]
    assert reply_to.startswith("support+t") and reply_to.endswith("@pledge.test")
    assert "Clear the cache, please." in out.get_body(("plain",)).get_content()

    # When the customer answers from their mail client, quoting the history, twice (a retrying relay)
    answer_mail = customer_mail(
        sender=customer.email,
        to=reply_to,
        subject=f"Re: {out['Subject']}",
        message_id="<second@customer.test>",
        In_Reply_To=out["Message-ID"],
        References=f"<first@customer.test> {out['Message-ID']}",
        body=(
            "That worked, thank you.\n\n"
            "On Mon, 7 Dec 2026 at 10:00, Pledge <support@pledge.test> wrote:\n"
            "> Clear the cache, please.\n"
        ),
    )
    dovecot.deliver(answer_mail)
    dovecot.deliver(answer_mail)
    # and an out-of-office and a stranger write too
    dovecot.deliver(
        customer_mail(
            sender=customer.email,
            subject="Out of office",
            message_id="<ooo@customer.test>",
            Auto_Submitted="auto-replied",
        )
    )
    dovecot.deliver(
        customer_mail(sender="stranger@elsewhere.test", subject="Hello?", message_id="<x@e.test>")
    )
    assert poll_mailbox() == 4

    # Then the reply is one message with the quote stripped, and nothing else became a message or ticket
    replies = Message.objects.filter(ticket=ticket, author=customer)
    assert [m.body for m in replies] == ["That worked, thank you."]
    assert Ticket.objects.count() == 1
    outcomes = dict(InboundMail.objects.values_list("message_id_header", "outcome"))
    assert outcomes["ooo@customer.test"] == "dropped"
    assert outcomes["x@e.test"] == "held"
    assert folder_subjects(dovecot, "Pledge.Held") == ["Hello?"]
    assert folder_subjects(dovecot, "INBOX") == []
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WORK_STARTED


def test_a_mail_reply_on_a_resolved_ticket_reopens_it_and_on_a_closed_one_opens_a_linked_ticket(
    mail_wired, customer, engineer
):
    dovecot, _ = mail_wired
    dovecot.deliver(customer_mail(sender=customer.email))
    poll_mailbox()
    ticket = Ticket.objects.get()
    client_reply = {"sender": customer.email, "In_Reply_To": "<first@customer.test>"}

    message_create(ticket=ticket, author=engineer, body="Fixed.")
    ticket_transition(ticket=ticket, actor=engineer, to_status=TicketStatus.RESOLVED)

    dovecot.deliver(customer_mail(message_id="<again@customer.test>", body="Broken again.\n", **client_reply))
    poll_mailbox()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WORK_STARTED

    ticket_transition(ticket=ticket, actor=engineer, to_status=TicketStatus.RESOLVED)
    ticket_transition(ticket=ticket, actor=engineer, to_status=TicketStatus.CLOSED)
    dovecot.deliver(
        customer_mail(message_id="<late@customer.test>", body="One more thing.\n", **client_reply)
    )
    poll_mailbox()
    follow_up = Ticket.objects.exclude(pk=ticket.pk).get()
    assert follow_up.follow_up_of_id == ticket.pk and follow_up.description == "One more thing."
