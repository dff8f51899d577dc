"""Replies notify: staff reply -> requester (+CC), customer reply -> the assignee, or the engineers on
duty when nobody is assigned; notes never leave."""

from email import policy
from email.parser import BytesParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from helpdesk.accounts.models import NotificationCategory, User
from helpdesk.accounts.services.notifications import notification_preferences_set
from helpdesk.inbox.threading import ticket_id_from_reply_address
from helpdesk.mailbox import notifications, selectors
from helpdesk.mailbox.models import SentMail
from helpdesk.mailbox.services.ingest import mail_ingest
from helpdesk.tickets import notifications as ticket_notifications
from helpdesk.tickets.models import Ticket
from helpdesk.tickets.services.messages import message_create
from helpdesk.tickets.services.workspace import ticket_assign
from tests.factories import EngineerFactory
from tests.mailbox.mails import customer_mail


def reply(ticket, author, body="Here is what we found.", **kwargs):
    return message_create(ticket=ticket, author=author, body=body, **kwargs)


def test_a_public_staff_reply_mails_the_requester_and_cc_with_threading(
    ticket, customer, engineer, mailoutbox, django_capture_on_commit_callbacks, settings
):
    Ticket.objects.filter(pk=ticket.pk).update(cc_addresses=["boss@customer.test"])
    ticket.refresh_from_db()
    first = reply(ticket, engineer, files=[SimpleUploadedFile("log.txt", b"trace")])
    second = reply(ticket, engineer, body="And a second thing.")

    assert notifications.notify_reply(first.pk) == 1
    assert notifications.notify_reply(second.pk) == 1
    assert notifications.notify_reply(first.pk) == 0  # a task run twice sends once

    one, two = mailoutbox
    assert one.to == [customer.email] and one.cc == ["boss@customer.test"]
    assert f"[#{ticket.pk}]" in one.subject
    assert "Here is what we found." in one.body and "log.txt" in one.body
    assert f"/tickets/{ticket.pk}/" in one.body
    html, mimetype = one.alternatives[0]
    assert mimetype == "text/html" and "Here is what we found." in html
    first_id = SentMail.objects.get(message=first).message_id_header
    assert one.extra_headers["Message-ID"] == f"<{first_id}>"
    assert two.extra_headers["In-Reply-To"] == f"<{first_id}>"
    assert first_id in two.extra_headers["References"]
    assert two.extra_headers["Auto-Submitted"] == "auto-generated"
    (reply_to,) = two.reply_to
    assert (
        ticket_id_from_reply_address(
            reply_to, support_address=settings.SUPPORT_EMAIL, secret=selectors.reply_secret()
        )
        == ticket.pk
    )


def test_a_customer_reply_mails_the_engineers_on_duty_not_the_customer(
    ticket, customer, engineer, mailoutbox
):
    other_engineer = EngineerFactory()
    message = reply(ticket, customer, body="It happens again.")

    assert notifications.notify_reply(message.pk) == 1

    (mail,) = mailoutbox
    assert set(mail.to) == {engineer.email, other_engineer.email}
    assert customer.email not in mail.to
    assert "It happens again." in mail.body


