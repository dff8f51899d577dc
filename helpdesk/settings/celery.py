"""Celery: the broker, the queues and every periodic task.

Redis when REDIS_URL is set, otherwise kombu's filesystem transport under the data directory.
The SLA and chat sweeps run every second on a queue of their own (`<queue>-timers`), served by
a worker of its own, so no backlog of e-mails can make a miss late.
"""

from celery.schedules import crontab

from helpdesk.settings.env import DATA_DIR, REDIS_URL, env

__all__ = [
    "CELERY_BROKER_DIR",
    "CELERY_BROKER_URL",
    "CELERY_BROKER_TRANSPORT_OPTIONS",
    "CELERY_BROKER_TRANSPORT",
    "CELERY_TASK_IGNORE_RESULT",
    "CELERY_TASK_DEFAULT_QUEUE",
    "CELERY_TASK_ACKS_LATE",
    "CELERY_TASK_REJECT_ON_WORKER_LOST",
    "CELERY_WORKER_PREFETCH_MULTIPLIER",
    "CELERY_TIMEZONE",
    "CELERY_BEAT_SCHEDULE_FILENAME",
    "CELERY_BEAT_SCHEDULE",
    "CELERY_BROKER_CONNECTION_TIMEOUT",
    "CELERY_TASK_PUBLISH_RETRY_POLICY",
    "CELERY_TIMERS_QUEUE",
    "CELERY_TASK_ROUTES",
    "SLA_SWEEP_SECONDS",
    "TICKET_AUTO_CLOSE_SWEEP_SECONDS",
    "SLA_SWEEP_MAX_AGE_SECONDS",
    "CHAT_SWEEP_SECONDS",
    "UPTIME_PROBE_SECONDS",
]

CELERY_BROKER_DIR = DATA_DIR / "celery-broker"
CELERY_BROKER_TRANSPORT = None
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    # Creates its folders when it starts (helpdesk.kit.broker).
    CELERY_BROKER_TRANSPORT = "helpdesk.kit.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "in"),
        "data_folder_out": str(CELERY_BROKER_DIR / "in"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
        # The transport sleeps this long when its folder is empty; a second would delay every sweep.
        "polling_interval": 0.1,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="pledge")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}

SLA_SWEEP_SECONDS = env.float("SLA_SWEEP_SECONDS", default=1.0)
# /healthz fails when the miss sweep has not run for this long (timers worker or beat down).
SLA_SWEEP_MAX_AGE_SECONDS = env.float("SLA_SWEEP_MAX_AGE_SECONDS", default=60.0)
CHAT_SWEEP_SECONDS = env.float("CHAT_SWEEP_SECONDS", default=SLA_SWEEP_SECONDS)
UPTIME_PROBE_SECONDS = env.float("UPTIME_PROBE_SECONDS", default=60.0)
# How often beat sends the auto-close sweep: a Resolved ticket closes at most this late.
TICKET_AUTO_CLOSE_SWEEP_SECONDS = env.float("TICKET_AUTO_CLOSE_SWEEP_SECONDS", default=900.0)

CELERY_TIMERS_QUEUE = f"{CELERY_TASK_DEFAULT_QUEUE}-timers"
CELERY_TASK_ROUTES = {
    "sla.clocks.tasks.sweep": {"queue": CELERY_TIMERS_QUEUE},
    "helpdesk.chat.tasks.chat_sweep": {"queue": CELERY_TIMERS_QUEUE},
}


def _every(seconds: float, task: str, *, expires: float) -> dict:
    # A sweep or round nobody ran in time is useless: the next one does its work.
    return {"task": task, "schedule": seconds, "options": {"expires": expires}}


CELERY_BEAT_SCHEDULE = {
    "sla-sweep": _every(SLA_SWEEP_SECONDS, "sla.clocks.tasks.sweep", expires=max(5.0, SLA_SWEEP_SECONDS * 5)),
    "chat-sweep": _every(
        CHAT_SWEEP_SECONDS, "helpdesk.chat.tasks.chat_sweep", expires=max(5.0, CHAT_SWEEP_SECONDS * 5)
    ),
    "uptime-probe": _every(
        UPTIME_PROBE_SECONDS, "sla.uptime.tasks.probe_round", expires=max(5.0, UPTIME_PROBE_SECONDS * 0.9)
    ),
    "uptime-assess": {"task": "sla.uptime.tasks.assess_recent_months", "schedule": crontab(minute=20)},
    # Hourly, because the 1st in UTC may still be the last day of the month in the support zone;
    # an idle run costs a query.
    "billing-close-month": {"task": "billing.tasks.close_previous_month", "schedule": crontab(minute=5)},
    # SQLite's planner statistics (helpdesk.kit.planner); nothing to do on PostgreSQL.
    "planner-statistics": {
        "task": "helpdesk.tasks.refresh_planner_statistics",
        "schedule": crontab(hour=3, minute=40),
    },
    "tickets-auto-close": _every(
        TICKET_AUTO_CLOSE_SWEEP_SECONDS,
        "helpdesk.tickets.tasks.auto_close_resolved",
        expires=max(5.0, TICKET_AUTO_CLOSE_SWEEP_SECONDS * 0.9),
    ),
}
if env.str("IMAP_HOST", default=""):
    _poll = env.float("IMAP_POLL_SECONDS", default=60.0)
    CELERY_BEAT_SCHEDULE["mailbox-poll"] = _every(_poll, "helpdesk.mailbox.tasks.poll_mailbox", expires=_poll)
