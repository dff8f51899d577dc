"""Raw mails as customers' clients write them."""

from email.message import EmailMessage
from email.utils import format_datetime


def customer_mail(
    *,
    sender: str,
    subject: str = "Invoices page is blank",
    body: str = "Since this morning the invoices page shows nothing.\n",
    message_id: str = "<first@customer.test>",
    to: str = "support@pledge.test",
    received_at=None,
    attachment: tuple[str, bytes] | None = None,
    **headers: str,
) -> bytes:
    mail = EmailMessage()
    if received_at is not None:
        mail["Received"] = f"from mx.customer.test by imap.pledge.test; {format_datetime(received_at)}"
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Message-ID"] = message_id
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    if attachment:
        mail.add_attachment(attachment[1], maintype="text", subtype="plain", filename=attachment[0])
    return mail.as_bytes()