def test_internal_notes_never_leave(ticket, engineer, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        note = reply(ticket, engineer, body="Customer is on an old build.", public=False)

    assert notifications.notify_reply(note.pk) == 0
    assert mailoutbox == [] and callbacks == []  # not even a task is queued for a note
    assert not SentMail.objects.filter(message=note).exists()


def test_a_reply_queues_its_mail_after_commit(ticket, customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reply(ticket, customer)
    assert len(callbacks) == 1


@pytest.mark.parametrize("who", ["customer", "engineer"])
def test_muted_replies_are_not_sent(ticket, customer, engineer, mailoutbox, who):
    person = {"customer": customer, "engineer": engineer}[who]
    notification_preferences_set(user=person, muted=[NotificationCategory.REPLIES])
    author = engineer if who == "customer" else customer

    message = reply(ticket, author)

    assert notifications.notify_reply(message.pk) == 0
    assert mailoutbox == []


def test_mail_goes_to_a_real_smtp_server_with_both_parts(ticket, customer, engineer, smtp_server, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_server.host, smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    message = reply(ticket, engineer, body="Restart the <b>agent</b>.")

    assert notifications.notify_reply(message.pk) == 1

    (received,) = smtp_server.messages
    assert received.rcpt_tos == (customer.email,)
    parsed = BytesParser(policy=policy.default).parsebytes(received.content)
    assert parsed.get_content_type() == "multipart/alternative"
    assert "Restart the <b>agent</b>." in parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert "Restart the &lt;b&gt;agent&lt;/b&gt;." in html, html  # escaped
    assert parsed["Message-ID"] == f"<{SentMail.objects.get(message=message).message_id_header}>"


def test_an_answer_to_the_ticket_received_mail_threads_onto_the_ticket(
    ticket, customer, mailoutbox, settings
):
    settings.SUPPORT_EMAIL = "support@pledge.test"
    assert ticket_notifications.notify_ticket_received(ticket.pk) == 1
    (received,) = mailoutbox
    sent_id = received.extra_headers["Message-ID"]
    assert SentMail.objects.get(kind="ticket_received").message_id_header == sent_id.strip("<>")

    result = mail_ingest(
        raw=customer_mail(
            sender=customer.email,
            subject=f"Re: {received.subject}",
            message_id="<a1@c.test>",
            In_Reply_To=sent_id,
        )
    )

    assert result.outcome == "message_added" and result.ticket_id == ticket.pk
    assert ticket.messages.get().author == customer


# --- a customer's reply goes to the ticket's assignee (issue 13) ------------------------------


@pytest.fixture
def real_smtp(settings, smtp_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_server.host, smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    return smtp_server


def _assign(ticket, engineer, assignee):
    return ticket_assign(ticket=ticket, actor=engineer, assignee=assignee)


def test_a_customer_reply_on_an_assigned_ticket_reaches_the_assignee_alone(
    ticket, customer, engineer, real_smtp
):
    owner = EngineerFactory()
    ticket = _assign(ticket, engineer, owner)

    message = reply(ticket, customer, body="Still broken after the restart.")

    assert notifications.notify_reply(message.pk) == 1
    (received,) = real_smtp.messages
    assert received.rcpt_tos == (owner.email,)
    parsed = BytesParser(policy=policy.default).parsebytes(received.content)
    assert "Still broken after the restart." in parsed.get_body(("plain",)).get_content()
    assert parsed["Message-ID"] == f"<{SentMail.objects.get(message=message).message_id_header}>"


def test_an_assignee_who_muted_replies_gets_nothing_and_nobody_else_is_told(
    ticket, customer, engineer, real_smtp
):
    owner = EngineerFactory()
    notification_preferences_set(user=owner, muted=[NotificationCategory.REPLIES])
    ticket = _assign(ticket, engineer, owner)

    message = reply(ticket, customer)

    assert notifications.notify_reply(message.pk) == 0
    assert real_smtp.messages == []
    assert not SentMail.objects.filter(message=message).exists()


def test_an_unassigned_ticket_reaches_every_engineer_on_duty_less_those_who_muted_replies(
    ticket, customer, engineer, real_smtp
):
    on_duty = EngineerFactory()
    muted = EngineerFactory()
    notification_preferences_set(user=muted, muted=[NotificationCategory.REPLIES])
    EngineerFactory(is_active=False)  # gone: not on duty
    owner = EngineerFactory()
    ticket = _assign(ticket, engineer, owner)
    ticket = _assign(ticket, engineer, None)  # unassigned again

    message = reply(ticket, customer)

    assert notifications.notify_reply(message.pk) == 1
    (received,) = real_smtp.messages
    assert set(received.rcpt_tos) == {engineer.email, on_duty.email, owner.email}
    assert customer.email not in received.rcpt_tos


def test_an_assignee_who_left_hands_the_reply_to_the_engineers_on_duty(ticket, customer, engineer, real_smtp):
    owner = EngineerFactory()
    ticket = _assign(ticket, engineer, owner)
    User.objects.filter(pk=owner.pk).update(is_active=False)

    message = reply(ticket, customer)

    assert notifications.notify_reply(message.pk) == 1
    (received,) = real_smtp.messages
    assert received.rcpt_tos == (engineer.email,)


def test_a_staff_reply_on_an_assigned_ticket_still_goes_to_the_customer_not_the_assignee(
    ticket, customer, engineer, real_smtp
):
    owner = EngineerFactory()
    ticket = _assign(ticket, engineer, owner)

    message = reply(ticket, engineer, body="We are on it.")

    assert notifications.notify_reply(message.pk) == 1
    (received,) = real_smtp.messages
    assert received.rcpt_tos == (customer.email,)
