"""Live chat's timer: the sweep ends sessions at their limit, warns before it, and ends unanswered requests.

Beat sends it every second to the timers queue. The database holds every deadline, so a
late or lost sweep only delays the next one's work, and sweeps may overlap safely.
"""

import logging

from celery import shared_task

from helpdesk.chat.services.sweep import chats_sweep_due

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def chat_sweep() -> dict:
    done = chats_sweep_due()
    if any(done.values()):
        log.info("chat sweep: %s", done)
    return done
