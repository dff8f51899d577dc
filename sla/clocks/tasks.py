"""Timers of the contract. The database says what is due; these tasks only make it happen on time.

`sweep` runs every second from beat, on a queue of its own so that no backlog of emails
delays it, and records whatever is overdue: late beats, dead workers and lost messages
all end in the next sweep. No per-ticket ETA task is ever sent: Redis would redeliver a
long one after its visibility timeout, and workers would hold every one of them in memory."""

import logging

from celery import shared_task

from sla.clocks.services.heartbeat import sweep_heartbeat_record
from sla.clocks.services.lapses import lapses_record_due
from sla.clocks.services.misses import at_risk_flag_due, misses_record_due

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def sweep() -> dict:
    recorded = misses_record_due()
    flagged = at_risk_flag_due()
    lapsed = lapses_record_due()
    sweep_heartbeat_record()
    if recorded or flagged or lapsed:
        log.info(
            "sweep recorded %s misses and %s update lapses, flagged %s at risk",
            recorded,
            lapsed,
            len(flagged),
        )
    return {"recorded": recorded, "at_risk": len(flagged), "update_lapses": lapsed}
