"""How tickets read on a page: SLA state labels, countdown text, history labels. No rules, no queries."""

import datetime as dt
import functools
import html

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.safestring import SafeData, SafeString, mark_safe

from helpdesk.accounts.models import User
from helpdesk.kit.pages import duration_text
from helpdesk.tickets.models import TicketStatus
from sla.calendars import working_intervals
from sla.terms.models import Priority, Severity
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
    "update_lapsed": "Progress update lapsed",
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


def working_windows(
    ticket, now: dt.datetime, *, deadline: dt.datetime | None = None
) -> list[tuple[dt.datetime, dt.datetime]] | None:
    """The working intervals left before the deadline (the Work Started one unless `deadline` is
    given), for a clock on a business calendar.

    None for 24x7 clocks, whose countdown is plain wall-clock time.
    """
    calendar = calendar_of(ticket.promise or {})
    deadline = deadline or ticket.work_started_deadline
    if calendar is None or now >= deadline:
        return None
    windows = []
    for window in working_intervals(calendar, now, deadline):
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


def _windows_attr(windows) -> str:
    return ",".join(f"{_epoch_ms(start)}-{_epoch_ms(end)}" for start, end in windows)


def _with_update_due(ticket, now: dt.datetime) -> None:
    """The progress-update clock (seed 004): `update_countdown` and `update_windows`, or empty."""
    ticket.update_countdown, ticket.update_windows = "", ""
    if ticket.next_update_due is None:
        return
    windows = working_windows(ticket, now, deadline=ticket.next_update_due)
    if windows is None:
        ticket.update_countdown = countdown_text(ticket.next_update_due, now)
    else:
        ticket.update_countdown = working_countdown_text(windows, now)
        ticket.update_windows = _windows_attr(windows)


def with_sla(tickets, now: dt.datetime) -> list:
    """Tickets with what the page shows about their clock: sla, sla_label, countdown, ticking, and
    the progress update due (update_countdown).

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
            ticket.countdown_windows = _windows_attr(windows)
        _with_update_due(ticket, now)
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
# A queue page is rendered on every page turn; Django's template engine (and format_html, with
# its lazy-string wrappers) spends most of the page's time on these cells, plain f-strings a
# tenth of it. Every value goes through _e (the standard library's escape), except strings
# already marked safe (search highlights, escaped when they were built).


def _e(value) -> str:
    return value if isinstance(value, SafeData) else html.escape(str(value))


# A page shows two or three instants per row: written with f-strings, what strftime("%Y-%m-%dT
# %H:%M:%SZ") and strftime("%-d %b, %H:%M") write (English month and day names, as Django's own
# templates show them), at a quarter of its cost (tests/tickets/test_presentation_times.py).
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _utc(instant: dt.datetime) -> str:
    """The instant in UTC to the second, ISO 8601 with "Z" (for pledge.js)."""
    d = instant.astimezone(dt.UTC)
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}Z"


def _local(instant: dt.datetime, *, weekday: bool = False) -> str:
    """The instant in the viewer's time zone: "6 Dec, 09:05", or "Sun 6 Dec, 09:05"."""
    d = timezone.localtime(instant)
    text = f"{d.day} {MONTHS[d.month - 1]}, {d.hour:02d}:{d.minute:02d}"
    return f"{WEEKDAYS[d.weekday()]} {text}" if weekday else text


def _status_badge(value: str, label: str) -> str:
    return f'<span class="badge badge--status-{_e(value)}">{_e(label)}</span>'


def _priority_badge(value: str, label: str) -> str:
    high = '<span aria-hidden="true">▲ </span>' if value == "high" else ""
    return f'<span class="badge badge--priority-{_e(value)}">{high}{_e(label)}</span>'


# Badges are the same for every row of a status (or priority): written once, looked up per row.
STATUS_BADGES = {value: _status_badge(value, label) for value, label in TicketStatus.choices}
PRIORITY_BADGES = {value: _priority_badge(value, label) for value, label in Priority.choices}


def _badges(t) -> tuple[str, str]:
    status = STATUS_BADGES.get(t.status) or _status_badge(t.status, t.get_status_display())
    priority = PRIORITY_BADGES.get(t.priority) or _priority_badge(t.priority, t.get_priority_display())
    return status, priority


def _countdown_html(t) -> str:
    if not t.ticking:
        return f'<span class="countdown countdown--stopped">started {_local(t.work_started_at)}</span>'
    windows = f' data-windows="{_e(t.countdown_windows)}"' if t.countdown_windows else ""
    return (
        '<span class="countdown" role="timer" data-countdown '
        f'data-deadline="{_utc(t.work_started_deadline)}" '
        f'data-at-risk="{_utc(t.at_risk_at)}"{windows}>{_e(t.countdown)}</span>'
    )


def update_due_html(t) -> SafeString:
    """ "update due in 3h" with a live countdown (its own state: it never recolours the SLA badge)."""
    if t.next_update_due is None:
        return mark_safe("")
    windows = f' data-windows="{_e(t.update_windows)}"' if t.update_windows else ""
    due = _utc(t.next_update_due)
    return mark_safe(  # noqa: S308 - escaped by _e
        '<span class="update-due">update due <span class="countdown" role="timer" data-countdown '
        f'data-update-due data-deadline="{due}" data-at-risk="{due}"{windows}>'
        f"{_e(t.update_countdown)}</span></span>"
    )


