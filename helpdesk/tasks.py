"""Celery tasks of the helpdesk: they take ids, re-read, and send what is still true."""
from celery import shared_task

from helpdesk.chat_tasks import chat_sweep  # noqa: F401 - autodiscovery finds the chat sweep here
from helpdesk.models import Ticket
from helpdesk.notifications import account_contacts, send_ticket_email, staff_contacts


def _ticket(ticket_id: int) -> Ticket | None:
    return Ticket.objects.select_related("account").filter(pk=ticket_id).first()


@shared_task(ignore_result=True)
def notify_ticket_received(ticket_id: int) -> int:
    ticket = _ticket(ticket_id)
    if ticket is None:
        return 0
    return send_ticket_email(
        ticket=ticket, template="ticket_received",
        recipients=account_contacts(ticket) + staff_contacts(),
    )


@shared_task(ignore_result=True)
def notify_work_started(ticket_id: int) -> int:
    ticket = _ticket(ticket_id)
    if ticket is None or ticket.work_started_at is None:
        return 0
    return send_ticket_email(
        ticket=ticket, template="work_started", recipients=account_contacts(ticket)
    )


@shared_task(ignore_result=True)
def notify_downgraded(ticket_id: int) -> int:
    ticket = _ticket(ticket_id)
    if ticket is None or not ticket.downgraded_from:
        return 0
    return send_ticket_email(
        ticket=ticket, template="downgraded", recipients=account_contacts(ticket)
    )
