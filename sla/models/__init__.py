"""The contract's models: calendars, plans, targets, misses, exclusions (core); uptime beside them."""
from sla.models.core import (
    MAX_TARGET_SECONDS,
    Calendar,
    ExclusionKind,
    ExclusionPeriod,
    Holiday,
    Miss,
    OpeningHours,
    Plan,
    Priority,
    ResponseTarget,
    Severity,
    working_calendar_from_snapshot,
)

__all__ = [
    "Calendar",
    "ExclusionKind",
    "ExclusionPeriod",
    "Holiday",
    "MAX_TARGET_SECONDS",
    "Miss",
    "OpeningHours",
    "Plan",
    "Priority",
    "ResponseTarget",
    "Severity",
    "working_calendar_from_snapshot",
]
