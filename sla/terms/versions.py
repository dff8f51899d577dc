"""A plan's terms as one snapshot (what a plan version keeps), the change list between two, and the
promise snapshot a ticket stores, made from a version rather than from the plan's latest state."""

import datetime as dt
import json
from decimal import Decimal

from sla import calendars
from sla.terms.models import SNAPSHOT_YEARS, Calendar, Plan

# The terms, in the order the change list shows them.
TERM_FIELDS = (
    "code",
    "name",
    "response_calendar",
    "uses_severity",
    "targets",
    "item_targets",
    "at_risk_percent",
    "response_event",
    "chat_calendar",
    "chat_session_limit",
    "compensation",
    "response_penalty",
    "voucher_percent",
    "monthly_cap_percent",
    "termination_threshold",
    "claim_window_months",
    "uptime_terms",
    "progress_update_every",
)


def calendar_terms(calendar: Calendar | None) -> dict | None:
    """A calendar as a version keeps it: its own dates, and the country whose holidays join them.

    Public holidays are resolved when a ticket is opened (`promise_snapshot`), for the years its
    clock can reach, so a term that runs for years still knows the holidays of its last year.
    """
    if calendar is None:
        return None
    return {
        "id": calendar.pk,
        "name": calendar.name,
        "timezone": calendar.timezone,
        "hours": [
            {"weekday": h.weekday, "start": h.start.strftime("%H:%M"), "end": h.end.strftime("%H:%M")}
            for h in calendar.hours.all()
        ],
        "holidays": sorted(h.date.isoformat() for h in calendar.holidays.all()),
        "holidays_country": calendar.holidays_country,
        "holidays_subdiv": calendar.holidays_subdiv,
    }


def plan_terms(plan: Plan) -> dict:
    """Every term of the plan as it stands, JSON-safe (decimals as strings)."""
    return {
        "code": plan.code,
        "name": plan.name,
        "response_calendar": calendar_terms(plan.response_calendar),
        "uses_severity": plan.uses_severity,
        "targets": {
            (f"{t.priority}:{t.severity}" if t.severity else t.priority): t.seconds
            for t in plan.response_targets.all()
        },
        "item_targets": dict(plan.item_targets or {}),
        "at_risk_percent": plan.at_risk_percent,
        "response_event": plan.response_event,
        "chat_calendar": calendar_terms(plan.chat_calendar),
        "chat_session_limit": plan.chat_session_limit,
        "compensation": plan.compensation,
        "response_penalty": plan.response_penalty,
        "voucher_percent": str(Decimal(plan.voucher_percent).quantize(Decimal("0.01"))),
        "monthly_cap_percent": str(Decimal(plan.monthly_cap_percent).quantize(Decimal("0.01"))),
        "termination_threshold": plan.termination_threshold,
        "claim_window_months": plan.claim_window_months,
        "uptime_terms": plan.uptime_terms,
        "progress_update_every": plan.progress_update_every,
    }


def terms_changes(before: dict | None, after: dict) -> list[dict]:
    """[{field, before, after}] for each term that differs (everything, against no version at all)."""
    before = before or {}
    return [
        {"field": field, "before": before.get(field), "after": after.get(field)}
        for field in TERM_FIELDS
        if before.get(field) != after.get(field)
    ]


def promise_snapshot(*, terms: dict, plan_code: str, version: int, today: dt.date) -> dict:
    """What a ticket stores of its plan version to keep its promise (sla.terms.policies reads it).

    The calendar carries the public holidays of its country as dates for the years a clock
    started `today` reaches, joined to the version's own dates.
    """
    calendar = terms.get("response_calendar")
    snapshot_calendar = None
    if calendar is not None:
        public = set()
        if calendar.get("holidays_country"):
            public = calendars.public_holidays(
                calendar["holidays_country"],
                calendar.get("holidays_subdiv") or None,
                range(today.year, today.year + SNAPSHOT_YEARS + 1),
            )
        snapshot_calendar = {
            "name": calendar["name"],
            "timezone": calendar["timezone"],
            "hours": calendar["hours"],
            "holidays": sorted(set(calendar["holidays"]) | {d.isoformat() for d in public}),
            "holidays_country": calendar.get("holidays_country", ""),
            "holidays_subdiv": calendar.get("holidays_subdiv", ""),
        }
    return {
        "plan": plan_code,
        "plan_version": version,
        "uses_severity": terms["uses_severity"],
        "at_risk_percent": terms["at_risk_percent"],
        "response_event": terms["response_event"],
        "progress_update_every": terms.get("progress_update_every"),
        "targets": terms["targets"],
        "calendar": snapshot_calendar,
        "item_targets": dict(terms.get("item_targets") or {}),
        "default_level": (terms.get("uptime_terms") or {}).get("default_level", ""),
    }


def _shown(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, dict) and "name" in value and "timezone" in value:
        return value["name"]
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else str(value)


def changes_text(changes: list[dict], *, limit: int = 300) -> str:
    """The change list in one line for people ("name: Gold → Platinum; …"), each value cut to `limit`."""

    def cut(text: str) -> str:
        return text if len(text) <= limit else text[: limit - 1] + "…"

    return "; ".join(f"{c['field']}: {cut(_shown(c['before']))} → {cut(_shown(c['after']))}" for c in changes)
