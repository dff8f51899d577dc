"""E-mail from templates: `<name>_subject.txt` and `<name>.txt`, with the site's address in the context."""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string


def send_templated_mail(*, template: str, recipients: Iterable[str], **context) -> int:
    """Send one message to `recipients`; nothing (0) when there is nobody to tell."""
    recipients = list(recipients)
    if not recipients:
        return 0
    context = {"site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"{template}_subject.txt", context).strip()
    body = render_to_string(f"{template}.txt", context)
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
