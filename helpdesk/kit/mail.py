"""E-mail from templates: `<name>_subject.txt` and `<name>.txt`, with the site's address in the context.

Every mail has a text part and an HTML part made from the same rendered text (escaped, links
made clickable), so one template serves both.
"""

from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template
from django.utils.html import escape, linebreaks, urlize


def text_to_html(text: str) -> str:
    """The HTML part of a mail: the text, escaped, with paragraphs and clickable links."""
    # The rendered text is marked safe (its template does not autoescape): escape it regardless.
    body = linebreaks(urlize(escape(text), nofollow=True))
    return f'<!doctype html>\n<html><body style="font-family: sans-serif">\n{body}\n</body></html>\n'


def send_templated_mail(
    *,
    template: str,
    recipients: Iterable[str],
    cc: Iterable[str] = (),
    headers: Mapping[str, str] | None = None,
    reply_to: Iterable[str] = (),
    **context,
) -> int:
    """Send one message to `recipients` (and `cc`); nothing (0) when there is nobody to tell."""
    recipients = list(dict.fromkeys(recipients))
    cc = [address for address in dict.fromkeys(cc) if address not in recipients]
    if not recipients and not cc:
        return 0
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_plain_text(f"{template}_subject.txt", context).split())
    body = render_plain_text(f"{template}.txt", context)
    message = EmailMultiAlternatives(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        recipients,
        cc=cc,
        reply_to=list(reply_to),
        headers=dict(headers or {}),
    )
    message.attach_alternative(text_to_html(body), "text/html")
    return message.send()


def render_plain_text(name: str, context: dict) -> str:
    """A plain-text template with autoescape off: a subject says "Ticket", not &quot;Ticket&quot;."""
    return get_template(name).template.render(Context(context, autoescape=False))
