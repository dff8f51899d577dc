"""Writes of the contract's configuration: business calendars and support plans.

A ticket keeps the promise it was given (a snapshot of its account's plan version is stored on
it), so nothing here moves an existing deadline. Every change is a new plan version (recorded
whole, with who, when and what changed: sla.terms.services.versions), so a stored promise says
which version of its plan it came from and an account keeps its version until its next term."""

from collections.abc import Mapping
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction

from helpdesk.kit.validation import clean_text
from sla.terms import checks
from sla.terms.models import (
    MAX_PROGRESS_UPDATE_SECONDS,
    MAX_TARGET_SECONDS,
    Calendar,
    Compensation,
    Plan,
    Priority,
    ResponseTarget,
    Severity,
    default_response_penalty,
    default_uptime_terms,
)
from sla.terms.services.common import UNSET, _add, _clean_int, _clean_name, _clean_percent, _is_int
from sla.terms.services.versions import plan_version_current, plan_version_record

MAX_TARGET_KEYS = len(Priority.values) * (1 + len(Severity.values))
MAX_CHAT_SESSION_SECONDS = 24 * 3600
MAX_TERMINATION_THRESHOLD = 1000
MAX_CLAIM_WINDOW_MONTHS = 36


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


MAX_ITEM_TARGET_KEYS = 200


def _clean_item_targets(targets, *, uses_severity: bool, levels, errors: dict) -> dict[str, int]:
    """{"critical:fatal": s, ...}: seconds by an uptime level of the plan and a severity."""
    if not isinstance(targets, Mapping):
        _add(errors, "item_targets", 'Must be an object of seconds by "level:severity".')
        return {}
    if len(targets) > MAX_ITEM_TARGET_KEYS:
        _add(errors, "item_targets", f"At most {MAX_ITEM_TARGET_KEYS} targets.")
        return {}
    if targets and not uses_severity:
        _add(errors, "item_targets", "Item targets are keyed by severity: set uses_severity.")
        return {}
    problems: list[str] = []
    cleaned: dict[str, int] = {}
    for key, seconds in targets.items():
        level, _, severity = str(key).partition(":")
        label = str(key)[:40]
        if level not in levels or severity not in Severity.values:
            problems.append(
                f"{label!r} is not a target key: use level:severity, a level of the plan's uptime "
                f"terms ({', '.join(levels)}) and a severity ({', '.join(Severity.values)})."
            )
        elif not _is_int(seconds) or not 1 <= seconds <= MAX_TARGET_SECONDS:
            problems.append(
                f"{label}: must be a whole number of seconds from 1 to {MAX_TARGET_SECONDS} (366 days)."
            )
        else:
            cleaned[f"{level}:{severity}"] = seconds
    if problems:
        errors.setdefault("item_targets", []).extend(problems)
    return dict(sorted(cleaned.items()))


def check_item_targets(targets, *, uses_severity: bool, uptime_terms) -> dict[str, int]:
    """The item targets in canonical form, or ValidationError naming `item_targets` (the admin's check)."""
    errors: dict[str, list] = {}
    cleaned = _clean_item_targets(
        targets, uses_severity=uses_severity, levels=_levels(uptime_terms), errors=errors
    )
    if errors:
        raise ValidationError(errors)
    return cleaned


def _levels(uptime_terms) -> list[str]:
    return list((uptime_terms or {}).get("levels") or {}) if isinstance(uptime_terms, Mapping) else []


def _clean_calendar_ref(value, *, field: str, errors: dict) -> Calendar | None:
    if value is not None and not isinstance(value, Calendar):
        _add(errors, field, "Must be a calendar or null.")
    return value


def _clean_plan_fields(values: dict, errors: dict) -> dict:
    """Check each plan attribute present in `values`; returns the cleaned values."""
    term_checks = {
        "name": lambda v: _clean_name(v, field="name", max_length=100, errors=errors),
        "description": lambda v: clean_text(
            v, field="description", max_length=4000, errors=errors, required=False
        ),
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
        "progress_update_every": lambda v: _clean_int(
            v,
            field="progress_update_every",
            low=1,
            high=MAX_PROGRESS_UPDATE_SECONDS,
            errors=errors,
            nullable=True,
        ),
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
    description: str = "",
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
    item_targets: Mapping[str, int] | None = None,
    progress_update_every: int | None = None,
    actor=None,
) -> Plan:
    """A plan with its Work Started targets (seconds by priority, or priority:severity, and by
    item level:severity); version 1."""
    errors: dict[str, list] = {}
    fields = _clean_plan_fields(
        {
            "code": code,
            "name": name,
            "description": description,
            "response_calendar": response_calendar,
            "uses_severity": uses_severity,
            "chat_calendar": chat_calendar,
            "chat_session_limit": chat_session_limit,
            "monthly_cap_percent": monthly_cap_percent,
            "termination_threshold": termination_threshold,
            "claim_window_months": claim_window_months,
            "at_risk_percent": at_risk_percent,
            "compensation": compensation,
            "progress_update_every": progress_update_every,
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
    fields["item_targets"] = _clean_item_targets(
        {} if item_targets is None else item_targets,
        uses_severity=uses_severity is True,
        levels=_levels(fields.get("uptime_terms")),
        errors=errors,
    )
    if "code" not in errors and _plan_code_taken(fields["code"]):
        _add(errors, "code", "A plan with this code already exists.")
    if errors:
        raise ValidationError(errors)

    plan = Plan(**fields)
    _save_plan(plan)
    _replace_targets(plan, targets)
    plan_version_record(plan=plan, before=None, actor=actor)
    return plan


@transaction.atomic
def plan_update(
    *,
    plan: Plan,
    code: str = UNSET,
    name: str = UNSET,
    description: str = UNSET,
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
    item_targets: Mapping[str, int] = UNSET,
    progress_update_every: int | None = UNSET,
    actor=None,
) -> Plan:
    """Change what was given: a new version when anything differs; targets given are replaced whole.

    Tickets already open keep the promise stored with them; accounts keep the version their
    term started with.
    """
    locked = Plan.objects.select_for_update().get(pk=plan.pk)
    before = plan_version_current(plan=locked).terms
    changes = {
        field: value
        for field, value in {
            "code": code,
            "name": name,
            "description": description,
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
            "progress_update_every": progress_update_every,
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
    if item_targets is not UNSET or "uptime_terms" in fields or "uses_severity" in fields:
        # Item targets name the plan's uptime levels: a change of either is checked against the other.
        fields["item_targets"] = _clean_item_targets(
            locked.item_targets if item_targets is UNSET else item_targets,
            uses_severity=severity_in_use,
            levels=_levels(fields.get("uptime_terms", locked.uptime_terms)),
            errors=errors,
        )
    if "code" in fields and "code" not in errors and _plan_code_taken(fields["code"], exclude_pk=locked.pk):
        _add(errors, "code", "A plan with this code already exists.")
    if errors:
        raise ValidationError(errors)

    for field, value in fields.items():
        setattr(locked, field, value)
    _save_plan(locked, update_fields=[*fields, "updated_at"])
    if targets is not None:
        _replace_targets(locked, targets)
    plan_version_record(plan=locked, before=before, actor=actor)
    return locked
