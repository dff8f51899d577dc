"""Mail about money: claims received and decided, vouchers, invoices, termination rights and decisions.

Celery tasks, sent after the change commits (helpdesk.kit.enqueue), so a broker outage never fails a
decision: they take ids, re-read, and send what is still true.
"""

from celery import shared_task

from billing.models import AccountMonth, Claim, ClaimStatus, Invoice, TerminationRequest, Voucher
from helpdesk.accounts.selectors import account_emails, billing_admin_emails
from helpdesk.kit.mail import send_templated_mail
from sla.clocks.models import Miss


def _claim(claim_id: int):

    return (
        Claim.objects.select_related(
            "miss", "miss__ticket", "shortfall", "shortfall__item", "account", "voucher"
        )
        .filter(pk=claim_id)
        .first()
    )


@shared_task(ignore_result=True)
def notify_claim_received(claim_id: int) -> int:
    """To the account's people (we have it) and billing admins (it waits for review)."""
    claim = _claim(claim_id)
    if claim is None:
        return 0
    return send_templated_mail(
        template="billing/emails/claim_received",
        claim=claim,
        recipients=account_emails(claim.account_id) + billing_admin_emails(),
    )


@shared_task(ignore_result=True)
def notify_claim_decided(claim_id: int) -> int:

    claim = _claim(claim_id)
    if claim is None or claim.status == ClaimStatus.PENDING:
        return 0
    return send_templated_mail(
        template="billing/emails/claim_decided", claim=claim, recipients=account_emails(claim.account_id)
    )


@shared_task(ignore_result=True)
def notify_voucher_issued(voucher_id: int) -> int:

    voucher = (
        Voucher.objects.select_related("miss__ticket", "shortfall__item", "account")
        .filter(pk=voucher_id)
        .first()
    )
    if voucher is None:
        return 0
    return send_templated_mail(
        template="billing/emails/voucher_issued",
        voucher=voucher,
        recipients=account_emails(voucher.account_id),
    )


@shared_task(ignore_result=True)
def notify_invoices_issued(invoice_ids: list[int]) -> int:

    sent = 0
    for invoice in Invoice.objects.filter(pk__in=invoice_ids).select_related("account").order_by("pk"):
        sent += send_templated_mail(
            template="billing/emails/invoice_issued",
            invoice=invoice,
            recipients=account_emails(invoice.account_id),
        )
    return sent


@shared_task(ignore_result=True)
def notify_termination_eligible(account_month_id: int) -> int:

    month = AccountMonth.objects.select_related("account").filter(pk=account_month_id).first()
    if month is None or not month.termination_eligible:
        return 0
    misses = list(
        Miss.objects.filter(account_id=month.account_id, month=month.month, counted=True)
        .select_related("ticket")
        .order_by("deadline")
    )
    return send_templated_mail(
        template="billing/emails/termination_eligible",
        account_month=month,
        misses=misses,
        recipients=account_emails(month.account_id) + billing_admin_emails(),
    )


@shared_task(ignore_result=True)
def notify_termination_decided(request_id: int) -> int:

    request = TerminationRequest.objects.select_related("account").filter(pk=request_id).first()
    if request is None:
        return 0
    return send_templated_mail(
        template="billing/emails/termination_decided",
        request=request,
        recipients=account_emails(request.account_id),
    )
