"""Plain-text mail is not HTML-escaped: a subject with quotes and ampersands reads as written."""

from django.core import mail

from helpdesk.kit.mail import send_templated_mail
from tests.factories import make_ticket

TEMPLATE = "tickets/emails/ticket_received"


def test_subject_and_body_keep_quotes_and_ampersands(customer):
    ticket = make_ticket(customer=customer, subject='Login says "denied" & <b>fails</b>')

    send_templated_mail(
        template="tickets/emails/ticket_received", recipients=["a@example.com"], ticket=ticket
    )

    message = mail.outbox[0]
    assert message.subject == f'[Pledge #{ticket.pk}] Received: Login says "denied" & <b>fails</b>'
    assert "&quot;" not in message.body and "&amp;" not in message.body


def test_a_subject_is_one_line_whatever_the_data(customer):
    ticket = make_ticket(customer=customer, subject="first line")
    ticket.subject = "first\nBcc: victim@example.com"

    send_templated_mail(
        template="tickets/emails/ticket_received", recipients=["a@example.com"], ticket=ticket
    )

    assert "\n" not in mail.outbox[0].subject
