"""Calendar months in the support time zone: the unit of compensation and termination."""

import datetime as dt
import re
import zoneinfo

from django.conf import settings
from django.utils import timezone


def support_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.SUPPORT_TIME_ZONE)


def month_of(instant: dt.datetime) -> str:
    """'YYYY-MM' of an aware instant, in the support time zone."""
    return instant.astimezone(support_zone()).strftime("%Y-%m")


MONTH_RE = re.compile(r"^(20\d\d|2100)-(0[1-9]|1[0-2])$")
FIRST_YEAR, LAST_YEAR = 2000, 2100


def parse_month(text) -> tuple[int, int]:
    """(year, month) of a 'YYYY-MM' string in the years Pledge bills; ValueError otherwise."""
    match = MONTH_RE.match(text) if isinstance(text, str) else None
    if not match or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        raise ValueError(f"Give a month as YYYY-MM between {FIRST_YEAR} and {LAST_YEAR}.")
    return int(match.group(1)), int(match.group(2))


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """The [start, end) instants of a 'YYYY-MM' month in the support time zone."""
    year, number = parse_month(month)
    zone = support_zone()
    start = dt.datetime(year, number, 1, tzinfo=zone)
    end = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)
    return start, end


def is_month(value: str) -> bool:
    """A 'YYYY-MM' this product can hold: years 2000 to 2100."""
    return bool(MONTH_RE.match(value or ""))


def support_today() -> dt.date:
    """Today's date in the support time zone (a model field's default: no arguments)."""
    return timezone.now().astimezone(support_zone()).date()
