"""Calendar months in the support time zone: the unit of compensation and termination."""
import datetime as dt
import zoneinfo

from django.conf import settings


def support_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.SUPPORT_TIME_ZONE)


def month_of(instant: dt.datetime) -> str:
    """'YYYY-MM' of an aware instant, in the support time zone."""
    return instant.astimezone(support_zone()).strftime("%Y-%m")


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """The [start, end) instants of a 'YYYY-MM' month in the support time zone."""
    year, number = (int(part) for part in month.split("-"))
    zone = support_zone()
    start = dt.datetime(year, number, 1, tzinfo=zone)
    end = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)
    return start, end
