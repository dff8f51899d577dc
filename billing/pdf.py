"""The invoice as a PDF: an HTML template laid out by WeasyPrint (billing.documents)."""

from django.conf import settings

from billing.documents import render_pdf


def seller() -> dict:
    """Who sends the invoices (settings: BILLING_SELLER_NAME, _ADDRESS, _TAX_ID)."""
    return {
        "name": settings.BILLING_SELLER_NAME,
        "address": settings.BILLING_SELLER_ADDRESS,
        "tax_id": settings.BILLING_SELLER_TAX_ID,
    }


def invoice_buyer(invoice) -> dict:
    """The buyer as the invoice recorded it when issued (an invoice issued before it kept its buyer:
    the account as it stands)."""
    if invoice.buyer_name:
        return {"name": invoice.buyer_name, "address": invoice.buyer_address, "tax_id": invoice.buyer_tax_id}
    account = invoice.account
    return {"name": account.name, "address": account.billing_address, "tax_id": account.tax_id}


def invoice_pdf(*, invoice, lines, zone, account_name: str | None = None) -> bytes:
    """The invoice on A4: seller and buyer, number and dates, payment terms, each line and the totals.

    The buyer is the one the invoice was issued to; `account_name` names it otherwise.
    """
    buyer = invoice_buyer(invoice)
    if account_name is not None:
        buyer["name"] = account_name
    return render_pdf(
        "billing/documents/invoice.html",
        {
            "invoice": invoice,
            "lines": lines,
            # Written out here: the template's date filter would use the active zone, not the reader's.
            "issued": f"{invoice.issued_at.astimezone(zone):%Y-%m-%d %H:%M %Z}",
            "paid": f"{invoice.paid_at.astimezone(zone):%Y-%m-%d}" if invoice.paid_at else "",
            "seller": seller(),
            "buyer": buyer,
            "payment_days": settings.BILLING_PAYMENT_TERMS_DAYS,
        },
    )
