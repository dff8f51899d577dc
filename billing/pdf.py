"""The invoice as a PDF: an HTML template laid out by WeasyPrint (billing.documents)."""

from django.conf import settings

from billing.documents import render_pdf


def invoice_pdf(*, invoice, lines, account_name: str, zone) -> bytes:
    """The invoice on A4: seller and buyer, number and dates, payment terms, each line and the totals."""
    return render_pdf(
        "billing/documents/invoice.html",
        {
            "invoice": invoice,
            "lines": lines,
            "account_name": account_name,
            # Written out here: the template's date filter would use the active zone, not the reader's.
            "issued": f"{invoice.issued_at.astimezone(zone):%Y-%m-%d %H:%M %Z}",
            "paid": f"{invoice.paid_at.astimezone(zone):%Y-%m-%d}" if invoice.paid_at else "",
            "seller_name": getattr(settings, "BILLING_SELLER_NAME", "Pledge"),
            "seller_address": getattr(settings, "BILLING_SELLER_ADDRESS", ""),
            "payment_days": getattr(settings, "BILLING_PAYMENT_TERMS_DAYS", 14),
        },
    )
