"""Uptime timers: the probe round every minute, the month's assessment every hour, maintenance emails.

The round runs on the general queue, never the timers queue: it may take seconds (its checks
wait on the network), and the miss sweep must not wait behind it. Tasks take ids and re-read.
"""
import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def probe_round() -> dict:
    from sla.services.uptime import probe_round as run_round

    summary = run_round()
    if summary.failed or summary.opened or summary.closed or summary.not_checked:
        log.info("uptime probe round: %s", summary)
    return {
        "checked": summary.checked, "failed": summary.failed, "opened": summary.opened,
        "closed": summary.closed, "not_checked": summary.not_checked, "seconds": round(summary.seconds, 3),
    }


@shared_task(ignore_result=True)
def assess_recent_months() -> list:
    from sla.services.uptime import assess_recent_months as assess

    return [summary.month for summary in assess()]


@shared_task(ignore_result=True)
def notify_maintenance(window_id: int, change: str) -> int:
    """Tell the account's people about a maintenance window: agreed, recorded (emergency) or cancelled."""
    from helpdesk.models import User
    from sla.models import MaintenanceWindow

    window = MaintenanceWindow.objects.select_related("account", "item").filter(pk=window_id).first()
    if window is None:
        return 0
    recipients = list(
        User.objects.filter(account_id=window.account_id, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not recipients:
        return 0
    context = {"window": window, "change": change, "site_url": settings.SITE_URL}
    body = render_to_string("sla/uptime_maintenance_email.txt", context)
    subject, _, body = body.partition("\n\n")
    return send_mail(subject.strip(), body.lstrip(), settings.DEFAULT_FROM_EMAIL, recipients)
