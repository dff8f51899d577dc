"""Sending Celery tasks without letting a broker outage fail the caller."""

import logging

from django.db import transaction

log = logging.getLogger(__name__)


def send_safely(task, *args, **options) -> bool:
    """Enqueue without letting a broker outage fail the caller: the sweep catches up later."""
    try:
        task.apply_async(args=args, **options)
        return True
    except Exception:  # noqa: BLE001 - any broker failure; the database still holds the truth
        log.warning("could not enqueue %s%r; the sweep will catch up", task.name, args, exc_info=True)
        return False


def enqueue_after_commit(task, *args, **options) -> None:
    """Send `task` once the current transaction commits: never for work that rolled back, and a
    broker outage is logged, not raised (the database still holds the truth)."""
    transaction.on_commit(lambda: send_safely(task, *args, **options))
