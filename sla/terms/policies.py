"""The promise a plan makes a ticket: target, calendar, deadline and at-risk instant."""

import datetime as dt
import functools
import json
from dataclasses import dataclass

from sla import calendars
from sla.terms.models import Plan, working_calendar_from_snapshot


class NoTargetError(ValueError):
    """The plan has no Work Started target for this priority/severity."""


@dataclass(frozen=True)
class Promise:
    target_seconds: int
    deadline: dt.datetime
    at_risk_at: dt.datetime
    snapshot: dict


def plan_snapshot(plan: Plan, *, today: dt.date | None = None) -> dict:
    """Everything about the plan a ticket needs to keep its promise after the plan changes.

    The calendar carries its public holidays as dates for the years a clock started `today` reaches.
    """
    calendar = plan.response_calendar
    return {
        "plan": plan.code,
        "plan_version": plan.version,
        "uses_severity": plan.uses_severity,
        "at_risk_percent": plan.at_risk_percent,
        "response_event": plan.response_event,
        "progress_update_every": plan.progress_update_every,
        "targets": {
            (f"{t.priority}:{t.severity}" if t.severity else t.priority): t.seconds
            for t in plan.response_targets.all()
        },
        "calendar": calendar.snapshot(today=today) if calendar else None,
        "item_targets": dict(plan.item_targets or {}),
        "default_level": (plan.uptime_terms or {}).get("default_level", ""),
    }


def with_item_level(snapshot: dict, level: str) -> dict:
    """The promise of a ticket that names a covered item: the item's level at creation is kept."""
    return {**snapshot, "item_level": level}


def target_seconds(snapshot: dict, *, priority: str, severity: str = "") -> int:
    """The target of a stored promise, most specific first.

    On a plan that uses severity: the item level (the ticket's item's, or the plan's default level)
    by severity from `item_targets`, then priority by severity; then the plain priority.
    """
    targets = snapshot["targets"]
    if snapshot.get("uses_severity") and severity:
        level = snapshot.get("item_level") or snapshot.get("default_level") or ""
        by_item = snapshot.get("item_targets") or {}
        if f"{level}:{severity}" in by_item:
            return by_item[f"{level}:{severity}"]
        if f"{priority}:{severity}" in targets:
            return targets[f"{priority}:{severity}"]
    if priority in targets:
        return targets[priority]
    raise NoTargetError(f"The plan {snapshot['plan']} promises nothing for priority {priority!r}.")


@functools.lru_cache(maxsize=256)
def _calendar_for(key: str) -> calendars.WorkingCalendar | None:
    return working_calendar_from_snapshot(json.loads(key))


def calendar_of(snapshot: dict) -> calendars.WorkingCalendar | None:
    """The pure calendar of a stored promise (None: 24x7), built once per distinct calendar."""
    stored = snapshot.get("calendar")
    if not stored or not stored.get("hours"):
        return None
    return _calendar_for(json.dumps(stored, sort_keys=True))


def deadline_after(snapshot: dict, *, start: dt.datetime, seconds: int) -> dt.datetime:
    """`start` plus `seconds` of time on the snapshot's calendar (24x7 when it has none)."""
    calendar = calendar_of(snapshot)
    if calendar is None:
        # Real elapsed time: add in UTC, never in a zone whose wall clock may jump.
        return start.astimezone(dt.UTC) + dt.timedelta(seconds=seconds)
    return calendars.add_working_time(calendar, start, dt.timedelta(seconds=seconds))


def promise_for(snapshot: dict, *, priority: str, severity: str = "", start: dt.datetime) -> Promise:
    """The deadline counted from `start` for this priority under a stored plan snapshot."""
    seconds = target_seconds(snapshot, priority=priority, severity=severity)
    at_risk_seconds = max(1, seconds * snapshot.get("at_risk_percent", 80) // 100)
    return Promise(
        target_seconds=seconds,
        deadline=deadline_after(snapshot, start=start, seconds=seconds),
        at_risk_at=deadline_after(snapshot, start=start, seconds=at_risk_seconds),
        snapshot=snapshot,
    )


def next_update_due(snapshot: dict, *, since: dt.datetime) -> dt.datetime | None:
    """When the next public progress update falls due, counted from `since` (the last update, the
    start of work, a reopening, or the last lapse) on the snapshot's calendar; None: not promised.
    """
    every = snapshot.get("progress_update_every")
    if not every:
        return None
    return deadline_after(snapshot, start=since, seconds=every)
