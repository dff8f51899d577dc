"""Calendars: opening hours, holidays (by hand or by country) and time zone; plans on one see a change."""

import datetime as dt
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from sla import calendars
from sla.terms.models import (
    Calendar,
    Holiday,
    OpeningHours,
    Plan,
)
from sla.terms.services.common import UNSET, _add, _clean_name, _is_int, _time_zones
from sla.terms.services.versions import plan_version_record, plan_versions_before_edit

MAX_SHIFTS = 50
MAX_HOLIDAYS = 1000
HOLIDAY_YEARS = range(2000, 2101)
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --- calendars --------------------------------------------------------------------------


def _clean_timezone(value, errors: dict) -> str:
    if not isinstance(value, str) or value not in _time_zones():
        _add(errors, "timezone", "Unknown time zone: use an IANA name such as Europe/Berlin.")
        return ""
    return value


def _clean_hours(hours, errors: dict) -> list[tuple[int, dt.time, dt.time]]:
    """Weekly shifts as (weekday, start, end); a start may appear once per weekday."""
    hours = list(hours)
    if len(hours) > MAX_SHIFTS:
        _add(errors, "hours", f"At most {MAX_SHIFTS} shifts.")
        return []
    problems: list[str] = []
    shifts: list[tuple[int, dt.time, dt.time]] = []
    seen: set[tuple[int, dt.time]] = set()
    for number, shift in enumerate(hours, start=1):
        if not isinstance(shift, Mapping):
            problems.append(f"Shift {number}: must be an object with weekday, start and end.")
            continue
        weekday, start, end = shift.get("weekday"), shift.get("start"), shift.get("end")
        if not _is_int(weekday) or not 0 <= weekday <= 6:
            problems.append(f"Shift {number}: weekday must be 0 (Monday) to 6 (Sunday).")
            continue
        if not all(
            isinstance(t, dt.time) and t.tzinfo is None and t.second == t.microsecond == 0
            for t in (start, end)
        ):
            problems.append(f"Shift {number}: start and end must be times of day as HH:MM.")
            continue
        if (weekday, start) in seen:
            problems.append(
                f"Shift {number}: {WEEKDAY_NAMES[weekday]} already has a shift starting at {start:%H:%M}."
            )
            continue
        seen.add((weekday, start))
        shifts.append((weekday, start, end))
    if problems:
        errors.setdefault("hours", []).extend(problems)
    return shifts


def _clean_holidays(holidays, errors: dict) -> list[dt.date]:
    holidays = list(holidays)
    if len(holidays) > MAX_HOLIDAYS:
        _add(errors, "holidays", f"At most {MAX_HOLIDAYS} holidays.")
        return []
    problems: list[str] = []
    days: list[dt.date] = []
    for day in holidays:
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            problems.append("Holidays must be dates as YYYY-MM-DD.")
        elif day.year not in HOLIDAY_YEARS:
            problems.append(
                f"{day.isoformat()} is outside the years {HOLIDAY_YEARS.start}–{HOLIDAY_YEARS.stop - 1}."
            )
        elif day in days:
            problems.append(f"{day.isoformat()} is listed twice.")
        else:
            days.append(day)
    if problems:
        errors.setdefault("holidays", []).extend(problems)
    return days


def _clean_holiday_codes(country, subdiv, errors: dict) -> tuple[str, str]:
    """The holidays package's codes, spelt as it spells them; a subdivision needs its country."""
    country = country if isinstance(country, str) else None
    subdiv = subdiv if isinstance(subdiv, str) else None
    if country is None:
        _add(errors, "holidays_country", "Give a country code as text, or an empty string for none.")
    if subdiv is None:
        _add(errors, "holidays_subdiv", "Give a subdivision code as text, or an empty string for none.")
    if country is None or subdiv is None:
        return "", ""
    country, subdiv = country.strip(), subdiv.strip()
    if subdiv and not country:
        _add(errors, "holidays_subdiv", "A subdivision needs its country (holidays_country).")
        return "", ""
    if not country:
        return "", ""
    try:
        calendars.check_holiday_codes(country, None)
    except ValueError:
        _add(
            errors,
            "holidays_country",
            f"Unknown country code {country[:10]!r}: use the holidays package's codes.",
        )
        return "", ""
    if subdiv:
        try:
            calendars.check_holiday_codes(country, subdiv)
        except ValueError:
            _add(errors, "holidays_subdiv", f"Unknown subdivision {subdiv[:10]!r} of {country}.")
    return country, subdiv


def _check_working_calendar(tz: str, shifts, days, errors: dict) -> None:
    """Let the calendar arithmetic itself confirm it can use what was given."""
    try:
        calendars.WorkingCalendar(
            timezone=tz,
            hours=tuple(calendars.OpeningHours(weekday=w, start=s, end=e) for w, s, e in shifts),
            holidays=frozenset(days),
        )
    except (TypeError, ValueError) as exc:
        _add(errors, "hours", str(exc))


