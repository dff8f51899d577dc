"""Periodic ticket work: Resolved tickets close by themselves after TICKET_AUTO_CLOSE_DAYS."""

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from helpdesk.tickets.models import Ticket
from helpdesk.tickets.services.tickets import ticket_auto_close

BATCH = 500


@shared_task(ignore_result=True)
def auto_close_resolved() -> int:
    """Close tickets Resolved longer than the setting ago; a late or repeated run closes nothing twice."""
    now = timezone.now()
    days = settings.TICKET_AUTO_CLOSE_DAYS
    ids = list(
        Ticket.objects.resolved_before(now - dt.timedelta(days=days))
        .order_by("pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    return sum(ticket_auto_close(ticket_id=pk, days=days, now=now) for pk in ids)
