"""Periodic ticket work: Resolved tickets close by themselves after TICKET_AUTO_CLOSE_DAYS
(or TICKET_AUTO_CLOSE_AFTER seconds, when set)."""

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from helpdesk.tickets.models import Ticket
from helpdesk.tickets.services.tickets import ticket_auto_close

BATCH = 500


def auto_close_after() -> dt.timedelta:
    """How long a Resolved ticket waits for a reply: the precise seconds if set, else the days."""
    seconds = settings.TICKET_AUTO_CLOSE_AFTER
    if seconds is None:
        return dt.timedelta(days=settings.TICKET_AUTO_CLOSE_DAYS)
    return dt.timedelta(seconds=seconds)


@shared_task(ignore_result=True)
def auto_close_resolved() -> int:
    """Close tickets Resolved longer than the setting ago; a late or repeated run closes nothing twice."""
    now = timezone.now()
    after = auto_close_after()
    ids = list(
        Ticket.objects.resolved_before(now - after).order_by("pk").values_list("pk", flat=True)[:BATCH]
    )
    return sum(ticket_auto_close(ticket_id=pk, after=after, now=now) for pk in ids)
