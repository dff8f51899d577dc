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
    "uptime_terms": {**default_uptime_terms(), "excluded_kinds": ["scheduled_maintenance"]},
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
# Seed 004: working hours only, targets by the affected item's priority and the issue's
# severity, penalties capped at 50% of the monthly fee. The contract's own figures were not
# published with it; these are ours, and editable. Plain priority keys serve tickets
# that name no severity ("respond to support requests within 24 hours": one working day).
BUSINESS_POLICY = {
    "code": "business",
    "name": "Business hours (severity)",
    "targets": {
        (Priority.HIGH, ""): 1 * H,
        (Priority.GENERAL, ""): 8 * H,
        (Priority.HIGH, S.FATAL): 1 * H,
        (Priority.HIGH, S.SEVERE): 2 * H,
        (Priority.HIGH, S.MEDIUM): 4 * H,
        (Priority.HIGH, S.MINOR): 8 * H,
        (Priority.GENERAL, S.FATAL): 2 * H,
        (Priority.GENERAL, S.SEVERE): 4 * H,
        (Priority.GENERAL, S.MEDIUM): 8 * H,
        (Priority.GENERAL, S.MINOR): 16 * H,
    },
}


# Seed 004 promises "frequent progress reports" while a problem is being resolved, with no number:
# ours is one public update every working day (8 working hours on the business calendar).
PROGRESS_UPDATE_EVERY = 8 * H

# The business policy's description: one sentence per number the contract leaves out.
BUSINESS_DESCRIPTION = [
    "Progress reports: a public update is due every 8 working hours once work has started, until "
    'the ticket is resolved; the contract says only "frequent", so this is a default to agree '
    "with the client.",
]


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
            "response_calendar": business_hours,
            "uses_severity": True,
            **AUTOMATIC_TERMS,
            # Seed 004: the host has responded only once it has replied to the client.
            "response_event": ResponseEvent.FIRST_REPLY,
            "progress_update_every": PROGRESS_UPDATE_EVERY,
            "description": " ".join(BUSINESS_DESCRIPTION),
        },
    )
    if created:
        ResponseTarget.objects.bulk_create(
            ResponseTarget(plan=plan, priority=priority, severity=severity, seconds=seconds)
            for (priority, severity), seconds in BUSINESS_POLICY["targets"].items()
        )
    results.append((plan.code, created))
    return results
