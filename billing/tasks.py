"""Billing's timer: closing the previous month into invoices, hourly (Celery beat)."""

import logging

from celery import shared_task
from django.utils import timezone

from billing.services.invoices import month_close, month_needs_close
from billing.services.months import current_month, shift_month, termination_sweep
from billing.services.subscriptions import subscriptions_apply_due

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def close_previous_month() -> dict:
    """Beat, hourly: once the support time zone's month has turned, close the one before it.

    Idempotent and cheap when there is nothing to do, so running every hour (not only at
    midnight on the 1st, which in UTC may still be the last day in the support zone) makes
    a missed beat or a dead worker cost a delay, never a month without invoices. It also
    brings accounts onto terms starting this month and puts any wrong termination flag right.
    """

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