def _button(pk: int, path: str, label: str, style: str, extra: str = "", hidden: str = "") -> str:
    return (
        f'<button type="submit" form="row-action" formaction="/tickets/{pk}/{path}/"{extra} '
        f'class="btn btn--{style} btn--sm">{label}'
        f'<span class="visually-hidden"> {hidden}#{pk}</span></button>'
    )


def _actions_html(t, user_id: int) -> str:
    pk, parts = t.pk, []
    if t.assignee_id != user_id:
        parts.append(_button(pk, "assign", "Take", "ghost", ' name="assignee" value="me" data-take'))
    if t.status == "new":
        parts.append(_button(pk, "start-work", "Start work", "primary", hidden="on "))
    elif t.status in ("work_started", "waiting_on_customer"):
        parts.append(_button(pk, "transition", "Resolve", "secondary", ' name="status" value="resolved"'))
    parts.append(
        f'<a class="btn btn--secondary btn--sm" href="/tickets/{pk}/#reply">Reply'
        f'<span class="visually-hidden"> to #{pk}</span></a>'
    )
    if t.priority == "high" and t.is_open:
        parts.append(
            f'<button type="button" class="btn btn--ghost btn--sm" data-dialog-open="downgrade-dialog" '
            f'data-action="/tickets/{pk}/downgrade/" data-ticket="#{pk} {_e(t.subject)}">Downgrade'
            f'<span class="visually-hidden"> #{pk}</span></button>'
        )
    return "".join(parts)


def _name(t, path: str) -> str:
    """The name of the user at `path`, from the row's User.name_columns annotations."""
    return User.name_from(
        getattr(t, f"{path}_first_name"), getattr(t, f"{path}_last_name"), getattr(t, f"{path}_username")
    )


def _row_html(t, user_id: int) -> str:
    subject = _e(getattr(t, "subject_html", None) or t.subject)
    if getattr(t, "snippet_html", None):
        sub = f'<span class="cell-sub search-snippet">{_e(t.snippet_html)}</span>'
    elif t.affected_service:
        sub = f'<span class="cell-sub">{_e(t.affected_service)}</span>'
    else:
        sub = ""
    assignee = (
        f'<a href="/engineers/{t.assignee_id}/">{_e(t.assignee_name)}</a>'
        if t.assignee_id
        else '<span class="muted">Unassigned</span>'
    )
    status, priority = _badges(t)
    live = ' aria-live="polite"' if t.ticking else ""
    pk, sla = t.pk, _e(t.sla)
    update = f'<span class="cell-sub">{update_due_html(t)}</span>' if t.next_update_due else ""
    return (
        f'<tr class="row row--{sla}" data-sla-scope data-ticket="{pk}">'
        '<td data-label="Ticket" class="cell-ticket"><input type="checkbox" class="row-select" '
        f'name="ticket" value="{pk}" form="bulk-form" aria-label="Select #{pk}"> '
        f'<a class="ticket-link" href="/tickets/{pk}/">'
        f'<span class="ticket-id">#{pk}</span> {subject}</a>{sub}</td>'
        f'<td data-label="Account"><a href="/accounts/{t.account_id}/">{_e(t.account_name)}</a></td>'
        f'<td data-label="Plan">{_e(t.plan_name)}</td>'
        f'<td data-label="Priority">{priority}</td><td data-label="Status">{status}</td>'
        f'<td data-label="Assignee" class="cell-assignee">{assignee}</td>'
        f'<td data-label="Deadline"><span class="deadline">{_local(t.work_started_deadline)}</span> '
        f'<span class="cell-sub">{_countdown_html(t)}</span>'
        f"{update}</td>"
        f'<td data-label="SLA"><span class="badge badge--sla sla--{sla}" data-sla-badge{live}>'
        f"{_e(t.sla_label)}</span></td>"
        f'<td class="cell-actions"><div class="row-actions">{_actions_html(t, user_id)}</div></td></tr>'
    )


def _stopped_html(t) -> str:
    if t.work_started_at:
        return f'<span class="countdown countdown--stopped">started {_local(t.work_started_at)}</span>'
    return f'<span class="countdown countdown--stopped">answered {_local(t.responded_at)}</span>'


def _portal_row_html(t, user_id: int) -> str:
    pk, sla = t.pk, _e(t.sla)
    by = "" if t.created_by_id == user_id else f" by {_e(_name(t, 'created_by'))}"
    status, priority = _badges(t)
    live = ' aria-live="polite"' if t.ticking else ""
    return (
        f'<tr class="row row--{sla}" data-sla-scope><td data-label="Ticket" class="cell-ticket">'
        f'<a class="ticket-link" href="/tickets/{pk}/"><span class="ticket-id">#{pk}</span> '
        f"{_e(t.subject)}</a>"
        f'<span class="cell-sub">Opened {_local(t.created_at)}{by}</span></td>'
        f'<td data-label="Status">{status}</td><td data-label="Priority">{priority}</td>'
        f'<td data-label="Work starts by"><span class="deadline">'
        f"{_local(t.work_started_deadline, weekday=True)}</span> "
        f'<span class="cell-sub">{_countdown_html(t) if t.ticking else _stopped_html(t)}</span></td>'
        f'<td data-label="SLA"><span class="badge badge--sla sla--{sla}" data-sla-badge{live}>'
        f"{_e(t.sla_label)}</span></td></tr>"
    )


