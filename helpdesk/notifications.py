"""Who hears about a ticket, and what the email says."""
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from helpdesk.models import Role, Ticket, User


def account_contacts(ticket: Ticket) -> list[str]:
    return list(
        User.objects.filter(account_id=ticket.account_id, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def staff_contacts() -> list[str]:
    return list(
        User.objects.filter(role=Role.ENGINEER, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def send_ticket_email(*, ticket: Ticket, template: str, recipients: list[str], **context) -> int:
    if not recipients:
        return 0
    context = {"ticket": ticket, "site_url": getattr(settings, "SITE_URL", ""), **context}
    subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
    body = render_to_string(f"emails/{template}.txt", context)
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
