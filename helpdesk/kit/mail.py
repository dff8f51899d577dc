"""E-mail from templates: `<name>_subject.txt` and `<name>.txt`, with the site's address in the context."""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.template import Context
from django.template.loader import get_template


def send_templated_mail(*, template: str, recipients: Iterable[str], **context) -> int:
    """Send one message to `recipients`; nothing (0) when there is nobody to tell."""
    recipients = list(recipients)
    if not recipients:
        return 0
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_plain_text(f"{template}_subject.txt", context).split())
    body = render_plain_text(f"{template}.txt", context)
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def render_plain_text(name: str, context: dict) -> str:
    """A plain-text template with autoescape off: a subject says "Ticket", not &quot;Ticket&quot;."""
    return get_template(name).template.render(Context(context, autoescape=False))
