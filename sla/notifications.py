"""Emails about promises: a clock at risk (engineers), a clock missed (customer contacts and staff)."""
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from helpdesk.models import Ticket
from helpdesk.notifications import account_contacts, send_ticket_email, staff_contacts
from sla.models import Miss


def send_missed(miss_id: int) -> int:
    miss = Miss.objects.select_related("ticket", "ticket__account").filter(pk=miss_id).first()
    if miss is None:
        return 0
    return send_ticket_email(
        ticket=miss.ticket, template="missed", miss=miss,
        recipients=account_contacts(miss.ticket) + staff_contacts(),
    )


def send_at_risk(ticket_ids: list[int]) -> int:
    tickets = list(
        Ticket.objects.filter(pk__in=ticket_ids, miss_pending=True, work_started_at__isnull=True)
        .select_related("account")
        .order_by("work_started_deadline")
    )
    recipients = staff_contacts()
    if not tickets or not recipients:
        return 0
    context = {"tickets": tickets, "site_url": settings.SITE_URL}
    subject = render_to_string("emails/at_risk_subject.txt", context).strip()
    body = render_to_string("emails/at_risk.txt", context)
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
