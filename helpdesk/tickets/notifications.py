"""Mail about tickets, sent by Celery after the change commits: tasks take ids, re-read, and send
what is still true."""

from celery import shared_task

from helpdesk.accounts.models import NotificationCategory
from helpdesk.accounts.selectors import account_emails, engineer_emails
from helpdesk.kit.mail import send_templated_mail
from helpdesk.tickets.models import Ticket

UPDATES = NotificationCategory.TICKET_UPDATES


def _ticket(ticket_id: int) -> Ticket | None:
    return Ticket.objects.select_related("account").filter(pk=ticket_id).first()


@shared_task(ignore_result=True)
def notify_ticket_received(ticket_id: int) -> int:
    ticket = _ticket(ticket_id)
    if ticket is None:
        return 0
    return send_templated_mail(
        ticket=ticket,
        template="tickets/emails/ticket_received",
        recipients=account_emails(ticket.account_id, category=UPDATES) + engineer_emails(category=UPDATES),
    )


@shared_task(ignore_result=True)
def notify_work_started(ticket_id: int) -> int:
    ticket = _ticket(ticket_id)
    if ticket is None or ticket.work_started_at is None:
        return 0
    return send_templated_mail(
        ticket=ticket,
        template="tickets/emails/work_started",
        recipients=account_emails(ticket.account_id, category=UPDATES),
    )


@shared_task(ignore_result=True)
def notify_downgraded(ticket_id: int) -> int:
    ticket = _ticket(ticket_id)
    if ticket is None or not ticket.downgraded_from:
        return 0
    return send_templated_mail(
        ticket=ticket,
        template="tickets/emails/downgraded",
        recipients=account_emails(ticket.account_id, category=UPDATES),
    )