def portal_rows_html(tickets, *, user_id: int) -> SafeString:
    """The portal's <tr> rows for tickets prepared by with_sla (same cells as partials/*.html)."""
    return mark_safe("\n".join(_portal_row_html(t, user_id) for t in tickets))  # noqa: S308 - escaped by _e


def queue_rows_html(tickets, *, user_id: int) -> SafeString:
    """The queue's <tr> rows for tickets prepared by with_sla (and, when searching, highlighted)."""
    return mark_safe("\n".join(_row_html(t, user_id) for t in tickets))  # noqa: S308 - escaped by _e


@functools.lru_cache(maxsize=64)
def _options(choices: tuple) -> str:
    return "".join(f'<option value="{_e(value)}">{_e(label)}</option>' for value, label in choices)


def select_html(field, choices=None) -> SafeString:
    """A bound field as a <select> of `choices` (default: a ChoiceField's own), without the widget
    template machinery. The options of a list (hundreds of accounts) are written once, then reused."""
    current = _e(str(field.value() or ""))
    pairs = field.field.choices if choices is None else choices
    # Kept choices (forms.KeptChoices, the form's account_choices) are tuples of pairs already.
    pairs = getattr(pairs, "pairs", pairs)
    options = _options(pairs if type(pairs) is tuple else tuple(map(tuple, pairs)))
    options = options.replace(f'<option value="{current}">', f'<option value="{current}" selected>', 1)
    invalid = ' aria-invalid="true"' if field.errors else ""
    return mark_safe(  # noqa: S308 - escaped by _e
        f'<select name="{_e(field.html_name)}" id="{_e(field.auto_id)}"{invalid}>{options}</select>'
    )


def item_target_rows(terms: dict) -> list[dict]:
    """A plan version's targets by item level (rows) and severity (columns), in words; empty when it
    has none. `terms` as sla.terms.versions keeps them."""
    targets = terms.get("item_targets") or {}
    if not terms.get("uses_severity") or not targets:
        return []
    levels = list((terms.get("uptime_terms") or {}).get("levels") or {})
    rows = []
    for level in levels:
        cells = [targets.get(f"{level}:{severity}") for severity in Severity.values]
        if any(cells):
            rows.append({"level": level, "targets": [target_text(c) if c else "—" for c in cells]})
    return rows


def filter_fields_html(fields) -> SafeString:
    """The queue's filter selects, each with its label and errors: `fields` are (bound field,
    select HTML) pairs. The same markup the template loop wrote, without a template per field."""
    parts = []
    for field, select in fields:
        errors = field.errors
        invalid = " field--invalid" if errors else ""
        said = _e(" ".join(map(str, errors)))
        message = (
            f'<span class="field__errors" id="{_e(field.auto_id)}_error">{said}</span>' if errors else ""
        )
        parts.append(
            f'<div class="filters__field{invalid}"><label class="filters__label" for="{_e(field.auto_id)}">'
            f"{_e(field.label)}</label>{select}{message}</div>"
        )
    return mark_safe("\n".join(parts))  # noqa: S308 - escaped by _e


def view_tabs_html(views, current: str, saved=()) -> SafeString:
    """The queue's view tabs: (key, label, href) triples, the current one marked, then the user's
    saved views ((name, query string) pairs)."""
    marked = ' aria-current="page"'
    tabs = [
        f'<a class="tabs__tab" href="{_e(href)}"{marked if key == current else ""}>{_e(label)}</a>'
        for key, label, href in views
    ]
    tabs += [
        f'<a class="tabs__tab tabs__tab--saved" href="?{_e(query)}">{_e(name)}</a>' for name, query in saved
    ]
    return mark_safe("".join(tabs))  # noqa: S308 - escaped by _e


@functools.lru_cache(maxsize=64)
def bulk_options_html(engineers: tuple, canned: tuple) -> SafeString:
    """The options of the queue's bulk bar: assign (to me, to each of `engineers`, (id, name)),
    unassign, start, resolve, and a reply with each canned reply of `canned` ((id, title))."""
    options = [
        '<option value="assign_me">Assign to me</option><option value="unassign">Unassign</option>',
        *(f'<option value="assign:{_e(pk)}">Assign to {_e(name)}</option>' for pk, name in engineers),
        '<option value="start_work">Start work</option><option value="resolve">Resolve</option>',
    ]
    if canned:
        options.append('<optgroup label="Send a canned reply (a public reply to each customer)">')
        options += [f'<option value="canned:{_e(pk)}">Reply: {_e(title)}</option>' for pk, title in canned]
        options.append("</optgroup>")
    return mark_safe("".join(options))  # noqa: S308 - escaped by _e
