"""Billing's Celery tasks: emails about claims, vouchers, invoices and termination, and the month close.

Tasks take ids, re-read, and send only what is still true; services enqueue them on commit
through sla.tasks.send_safely, so a broker outage never fails a decision.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from helpdesk.models import Role, User

log = logging.getLogger(__name__)


def account_emails(account_id: int) -> list[str]:
    return list(
        User.objects.filter(account_id=account_id, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )


def billing_admin_emails() -> list[str]:
    return list(
        User.objects.filter(Q(role=Role.BILLING_ADMIN) | Q(is_superuser=True), is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )


def send_billing_email(*, template: str, recipients: list[str], **context) -> int:
    if not recipients:
        return 0
    context = {"site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"emails/billing_{template}_subject.txt", context).strip()
    body = render_to_string(f"emails/billing_{template}.txt", context)
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def _claim(claim_id: int):
    from billing.models import Claim

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
    return send_billing_email(
        template="claim_received",
        claim=claim,
        recipients=account_emails(claim.account_id) + billing_admin_emails(),
    )


@shared_task(ignore_result=True)
def notify_claim_decided(claim_id: int) -> int:
    from billing.models import ClaimStatus

    claim = _claim(claim_id)
    if claim is None or claim.status == ClaimStatus.PENDING:
        return 0
    return send_billing_email(
        template="claim_decided", claim=claim, recipients=account_emails(claim.account_id)
    )


@shared_task(ignore_result=True)
def notify_voucher_issued(voucher_id: int) -> int:
    from billing.models import Voucher

    voucher = (
        Voucher.objects.select_related("claim__miss__ticket", "claim__shortfall__item", "account")
        .filter(pk=voucher_id)
        .first()
    )
    if voucher is None:
        return 0
    return send_billing_email(
        template="voucher_issued", voucher=voucher, recipients=account_emails(voucher.account_id)
    )


@shared_task(ignore_result=True)
def notify_invoices_issued(invoice_ids: list[int]) -> int:
    from billing.models import Invoice

    sent = 0
    for invoice in Invoice.objects.filter(pk__in=invoice_ids).select_related("account").order_by("pk"):
        sent += send_billing_email(
            template="invoice_issued", invoice=invoice, recipients=account_emails(invoice.account_id)
        )
    return sent


@shared_task(ignore_result=True)
def notify_termination_eligible(account_month_id: int) -> int:
    from billing.models import AccountMonth
    from sla.models import Miss

    month = AccountMonth.objects.select_related("account").filter(pk=account_month_id).first()
    if month is None or not month.termination_eligible:
        return 0
    misses = list(
        Miss.objects.filter(account_id=month.account_id, month=month.month, counted=True)
        .select_related("ticket")
        .order_by("deadline")
    )
    return send_billing_email(
        template="termination_eligible",
        account_month=month,
        misses=misses,
        recipients=account_emails(month.account_id) + billing_admin_emails(),
    )


@shared_task(ignore_result=True)
def notify_termination_decided(request_id: int) -> int:
    from billing.models import TerminationRequest

    request = TerminationRequest.objects.select_related("account").filter(pk=request_id).first()
    if request is None:
        return 0
    return send_billing_email(
        template="termination_decided", request=request, recipients=account_emails(request.account_id)
    )


@shared_task(ignore_result=True)
def close_previous_month() -> dict:
    """Beat, hourly: once the support time zone's month has turned, close the one before it.

    Idempotent and cheap when there is nothing to do, so running every hour (not only at
    midnight on the 1st, which in UTC may still be the last day in the support zone) makes
    a missed beat or a dead worker cost a delay, never a month without invoices. It also
    brings accounts onto terms starting this month and puts any wrong termination flag right.
    """
    from billing.services.invoices import month_close, month_needs_close
    from billing.services.months import current_month, shift_month, termination_sweep
    from billing.services.subscriptions import subscriptions_apply_due

    now = timezone.now()
    month = shift_month(current_month(now), -1)
    applied = subscriptions_apply_due(now=now)
    flags = termination_sweep(month=month, now=now) + termination_sweep(month=current_month(now), now=now)
    result = {"month": month, "issued": 0, "terms_applied": applied, "flags_corrected": flags}
    if month_needs_close(month=month):
        closed = month_close(month=month, now=now)
        result["issued"] = closed.issued
        log.info("closed %s: %s invoices issued", month, closed.issued)
    return result
