"""What uptime's services share: limits, input checks, the probe's allowed networks."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone

from helpdesk.kit.months import month_bounds, month_of
from sla.uptime import probes

log = logging.getLogger(__name__)

EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LONGEST_DOWNTIME = dt.timedelta(days=366)
LONGEST_WINDOW = dt.timedelta(days=31)
FURTHEST_AHEAD = dt.timedelta(days=366)
NAME_MAX = 120
TEXT_MAX = 2000
LOCK_BATCH = 500
UNSET = _UNSET = object()


def allowed_networks() -> probes.Networks:
    return probes.parse_networks(settings.UPTIME_PROBE_ALLOWED_NETWORKS)


def _add(errors: dict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _aware(value, field: str, errors: dict, *, required: bool = True) -> dt.datetime | None:
    if value is None and not required:
        return None
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        _add(errors, field, "Give a date and time with its time zone.")
        return None
    return value


def _months_between(start: dt.datetime, end: dt.datetime) -> list[str]:
    """The support-zone months [start, end) touches, in order."""
    months, cursor = [], month_of(start)
    last = month_of(end - dt.timedelta(microseconds=1)) if end > start else cursor
    while True:
        months.append(cursor)
        if cursor >= last or len(months) > 14:
            return months
        cursor = month_of(month_bounds(cursor)[1])
