"""Mail about tickets, sent by Celery after the change commits: tasks take ids, re-read, and send
what is still true."""

from celery import shared_task

from helpdesk.accounts.models import NotificationCategory
from helpdesk.accounts.selectors import account_emails, engineer_emails
from helpdesk.kit.mail import send_templated_mail
from helpdesk.tickets import threading
from helpdesk.tickets.models import Ticket

UPDATES = NotificationCategory.TICKET_UPDATES


def _ticket(ticket_id: int) -> Ticket | None:
    return Ticket.objects.select_related("account").filter(pk=ticket_id).first()


def _send(ticket: Ticket, *, kind: str, recipients: list[str]) -> int:
    """Send `tickets/emails/<kind>`, threaded with the ticket's other mail when there is anyone to tell."""
    if not recipients:
        return 0
    return send_templated_mail(
        ticket=ticket,
        template=f"tickets/emails/{kind}",
        recipients=recipients,
        **threading.mail_options(ticket, kind=kind),
    )


@shared_task(ignore_result=True)
def notify_ticket_received(ticket_id: int) -> int:
    ticket = _ticket(ticket_id)
    if ticket is None:
        return 0
    recipients = account_emails(ticket.account_id, category=UPDATES) + engineer_emails(category=UPDATES)
    return _send(ticket, kind="ticket_received", recipients=recipients)


@shared_task(ignore_result=True)
def notify_work_started(ticket_id: int) -> int:
    ticket = _ticket(ticket_id)
    if ticket is None or ticket.work_started_at is None:
        return 0
    return _send(ticket, kind="work_started", recipients=account_emails(ticket.account_id, category=UPDATES))


@shared_task(ignore_result=True)
def notify_downgraded(ticket_id: int) -> int:
    ticket = _ticket(ticket_id)
    if ticket is None or not ticket.downgraded_from:
        return 0
    return _send(ticket, kind="downgraded", recipients=account_emails(ticket.account_id, category=UPDATES))
