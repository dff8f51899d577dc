"""Mail about replies: the customer hears of a public staff reply, support hears of a customer reply.

Each mail carries its own Message-ID (recorded, so an answer threads back), In-Reply-To and
References from the ticket's thread, and a signed reply-to address that routes the answer to the
ticket. A task that runs twice sends once (one SentMail per message and kind).
"""

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from helpdesk.accounts.models import NotificationCategory, User
from helpdesk.accounts.selectors import account_emails, engineer_emails, user_emails
from helpdesk.inbox.parsing import normalise_message_id
from helpdesk.inbox.threading import make_message_id
from helpdesk.kit import roles
from helpdesk.kit.mail import send_templated_mail
from helpdesk.mailbox import selectors
from helpdesk.mailbox.models import SentMail
from helpdesk.tickets.models import Message, Ticket, TicketRating, TicketStatus
from helpdesk.tickets.services.ratings import rating_token

REPLIES = NotificationCategory.REPLIES
RATINGS = NotificationCategory.RATINGS


def staff_to_tell(ticket: Ticket) -> list[str]:
    """Who hears of a customer's reply: the ticket's assignee alone (nobody, if they turned replies
    off), or the engineers on duty when nobody is assigned or the assignee no longer works here.

    Pledge keeps no duty roster: every active engineer is on duty.
    """
    assignee = ticket.assignee
    if assignee is not None and assignee.is_active and roles.is_staff(assignee):
        return user_emails([assignee.pk], category=REPLIES)
    return engineer_emails(category=REPLIES)


def customers_to_tell(ticket: Ticket) -> list[str]:
    """The requester, or the account's people when staff opened the ticket for them."""
    if roles.is_customer(ticket.created_by):
        return user_emails([ticket.created_by_id], category=REPLIES)
    return account_emails(ticket.account_id, category=REPLIES)


def threading_headers(ticket: Ticket, message_id: str) -> dict[str, str]:
    """Message-IDs are stored bare (as inbound mail is read); headers wrap them in angle brackets."""
    headers = {"Message-ID": f"<{message_id}>", "Auto-Submitted": "auto-generated"}
    thread = selectors.thread_message_ids(ticket.pk)
    if thread:
        headers["In-Reply-To"] = f"<{thread[-1]}>"
        headers["References"] = " ".join(f"<{mid}>" for mid in thread)
    return headers


def thread_options(*, ticket: Ticket, kind: str, message: Message | None = None) -> dict | None:
    """Record a new Message-ID for a mail about `ticket` and return send_templated_mail's threading
    options; None when this message's mail of this kind was recorded already (a task run twice)."""
    message_id = normalise_message_id(
        make_message_id(settings.MAIL_MESSAGE_ID_DOMAIN, ticket.pk, message.pk if message else 0)
    )
    headers = threading_headers(ticket, message_id)
    try:
        with transaction.atomic():
            SentMail.objects.create(
                message_id_header=message_id,
                ticket=ticket,
                message=message,
                kind=kind,
                sent_at=timezone.now(),
            )
    except IntegrityError:
        return None
    return {"headers": headers, "reply_to": [selectors.ticket_reply_address(ticket.pk)]}


def ticket_mail_options(*, ticket: Ticket, kind: str) -> dict:
    """For helpdesk.tickets.threading: its received, work started and downgraded mails thread too."""
    return thread_options(ticket=ticket, kind=kind) or {}


def send_ticket_mail(
    *, ticket: Ticket, message: Message | None, kind: str, template: str, recipients, cc=(), **context
) -> int:
    """Record the Message-ID, then send: a second run for the same message and kind sends nothing."""
    recipients, cc = list(recipients), list(cc)
    if not recipients and not cc:
        return 0
    options = thread_options(ticket=ticket, kind=kind, message=message)
    if options is None:
        return 0
    return send_templated_mail(
        template=template, recipients=recipients, cc=cc, ticket=ticket, message=message, **options, **context
    )


@shared_task(ignore_result=True)
def notify_reply(message_id: int) -> int:
    message = (
        Message.objects.select_related("ticket__account", "ticket__created_by", "ticket__assignee", "author")
        .prefetch_related("attachments")
        .filter(pk=message_id, public=True)
        .first()
    )
    if message is None:
        return 0
    ticket = message.ticket
    author = message.author
    if roles.is_staff(author):
        recipients = customers_to_tell(ticket)
        cc = [address for address in ticket.cc_addresses if address not in recipients]
        template = "mailbox/emails/staff_replied"
    else:
        recipients, cc = staff_to_tell(ticket), []
        template = "mailbox/emails/customer_replied"
    recipients = [address for address in recipients if address.lower() != (author.email or "").lower()]
    return send_ticket_mail(
        ticket=ticket,
        message=message,
        kind="reply",
        template=template,
        recipients=recipients,
        cc=cc,
        attachments=list(message.attachments.all()),
    )


@shared_task(ignore_result=True)
def notify_resolved(ticket_id: int) -> int:
    """Tell the requester the ticket is resolved, with one-click rating links of their own."""
    ticket = Ticket.objects.select_related("account", "created_by").filter(pk=ticket_id).first()
    if (
        ticket is None
        or ticket.status != TicketStatus.RESOLVED
        or TicketRating.objects.filter(ticket=ticket).exists()
    ):
        return 0
    if roles.is_customer(ticket.created_by):
        people = User.objects.filter(pk=ticket.created_by_id)
    else:
        people = User.objects.filter(account_id=ticket.account_id)
    people = people.filter(is_active=True).exclude(email="").exclude(muted_notifications__category=RATINGS)
    sent = 0
    for person in people.order_by("pk"):
        sent += send_ticket_mail(
            ticket=ticket,
            message=None,
            kind="resolved",
            template="mailbox/emails/resolved",
            recipients=[person.email],
            rating_url=f"{settings.SITE_URL}/rate/{rating_token(ticket=ticket, user=person)}/",
        )
    return sent
