"""The plans of the contracts in shared/seeds, as data: seed 000's three plans and seed 004's policy."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from sla.terms.models import (
    EXCLUSION_KINDS,
    Calendar,
    Compensation,
    OpeningHours,
    Plan,
    Priority,
    ResponseEvent,
    ResponseTarget,
    Severity,
    default_uptime_terms,
)

H = 3600
M = 60
WEEKDAYS = range(0, 5)
EVERY_DAY = range(0, 7)

CHAT_CALENDARS = {
    "Chat: weekdays 08:00–18:00": (WEEKDAYS, dt.time(8), dt.time(18)),
    "Chat: every day 08:00–22:00": (EVERY_DAY, dt.time(8), dt.time(22)),
}

# Seed 000's money terms: the customer applies through the portal, with no deadline; 5% of the
# month's fee per failed request, capped at the fee; termination after more than five a month.
CLAIM_TERMS = {
    "compensation": Compensation.CLAIM,
    "response_penalty": {"basis": "per_miss", "percent": "5.00"},
    "voucher_percent": Decimal("5.00"),
    "monthly_cap_percent": Decimal("100.00"),
    "claim_window_months": None,
    "termination_threshold": 5,
    "uptime_terms": {**default_uptime_terms(), "excluded_kinds": list(EXCLUSION_KINDS)},
}

# Seed 004's covered items have a priority level (its table is missing from the text).
ITEM_LEVELS = ("critical", "high", "standard")
DEFAULT_ITEM_LEVEL = "high"
# "uptime levels of 99.9%": the contract gives one figure, so every level guarantees it.
CONTRACT_UPTIME_PERCENT = "99.90"

# Seed 004's: penalties "will be applied" when the month closes, on a sliding scale of started
# working hours late (our figures: the contract publishes none), capped at 50% of the fee; uptime
# credits on their own 50% cap, counting toward termination; only agreed maintenance windows
# come off measured uptime. Disputes of unrecorded failures stay open for a month after.
AUTOMATIC_TERMS = {
    "compensation": Compensation.AUTOMATIC,
    "response_penalty": {
        "basis": "hours_late",
        "tiers": [
            {"up_to_hours": 4, "percent_per_hour": "2.50"},
            {"up_to_hours": None, "percent_per_hour": "5.00"},
        ],
    },
    "monthly_cap_percent": Decimal("50.00"),
    "claim_window_months": 1,
    "termination_threshold": 5,
    "uptime_terms": {
        **default_uptime_terms(),
        "levels": dict.fromkeys(ITEM_LEVELS, CONTRACT_UPTIME_PERCENT),
        "default_level": DEFAULT_ITEM_LEVEL,
        "excluded_kinds": ["scheduled_maintenance"],
    },
}

# Seed 000: response clocks run 24x7x365; chat hours and session limits per plan.
PLANS = [
    {
        "code": "standard",
        "name": "Standard",
        "targets": {Priority.GENERAL: 12 * H, Priority.HIGH: 3 * H},
        "chat_calendar": "Chat: weekdays 08:00–18:00",
        "chat_session_limit": 20 * M,
    },
    {
        "code": "advanced",
        "name": "Advanced",
        "targets": {Priority.GENERAL: 6 * H, Priority.HIGH: 30 * M},
        "chat_calendar": "Chat: weekdays 08:00–18:00",
        "chat_session_limit": 30 * M,
    },
    {
        "code": "premium",
        "name": "Premium",
        "targets": {Priority.GENERAL: 2 * H, Priority.HIGH: 10 * M},
        "chat_calendar": "Chat: every day 08:00–22:00",
        "chat_session_limit": None,
    },
]


# Public holidays: set the calendar's holidays_country (and holidays_subdiv) to the codes of the
# holidays package for the client's jurisdiction (API /api/v1/calendars/{id}/ or the admin);
# the seed leaves them empty because the contract names no country.
BUSINESS_CALENDAR = "Business hours: weekdays 09:00–17:00"
S = Severity
# Seed 004: working hours only, targets by the affected item's priority level and the issue's
# severity, penalties capped at 50% of the monthly fee. The contract's target and credit tables
# are missing from its text: the figures below are Pledge's defaults, editable, and the plan's
# description says so. No target passes one working day ("respond to support requests within
# 24 hours"). Plain priority keys serve tickets that name no severity.
ITEM_TARGETS = {
    "critical": {S.FATAL: 1 * H, S.SEVERE: 1 * H, S.MEDIUM: 2 * H, S.MINOR: 4 * H},
    "high": {S.FATAL: 1 * H, S.SEVERE: 2 * H, S.MEDIUM: 4 * H, S.MINOR: 8 * H},
    "standard": {S.FATAL: 2 * H, S.SEVERE: 4 * H, S.MEDIUM: 8 * H, S.MINOR: 8 * H},
}
BUSINESS_POLICY = {
    "code": "business",
    "name": "Business hours (severity)",
    "targets": {
        (Priority.HIGH, ""): 1 * H,
        (Priority.GENERAL, ""): 8 * H,
    },
    "item_targets": {
        f"{level}:{severity}": seconds
        for level, by_severity in ITEM_TARGETS.items()
        for severity, seconds in by_severity.items()
    },
}


# Seed 004 promises "frequent progress reports" while a problem is being resolved, with no number:
# ours is one public update every working day (8 working hours on the business calendar).
PROGRESS_UPDATE_EVERY = 8 * H


def _hours(seconds: int) -> str:
    return f"{seconds // H} h" if seconds % H == 0 else f"{seconds // M} min"


def _percent_tiers(tiers) -> str:
    parts = []
    for tier in tiers:
        upto = f"up to {tier['up_to_hours']} h" if tier["up_to_hours"] is not None else "beyond"
        parts.append(f"{tier['percent_per_hour']}% per started hour {upto}")
    return "; ".join(parts)


def business_description() -> str:
    """Seed 004's plan description: the contract's own figures, then every default still to agree."""
    targets = "; ".join(
        f"{level}: " + ", ".join(f"{severity} {_hours(seconds)}" for severity, seconds in by_severity.items())
        for level, by_severity in ITEM_TARGETS.items()
    )
    plain = BUSINESS_POLICY["targets"]
    uptime = AUTOMATIC_TERMS["uptime_terms"]
    return "\n".join(
        [
            "Seed 004 (the Werner Host SLA): response clocks count working hours only; the host has "
            "responded when it has replied to the client; penalties are applied at month end, capped "
            "at 50% of the monthly fee for response times and 50% for uptime; uptime 99.9%; more than "
            "five failures in a calendar month allow termination without penalty.",
            "The contract's target and credit tables are missing from its text. These figures are "
            "DEFAULTS TO AGREE WITH THE CLIENT:",
            f"- Working hours: {BUSINESS_CALENDAR.split(': ', 1)[1]} (calendar {BUSINESS_CALENDAR!r}; "
            "set its public-holiday country there).",
            f"- Item priority levels: {', '.join(ITEM_LEVELS)}; each guarantees the contract's "
            f"{CONTRACT_UPTIME_PERCENT.rstrip('0')}% uptime.",
            f"- Response targets by item level and severity (working time): {targets}.",
            f"- A ticket naming no covered item is counted at the {DEFAULT_ITEM_LEVEL!r} level; one "
            f"without a severity gets {_hours(plain[(Priority.HIGH, '')])} (High) or "
            f"{_hours(plain[(Priority.GENERAL, '')])} (General).",
            "- Response penalty: " + _percent_tiers(AUTOMATIC_TERMS["response_penalty"]["tiers"]) + ".",
            "- Uptime credit: " + _percent_tiers(uptime["credit_tiers"]) + ".",
            f"- Progress reports: a public update is due every {PROGRESS_UPDATE_EVERY // H} working hours "
            'once work has started, until the ticket is resolved; the contract says only "frequent", '
            "so this is a default to agree with the client.",
            f"- Disputes of failures Pledge did not record: within {AUTOMATIC_TERMS['claim_window_months']} "
            "month after the month of the failure.",
        ]
    )


def _calendar(name: str, days, start: dt.time, end: dt.time) -> Calendar:
    calendar, created = Calendar.objects.get_or_create(
        name=name, defaults={"timezone": settings.SUPPORT_TIME_ZONE}
    )
    if created:
        OpeningHours.objects.bulk_create(
            OpeningHours(calendar=calendar, weekday=day, start=start, end=end) for day in days
        )
    return calendar


@transaction.atomic
def seed_plans() -> list[tuple[str, bool]]:
    """Create the seeded calendars and plans that are missing; existing ones are left alone."""
    calendars = {name: _calendar(name, *spec) for name, spec in CHAT_CALENDARS.items()}
    results = []
    for spec in PLANS:
        plan, created = Plan.objects.get_or_create(
            code=spec["code"],
            defaults={
                "name": spec["name"],
                "response_calendar": None,
                "chat_calendar": calendars[spec["chat_calendar"]],
                "chat_session_limit": spec["chat_session_limit"],
                **CLAIM_TERMS,
            },
        )
        if created:
            ResponseTarget.objects.bulk_create(
                ResponseTarget(plan=plan, priority=priority, seconds=seconds)
                for priority, seconds in spec["targets"].items()
            )
        results.append((plan.code, created))
    business_hours = _calendar(BUSINESS_CALENDAR, WEEKDAYS, dt.time(9), dt.time(17))
    plan, created = Plan.objects.get_or_create(
        code=BUSINESS_POLICY["code"],
        defaults={
            "name": BUSINESS_POLICY["name"],
            "description": business_description(),
            "response_calendar": business_hours,
            "uses_severity": True,
            "item_targets": BUSINESS_POLICY["item_targets"],
            **AUTOMATIC_TERMS,
            # Seed 004: the host has responded only once it has replied to the client.
            "response_event": ResponseEvent.FIRST_REPLY,
            "progress_update_every": PROGRESS_UPDATE_EVERY,
        },
    )
    if created:
        ResponseTarget.objects.bulk_create(
            ResponseTarget(plan=plan, priority=priority, severity=severity, seconds=seconds)
            for (priority, severity), seconds in BUSINESS_POLICY["targets"].items()
        )
    results.append((plan.code, created))
    return results
