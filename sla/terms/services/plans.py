"""Writes of the contract's configuration: business calendars and support plans.

A ticket keeps the promise it was given (`sla.terms.policies.plan_snapshot` is stored on it), so
nothing here moves an existing deadline. Every change bumps `Plan.version`, so a stored
promise says which version of its plan it came from.
"""

import datetime as dt
import functools
import unicodedata
import zoneinfo
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone as django_timezone

from sla import calendars
from sla.terms import checks
from sla.terms.models import (
    MAX_TARGET_SECONDS,
    Calendar,
    Compensation,
    Holiday,
    OpeningHours,
    Plan,
    Priority,
    ResponseTarget,
    Severity,
    default_response_penalty,
    default_uptime_terms,
)

MAX_SHIFTS = 50
MAX_HOLIDAYS = 1000
HOLIDAY_YEARS = range(2000, 2101)
MAX_TARGET_KEYS = len(Priority.values) * (1 + len(Severity.values))
MAX_CHAT_SESSION_SECONDS = 24 * 3600
MAX_TERMINATION_THRESHOLD = 1000
MAX_CLAIM_WINDOW_MONTHS = 36
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class _Unset:
    """Marks a keyword an update was not given (None is a real value for some fields)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _add(errors: dict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _clean_name(value, *, field: str, max_length: int, errors: dict) -> str:
    """A one-line name: present, bounded, no control characters at all."""
    if not isinstance(value, str):
        _add(errors, field, "Must be text.")
        return ""
    value = value.strip()
    if not value:
        _add(errors, field, "This field is required.")
    elif len(value) > max_length:
        _add(errors, field, f"Ensure this field has no more than {max_length} characters.")
    elif any(unicodedata.category(ch) == "Cc" for ch in value):
        _add(errors, field, "Contains control characters.")
    return value


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _clean_int(value, *, field: str, low: int, high: int, errors: dict, nullable: bool = False):
    if value is None and nullable:
        return None
    if not _is_int(value) or not low <= value <= high:
        _add(errors, field, f"Must be a whole number from {low} to {high}.")
    return value


def _clean_percent(value, *, field: str, errors: dict) -> Decimal | None:
    if _is_int(value):
        value = Decimal(value)
    if (
        not isinstance(value, Decimal)
        or not value.is_finite()
        or value.as_tuple().exponent < -2
        or not Decimal(0) <= value <= Decimal(100)
    ):
        _add(errors, field, "Must be a decimal from 0.00 to 100.00 with at most 2 decimal places.")
        return None
    return value.quantize(Decimal("0.01"))


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


def _bump_plans_on(calendar: Calendar) -> None:
    """Plans counting on this calendar changed with it: give them a new version."""
    plan_ids = list(
        Plan.objects.select_for_update()
        .filter(Q(response_calendar=calendar) | Q(chat_calendar=calendar))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    Plan.objects.filter(pk__in=plan_ids).update(version=F("version") + 1, updated_at=django_timezone.now())


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
    _bump_plans_on(locked)
    return locked


# --- plans ------------------------------------------------------------------------------


def _clean_targets(targets, *, uses_severity: bool, errors: dict) -> dict[tuple[str, str], int]:
    """{"general": s, "high": s, "high:fatal": s, ...} as {(priority, severity): seconds}.

    Plain priority keys are always required: they answer for a ticket without a severity.
    """
    if not isinstance(targets, Mapping):
        _add(errors, "response_targets", "Must be an object of seconds by priority.")
        return {}
    if len(targets) > MAX_TARGET_KEYS:
        _add(errors, "response_targets", f"At most {MAX_TARGET_KEYS} targets.")
        return {}
    problems: list[str] = []
    cleaned: dict[tuple[str, str], int] = {}
    for key, seconds in targets.items():
        priority, _, severity = str(key).partition(":")
        label = str(key)[:40]
        if priority not in Priority.values or (":" in str(key) and severity not in Severity.values):
            problems.append(
                f"{label!r} is not a target key: use a priority ({', '.join(Priority.values)}) "
                f"or priority:severity ({', '.join(Severity.values)})."
            )
        elif severity and not uses_severity:
            problems.append(f"{label}: this plan does not use severity (set uses_severity).")
        elif not _is_int(seconds) or not 1 <= seconds <= MAX_TARGET_SECONDS:
            problems.append(
                f"{label}: must be a whole number of seconds from 1 to {MAX_TARGET_SECONDS} (366 days)."
            )
        else:
            cleaned[(priority, severity)] = seconds
    for priority in Priority.values:
        if priority not in targets:
            problems.append(f"A target for {priority!r} is required.")
    if problems:
        errors.setdefault("response_targets", []).extend(problems)
    return cleaned


def _clean_calendar_ref(value, *, field: str, errors: dict) -> Calendar | None:
    if value is not None and not isinstance(value, Calendar):
        _add(errors, field, "Must be a calendar or null.")
    return value


def _clean_plan_fields(values: dict, errors: dict) -> dict:
    """Check each plan attribute present in `values`; returns the cleaned values."""
    term_checks = {
        "name": lambda v: _clean_name(v, field="name", max_length=100, errors=errors),
        "response_calendar": lambda v: _clean_calendar_ref(v, field="response_calendar", errors=errors),
        "chat_calendar": lambda v: _clean_calendar_ref(v, field="chat_calendar", errors=errors),
        "uses_severity": lambda v: (
            v if isinstance(v, bool) else _add(errors, "uses_severity", "Must be true or false.")
        ),
        "chat_session_limit": lambda v: _clean_int(
            v,
            field="chat_session_limit",
            low=1,
            high=MAX_CHAT_SESSION_SECONDS,
            errors=errors,
            nullable=True,
        ),
        "voucher_percent": lambda v: _clean_percent(v, field="voucher_percent", errors=errors),
        "monthly_cap_percent": lambda v: _clean_percent(v, field="monthly_cap_percent", errors=errors),
        "termination_threshold": lambda v: _clean_int(
            v,
            field="termination_threshold",
            low=0,
            high=MAX_TERMINATION_THRESHOLD,
            errors=errors,
            nullable=True,
        ),
        "claim_window_months": lambda v: _clean_int(
            v, field="claim_window_months", low=0, high=MAX_CLAIM_WINDOW_MONTHS, errors=errors, nullable=True
        ),
        "compensation": lambda v: (
            v
            if v in Compensation.values
            else _add(errors, "compensation", f"Choose one of: {', '.join(Compensation.values)}.")
        ),
        "response_penalty": lambda v: _clean_term("response_penalty", v, errors),
        "uptime_terms": lambda v: _clean_term("uptime_terms", v, errors),
        "at_risk_percent": lambda v: _clean_int(v, field="at_risk_percent", low=1, high=100, errors=errors),
    }
    cleaned = {}
    for field, value in values.items():
        if field == "code":
            cleaned["code"] = _clean_code(value, errors)
        else:
            cleaned[field] = term_checks[field](value)
    _agree_voucher_percent(cleaned, errors)
    return cleaned


def _clean_term(term: str, value, errors: dict) -> dict | None:
    try:
        return checks.check(term, value)
    except ValueError as exc:
        _add(errors, term, str(exc))
        return None


def _agree_voucher_percent(cleaned: dict, errors: dict) -> None:
    """`voucher_percent` is the per-miss percent of `response_penalty`: either sets the other.

    A per-miss penalty writes its percent to `voucher_percent`; a `voucher_percent` given alone
    makes the penalty per miss at that percent; both given must agree.
    """
    penalty, percent = cleaned.get("response_penalty"), cleaned.get("voucher_percent")
    if penalty is None and "response_penalty" in cleaned:
        return
    if penalty is None:
        if percent is not None:
            cleaned["response_penalty"] = {"basis": "per_miss", "percent": str(percent)}
        return
    if penalty["basis"] != "per_miss":
        return
    if "voucher_percent" in cleaned and percent is not None and percent != Decimal(penalty["percent"]):
        _add(errors, "voucher_percent", "Must equal response_penalty's percent (or leave it out).")
    cleaned["voucher_percent"] = Decimal(penalty["percent"])


def _clean_code(value, errors: dict) -> str:
    if not isinstance(value, str) or not value or len(value) > 40:
        _add(errors, "code", "Must be 1 to 40 letters, digits, hyphens or underscores.")
        return ""
    try:
        validate_slug(value)
    except ValidationError:
        _add(errors, "code", "Must be 1 to 40 letters, digits, hyphens or underscores.")
    return value


def _plan_code_taken(code: str, *, exclude_pk: int | None = None) -> bool:
    return Plan.objects.filter(code__iexact=code).exclude(pk=exclude_pk).exists()


def _save_plan(plan: Plan, **save_kwargs) -> None:
    try:
        with transaction.atomic():
            plan.save(**save_kwargs)
    except IntegrityError as exc:
        raise ValidationError({"code": ["A plan with this code already exists."]}) from exc


def _replace_targets(plan: Plan, targets: dict[tuple[str, str], int]) -> None:
    plan.response_targets.all().delete()
    ResponseTarget.objects.bulk_create(
        ResponseTarget(plan=plan, priority=priority, severity=severity, seconds=seconds)
        for (priority, severity), seconds in sorted(targets.items())
    )


@transaction.atomic
def plan_create(
    *,
    code: str,
    name: str,
    response_targets: Mapping[str, int],
    response_calendar: Calendar | None = None,
    uses_severity: bool = False,
    chat_calendar: Calendar | None = None,
    chat_session_limit: int | None = None,
    voucher_percent: Decimal | None = None,
    monthly_cap_percent: Decimal = Decimal("100.00"),
    termination_threshold: int | None = 5,
    claim_window_months: int | None = 1,
    at_risk_percent: int = 80,
    compensation: str = Compensation.CLAIM,
    response_penalty: dict | None = None,
    uptime_terms: dict | None = None,
) -> Plan:
    """A plan with its Work Started targets (seconds by priority, or priority:severity)."""
    errors: dict[str, list] = {}
    fields = _clean_plan_fields(
        {
            "code": code,
            "name": name,
            "response_calendar": response_calendar,
            "uses_severity": uses_severity,
            "chat_calendar": chat_calendar,
            "chat_session_limit": chat_session_limit,
            "monthly_cap_percent": monthly_cap_percent,
            "termination_threshold": termination_threshold,
            "claim_window_months": claim_window_months,
            "at_risk_percent": at_risk_percent,
            "compensation": compensation,
            "uptime_terms": default_uptime_terms() if uptime_terms is None else uptime_terms,
            **({} if voucher_percent is None else {"voucher_percent": voucher_percent}),
            **(
                {}
                if response_penalty is None and voucher_percent is not None
                else {
                    "response_penalty": default_response_penalty()
                    if response_penalty is None
                    else response_penalty
                }
            ),
        },
        errors,
    )
    targets = _clean_targets(response_targets, uses_severity=uses_severity is True, errors=errors)
    if "code" not in errors and _plan_code_taken(fields["code"]):
        _add(errors, "code", "A plan with this code already exists.")
    if errors:
        raise ValidationError(errors)

    plan = Plan(**fields)
    _save_plan(plan)
    _replace_targets(plan, targets)
    return plan


@transaction.atomic
def plan_update(
    *,
    plan: Plan,
    code: str = UNSET,
    name: str = UNSET,
    response_targets: Mapping[str, int] = UNSET,
    response_calendar: Calendar | None = UNSET,
    uses_severity: bool = UNSET,
    chat_calendar: Calendar | None = UNSET,
    chat_session_limit: int | None = UNSET,
    voucher_percent: Decimal = UNSET,
    monthly_cap_percent: Decimal = UNSET,
    termination_threshold: int | None = UNSET,
    claim_window_months: int | None = UNSET,
    at_risk_percent: int = UNSET,
    compensation: str = UNSET,
    response_penalty: dict = UNSET,
    uptime_terms: dict = UNSET,
) -> Plan:
    """Change what was given and bump the version; targets given are replaced as a whole.

    Tickets already open keep the promise stored with them.
    """
    locked = Plan.objects.select_for_update().get(pk=plan.pk)
    changes = {
        field: value
        for field, value in {
            "code": code,
            "name": name,
            "response_calendar": response_calendar,
            "uses_severity": uses_severity,
            "chat_calendar": chat_calendar,
            "chat_session_limit": chat_session_limit,
            "voucher_percent": voucher_percent,
            "monthly_cap_percent": monthly_cap_percent,
            "termination_threshold": termination_threshold,
            "claim_window_months": claim_window_months,
            "at_risk_percent": at_risk_percent,
            "compensation": compensation,
            "response_penalty": response_penalty,
            "uptime_terms": uptime_terms,
        }.items()
        if value is not UNSET
    }
    errors: dict[str, list] = {}
    fields = _clean_plan_fields(changes, errors)
    severity_in_use = fields.get("uses_severity", locked.uses_severity) is True
    targets = None
    if response_targets is not UNSET:
        targets = _clean_targets(response_targets, uses_severity=severity_in_use, errors=errors)
    elif not severity_in_use and locked.response_targets.exclude(severity="").exists():
        _add(errors, "uses_severity", "Remove the priority:severity targets first.")
    if "code" in fields and "code" not in errors and _plan_code_taken(fields["code"], exclude_pk=locked.pk):
        _add(errors, "code", "A plan with this code already exists.")
    if errors:
        raise ValidationError(errors)

    for field, value in fields.items():
        setattr(locked, field, value)
    locked.version += 1
    _save_plan(locked, update_fields=[*fields, "version", "updated_at"])
    if targets is not None:
        _replace_targets(locked, targets)
    return locked