def _calendar_name_taken(name: str, *, exclude_pk: int | None = None) -> bool:
    return Calendar.objects.filter(name__iexact=name).exclude(pk=exclude_pk).exists()


def _save_calendar(calendar: Calendar, **save_kwargs) -> None:
    try:
        with transaction.atomic():
            calendar.save(**save_kwargs)
    except IntegrityError as exc:
        raise ValidationError({"name": ["A calendar with this name already exists."]}) from exc


def _plans_on(calendar: Calendar) -> list[Plan]:
    """The plans counting on this calendar, locked in id order: they change with it."""
    return list(
        Plan.objects.select_for_update()
        .filter(Q(response_calendar=calendar) | Q(chat_calendar=calendar))
        .order_by("pk")
    )


def _version_plans(plans: list[Plan], before: dict[int, dict], actor) -> None:
    """A new version of each plan whose terms the calendar edit changed."""
    for plan in plans:
        plan_version_record(plan=plan, before=before[plan.pk], actor=actor)


@transaction.atomic
def calendar_create(
    *,
    name: str,
    timezone: str = "UTC",
    hours: Iterable[Mapping] = (),
    holidays: Iterable[dt.date] = (),
    holidays_country: str = "",
    holidays_subdiv: str = "",
) -> Calendar:
    """A business calendar; no hours at all means 24x7. Public holidays of a country join its dates."""
    errors: dict[str, list] = {}
    name = _clean_name(name, field="name", max_length=100, errors=errors)
    tz = _clean_timezone(timezone, errors)
    shifts = _clean_hours(hours, errors)
    days = _clean_holidays(holidays, errors)
    country, subdiv = _clean_holiday_codes(holidays_country, holidays_subdiv, errors)
    if "name" not in errors and _calendar_name_taken(name):
        _add(errors, "name", "A calendar with this name already exists.")
    if not errors:
        _check_working_calendar(tz, shifts, days, errors)
    if errors:
        raise ValidationError(errors)

    calendar = Calendar(name=name, timezone=tz, holidays_country=country, holidays_subdiv=subdiv)
    _save_calendar(calendar)
    OpeningHours.objects.bulk_create(
        OpeningHours(calendar=calendar, weekday=w, start=s, end=e) for w, s, e in shifts
    )
    Holiday.objects.bulk_create(Holiday(calendar=calendar, date=day) for day in days)
    return calendar


@transaction.atomic
def calendar_update(
    *,
    calendar: Calendar,
    name: str = UNSET,
    timezone: str = UNSET,
    hours: Iterable[Mapping] = UNSET,
    holidays: Iterable[dt.date] = UNSET,
    holidays_country: str = UNSET,
    holidays_subdiv: str = UNSET,
    actor=None,
) -> Calendar:
    """Change what was given; hours and holidays are replaced as a whole.

    A holiday kept across the update keeps its name (the API does not carry names).
    """
    locked = Calendar.objects.select_for_update().get(pk=calendar.pk)
    errors: dict[str, list] = {}
    if name is not UNSET:
        name = _clean_name(name, field="name", max_length=100, errors=errors)
        if "name" not in errors and _calendar_name_taken(name, exclude_pk=locked.pk):
            _add(errors, "name", "A calendar with this name already exists.")
    if timezone is not UNSET:
        timezone = _clean_timezone(timezone, errors)
    shifts = _clean_hours(hours, errors) if hours is not UNSET else None
    days = _clean_holidays(holidays, errors) if holidays is not UNSET else None
    codes = None
    if holidays_country is not UNSET or holidays_subdiv is not UNSET:
        codes = _clean_holiday_codes(
            locked.holidays_country if holidays_country is UNSET else holidays_country,
            locked.holidays_subdiv if holidays_subdiv is UNSET else holidays_subdiv,
            errors,
        )
    if not errors:
        _check_working_calendar(
            locked.timezone if timezone is UNSET else timezone,
            shifts if shifts is not None else [(h.weekday, h.start, h.end) for h in locked.hours.all()],
            days if days is not None else [h.date for h in locked.holidays.all()],
            errors,
        )
    if errors:
        raise ValidationError(errors)

    plans = _plans_on(locked)
    before = plan_versions_before_edit(plans)
    fields = ["updated_at"]
    if name is not UNSET:
        locked.name = name
        fields.append("name")
    if timezone is not UNSET:
        locked.timezone = timezone
        fields.append("timezone")
    if codes is not None:
        locked.holidays_country, locked.holidays_subdiv = codes
        fields += ["holidays_country", "holidays_subdiv"]
    _save_calendar(locked, update_fields=fields)
    if shifts is not None:
        locked.hours.all().delete()
        OpeningHours.objects.bulk_create(
            OpeningHours(calendar=locked, weekday=w, start=s, end=e) for w, s, e in shifts
        )
    if days is not None:
        locked.holidays.exclude(date__in=days).delete()
        kept = set(locked.holidays.values_list("date", flat=True))
        Holiday.objects.bulk_create(Holiday(calendar=locked, date=day) for day in days if day not in kept)
    _version_plans(plans, before, actor)
    return locked
