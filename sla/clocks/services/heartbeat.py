"""The sweep's heartbeat: one row, moved forward by every sweep (never backward)."""

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from sla.clocks.models import SweepHeartbeat


def sweep_heartbeat_record(*, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    moved = SweepHeartbeat.objects.filter(Q(at__lt=now), pk=1).update(at=now)
    if not moved:
        SweepHeartbeat.objects.get_or_create(pk=1, defaults={"at": now})
