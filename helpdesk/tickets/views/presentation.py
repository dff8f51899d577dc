"""How tickets read on a page: SLA state labels, countdown text, history labels. No rules, no queries."""

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

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
    "assigned": "Assigned",
    "reassigned": "Reassigned",
    "unassigned": "Unassigned",
    "opened_by_staff": "Opened by support for the customer",
    "tags_changed": "Tags changed",
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
        ticket.ticking = ticket.work_started_at is None
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


# --- the queue's rows, built in Python (issue 14) ------------------------------------------
# A queue page is rendered on every poll and page turn; Django's template engine spends about
# a millisecond a row on these cells, plain string building a tenth of that. Every value is
# escaped by format_html.


def _utc(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local(instant: dt.datetime, fmt: str = "%-d %b, %H:%M") -> str:
    return timezone.localtime(instant).strftime(fmt)


def _countdown_html(ticket) -> str:
    if not ticket.ticking:
        return format_html(
            '<span class="countdown countdown--stopped">started {}</span>', _local(ticket.work_started_at)
        )
    windows = format_html(' data-windows="{}"', ticket.countdown_windows) if ticket.countdown_windows else ""
    return format_html(
        '<span class="countdown" role="timer" data-countdown data-deadline="{}" '
        'data-at-risk="{}"{}>{}</span>',
        _utc(ticket.work_started_deadline),
        _utc(ticket.at_risk_at),
        windows,
        ticket.countdown,
    )


def _actions_html(ticket, user_id: int) -> str:
    parts = []
    if ticket.assignee_id != user_id:
        parts.append(
            format_html(
                '<button type="submit" form="row-action" formaction="/tickets/{}/assign/" name="assignee" '
                'value="me" class="btn btn--ghost btn--sm" data-take>Take<span class="visually-hidden"> #{}'
                "</span></button>",
                ticket.pk,
                ticket.pk,
            )
        )
    if ticket.status == "new":
        parts.append(
            format_html(
                '<button type="submit" form="row-action" formaction="/tickets/{}/start-work/" '
                'class="btn btn--primary btn--sm">Start work'
                '<span class="visually-hidden"> on #{}</span></button>',
                ticket.pk,
                ticket.pk,
            )
        )
    elif ticket.status in ("work_started", "waiting_on_customer"):
        parts.append(
            format_html(
                '<button type="submit" form="row-action" formaction="/tickets/{}/transition/" name="status" '
                'value="resolved" class="btn btn--secondary btn--sm">Resolve'
                '<span class="visually-hidden"> #{}</span></button>',
                ticket.pk,
                ticket.pk,
            )
        )
    parts.append(
        format_html(
            '<a class="btn btn--secondary btn--sm" href="/tickets/{}/#reply">Reply'
            '<span class="visually-hidden"> to #{}</span></a>',
            ticket.pk,
            ticket.pk,
        )
    )
    if ticket.priority == "high" and ticket.is_open:
        parts.append(
            format_html(
                '<button type="button" class="btn btn--ghost btn--sm" data-dialog-open="downgrade-dialog" '
                'data-action="/tickets/{}/downgrade/" data-ticket="#{} {}">Downgrade'
                '<span class="visually-hidden"> #{}</span></button>',
                ticket.pk,
                ticket.pk,
                ticket.subject,
                ticket.pk,
            )
        )
    return mark_safe("".join(parts))  # noqa: S308 - every part went through format_html


def queue_rows_html(tickets, *, user_id: int) -> str:
    """The queue's <tr> rows for tickets prepared by with_sla (and, when searching, highlighted)."""
    rows = []
    for t in tickets:
        subject = getattr(t, "subject_html", None) or t.subject
        if getattr(t, "snippet_html", None):
            sub = format_html('<span class="cell-sub search-snippet">{}</span>', t.snippet_html)
        elif t.affected_service:
            sub = format_html('<span class="cell-sub">{}</span>', t.affected_service)
        else:
            sub = ""
        assignee = (
            t.assignee.display_name if t.assignee_id else mark_safe('<span class="muted">Unassigned</span>')
        )
        high = mark_safe('<span aria-hidden="true">▲ </span>') if t.priority == "high" else ""
        rows.append(
            format_html(
                '<tr class="row row--{sla}" data-sla-scope data-ticket="{pk}">'
                '<td data-label="Ticket" class="cell-ticket"><input type="checkbox" class="row-select" '
                'name="ticket" value="{pk}" form="bulk-form" aria-label="Select #{pk}"> '
                '<a class="ticket-link" href="/tickets/{pk}/"><span class="ticket-id">#{pk}</span> '
                "{subject}</a>"
                "{sub}</td>"
                '<td data-label="Account">{account}</td><td data-label="Plan">{plan}</td>'
                '<td data-label="Priority"><span class="badge badge--priority-{priority}">'
                "{high}{priority_label}</span></td>"
                '<td data-label="Status"><span class="badge badge--status-{status}">'
                "{status_label}</span></td>"
                '<td data-label="Assignee" class="cell-assignee">{assignee}</td>'
                '<td data-label="Deadline"><span class="deadline">{deadline}</span> '
                '<span class="cell-sub">{countdown}</span></td>'
                '<td data-label="SLA"><span class="badge badge--sla sla--{sla}" data-sla-badge{live}>'
                "{sla_label}</span></td>"
                '<td class="cell-actions"><div class="row-actions">{actions}</div></td></tr>',
                sla=t.sla,
                pk=t.pk,
                subject=subject,
                sub=sub,
                account=t.account.name,
                plan=t.plan.name,
                priority=t.priority,
                high=high,
                priority_label=t.get_priority_display(),
                status=t.status,
                status_label=t.get_status_display(),
                assignee=assignee,
                deadline=_local(t.work_started_deadline),
                countdown=_countdown_html(t),
                live=mark_safe(' aria-live="polite"') if t.ticking else "",
                sla_label=t.sla_label,
                actions=_actions_html(t, user_id),
            )
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every row went through format_html


def select_html(field) -> str:
    """A bound ChoiceField as label + <select>, without the widget template machinery."""
    current = str(field.value() or "")
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, mark_safe(" selected") if str(value) == current else "", label)
            for value, label in field.field.choices
        ),
    )
    return format_html(
        '<select name="{}" id="{}"{}>{}</select>',
        field.html_name,
        field.auto_id,
        mark_safe(' aria-invalid="true"') if field.errors else "",
        options,
    )
