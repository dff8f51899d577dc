"""Uptime timers: the probe round every minute, the month's assessment every hour.

The round runs on the general queue, never the timers queue: it may take seconds (its checks
wait on the network), and the miss sweep must not wait behind it. Tasks take ids and re-read.
"""

import logging

from celery import shared_task

from sla.uptime.services.assessment import assess_recent_months as assess
from sla.uptime.services.probing import probe_round as run_round

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def probe_round() -> dict:
    summary = run_round()
    if summary.failed or summary.opened or summary.closed or summary.not_checked:
        log.info("uptime probe round: %s", summary)
    return {
        "checked": summary.checked,
        "failed": summary.failed,
        "opened": summary.opened,
        "closed": summary.closed,
        "not_checked": summary.not_checked,
        "seconds": round(summary.seconds, 3),
    }


@shared_task(ignore_result=True)
def assess_recent_months() -> list:
    return [summary.month for summary in assess()]
