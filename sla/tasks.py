"""Timers of the contract. The database says what is due; these tasks only make it happen on time.

`sweep` runs every second from beat, on a queue of its own so that no backlog of emails
delays it, and records whatever is overdue: late beats, dead workers and lost messages
all end in the next sweep. No per-ticket ETA task is ever sent: Redis would redeliver a
long one after its visibility timeout, and workers would hold every one of them in memory.
"""
import logging

from celery import shared_task

log = logging.getLogger(__name__)


def send_safely(task, *args, **options) -> bool:
    """Enqueue without letting a broker outage fail the caller: the sweep catches up later."""
    try:
        task.apply_async(args=args, **options)
        return True
    except Exception:  # noqa: BLE001 - any broker failure; the database still holds the truth
        log.warning("could not enqueue %s%r; the sweep will catch up", task.name, args, exc_info=True)
        return False


@shared_task(ignore_result=True)
def sweep() -> dict:
    from sla.services.misses import at_risk_flag_due, misses_record_due

    recorded = misses_record_due()
    flagged = at_risk_flag_due()
    if recorded or flagged:
        log.info("sweep recorded %s misses, flagged %s at risk", recorded, len(flagged))
    return {"recorded": recorded, "at_risk": len(flagged)}


@shared_task(ignore_result=True)
def notify_missed(miss_ids: list[int]) -> int:
    from sla.notifications import send_missed

    return sum(send_missed(miss_id) for miss_id in miss_ids)


@shared_task(ignore_result=True)
def notify_at_risk(ticket_ids: list[int]) -> int:
    from sla.notifications import send_at_risk

    return send_at_risk(ticket_ids)

from sla import uptime_tasks  # noqa: E402,F401  (registers the uptime tasks with Celery)
