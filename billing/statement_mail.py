"""Mail of the monthly SLA statement, its PDF attached, sent when the month's invoices are issued.

A Celery task like billing.notifications' (it takes ids, re-reads, and sends what is true now);
kept apart from them because the statement reads the vouchers that notifications tell about.
"""

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone

from billing.documents import statement_pdf
from billing.models import Invoice
from billing.services.months import month_label
from billing.statements import statement_data
from helpdesk.accounts.selectors import account_emails


@shared_task(ignore_result=True)
def notify_statements_issued(invoice_ids: list[int]) -> int:
    """To each account's people: how their month went, in the mail and as a PDF."""
    sent = 0
    for invoice in Invoice.objects.filter(pk__in=invoice_ids).select_related("account").order_by("pk"):
        recipients = list(account_emails(invoice.account_id))
        if not recipients:
            continue
        data = statement_data(account=invoice.account, month=invoice.month, user=None, now=timezone.now())
        month_name = month_label(invoice.month)
        context = {"s": data, "month_name": month_name, "site_url": settings.SITE_URL}
        message = EmailMessage(
            subject=render_to_string("billing/emails/statement_issued_subject.txt", context).strip(),
            body=render_to_string("billing/emails/statement_issued.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=recipients,
        )
        message.attach(
            f"statement-{invoice.account_id}-{invoice.month}.pdf",
            statement_pdf(data, month_name=month_name),
            "application/pdf",
        )
        sent += message.send()
    return sent
