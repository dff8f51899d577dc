"""How tickets read on a page: SLA state labels, countdown text, history labels. No rules, no queries."""

import datetime as dt

from django.utils.dateparse import parse_datetime

from helpdesk.kit.pages import duration_text
from sla.calendars import working_intervals
from sla.terms.policies import calendar_of

SLA_LABELS = {"running": "Running", "at_risk": "At risk", "met": "Met", "missed": "Missed"}

EVENT_LABELS = {
    "created": "Ticket opened",
    "work_started": "Work started",
    "message_added": "Replied",
    "note_added": "Added an internal note",
    "downgraded": "Downgraded from High to General",
    "upgraded": "Upgraded from General to High",
    "resolved": "Marked resolved",
    "waiting_on_customer": "Waiting on customer",
    "reopened": "Reopened",
    "closed": "Closed",
    "customer_replied": "Customer replied; work resumed",
    "resumed": "Work resumed",
    "missed": "Work Started deadline missed",
}


def countdown_text(deadline: dt.datetime, now: dt.datetime) -> str:
    remaining = (deadline - now).total_seconds()
    if remaining >= 0:
        return f"in {duration_text(remaining)}"
    overdue = -remaining
    # Overdue times are coarse: "overdue by 3m", not a ticking second hand.
    if overdue >= 60:
        overdue -= overdue % 60
    return f"overdue by {duration_text(overdue).removesuffix(' 0s')}"


def target_text(seconds: int) -> str:
    """A plan target in words: 30 minutes, 6 hours, 1 day 2 hours."""
    parts = []
    days, rest = divmod(int(seconds), 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    for value, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")):
        if value:
            parts.append(f"{value} {unit}{'' if value == 1 else 's'}")
    return " ".join(parts) or f"{seconds} seconds"


MAX_WINDOWS = 60


def working_windows(ticket, now: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]] | None:
    """The working intervals left before the deadline, for a clock on a business calendar.

    None for 24x7 clocks, whose countdown is plain wall-clock time.
    """
    calendar = calendar_of(ticket.promise or {})
    if calendar is None or now >= ticket.work_started_deadline:
        return None
    windows = []
    for window in working_intervals(calendar, now, ticket.work_started_deadline):
        windows.append(window)
        if len(windows) == MAX_WINDOWS:
            break
    return windows


def working_countdown_text(windows, now: dt.datetime) -> str:
    remaining = sum((end - max(start, now)).total_seconds() for start, end in windows if end > now)
    paused = not any(start <= now < end for start, end in windows)
    return f"in {duration_text(remaining)} of working time" + (" (paused)" if paused else "")


def _epoch_ms(instant: dt.datetime) -> int:
    return int(instant.timestamp() * 1000)


def with_sla(tickets, now: dt.datetime) -> list:
    """Tickets with what the page shows about their clock: sla, sla_label, countdown, ticking.

    On a business calendar the countdown counts working time only (it pauses after hours);
    `countdown_windows` hands the same intervals to pledge.js as epoch-millisecond pairs.
    """
    rows = list(tickets)
    for ticket in rows:
        ticket.sla = ticket.sla_state(now)
        ticket.sla_label = SLA_LABELS[ticket.sla]
        ticket.ticking = ticket.responded_at is None
        windows = working_windows(ticket, now) if ticket.ticking else None
        if windows is None:
            ticket.countdown = countdown_text(ticket.work_started_deadline, now)
            ticket.countdown_windows = ""
        else:
            ticket.countdown = working_countdown_text(windows, now)
            ticket.countdown_windows = ",".join(
                f"{_epoch_ms(start)}-{_epoch_ms(end)}" for start, end in windows
            )
    return rows


def with_labels(events) -> list:
    """History rows with a human label and the details worth showing beside it."""
    rows = list(events)
    for event in rows:
        data = event.data or {}
        event.label = EVENT_LABELS.get(event.code, event.code.replace("_", " ").capitalize())
        event.reason = data.get("reason", "")
        event.new_deadline = (
            parse_datetime(data["deadline"])
            if (event.code in {"created", "downgraded", "upgraded"} and data.get("deadline"))
            else None
        )
    return rows
