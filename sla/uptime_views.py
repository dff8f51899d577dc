"""Uptime pages: the status page of each item, the staff incident view, maintenance and the month view.

Parse input, check access, call one selector or service, render. Rules live in sla/services/uptime.py.
Lookups come first (another account's item or incident is a 404), the role check after (403).
"""
import datetime as dt
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from helpdesk import access
from helpdesk.services.errors import ConflictError, ValidationError
from helpdesk.views.presentation import duration_text
from sla import uptime
from sla import uptime_selectors as selectors
from sla.forms import LocalDateTimeField, MonthField
from sla.models import ItemState, MaintenanceKind, ProbeKind
from sla.months import support_zone
from sla.services import uptime as services

ITEMS_PER_PAGE = 50
INCIDENTS_PER_PAGE = 50
STATUS_INCIDENTS = 50
BAR_WIDTH, BAR_GAP, BAR_HEIGHT = 6, 2, 40


# --- forms: the shape of browser input -----------------------------------------------------------

class ItemForm(forms.Form):
    name = forms.CharField(max_length=120, label="Name")
    description = forms.CharField(
        max_length=2000, required=False, label="Description", widget=forms.Textarea(attrs={"rows": 2})
    )
    level = forms.ChoiceField(label="Priority level")
    probe_kind = forms.ChoiceField(choices=ProbeKind.choices, label="Probe")
    probe_url = forms.CharField(
        max_length=500, required=False, label="URL", help_text="For an HTTP probe: http:// or https://."
    )
    probe_expected_status = forms.IntegerField(
        min_value=100, max_value=599, initial=200, label="Expected status"
    )
    probe_host = forms.CharField(max_length=253, required=False, label="Host", help_text="For a TCP probe.")
    probe_port = forms.IntegerField(min_value=1, max_value=65535, required=False, label="Port")
    is_active = forms.BooleanField(required=False, initial=True, label="Active (probed and shown)")

    def __init__(self, *args, accounts=None, **kwargs):
        super().__init__(*args, **kwargs)
        levels = selectors.uptime_levels()
        self.fields["level"].choices = [(name, f"{name} — {value}%") for name, value in levels.items()]
        self.fields["level"].initial = settings.UPTIME_DEFAULT_LEVEL
        if accounts is not None:
            self.fields["account"] = forms.ModelChoiceField(queryset=accounts, label="Account")
            self.order_fields(["account"])


class DowntimeRecordForm(forms.Form):
    item = forms.ModelChoiceField(queryset=None, label="Item")
    starts_at = LocalDateTimeField(label="Down since")
    ends_at = LocalDateTimeField(required=False, label="Up again", help_text="Leave empty while it lasts.")
    note = forms.CharField(
        max_length=2000, required=False, label="Note", widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items
        self.fields["item"].label_from_instance = lambda item: f"{item.account.name} · {item.name}"


class DowntimeCorrectForm(forms.Form):
    starts_at = LocalDateTimeField(label="Down since")
    ends_at = LocalDateTimeField(required=False, label="Up again", help_text="Empty: still down.")
    reason = forms.CharField(max_length=2000, label="Why", widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(
        max_length=2000, required=False, label="Note", widget=forms.Textarea(attrs={"rows": 3})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=2000, label="Why", widget=forms.Textarea(attrs={"rows": 2}))


class TicketLinkForm(forms.Form):
    ticket = forms.IntegerField(min_value=1, max_value=2**63 - 1, label="Ticket number")


class MaintenanceForm(forms.Form):
    account = forms.ModelChoiceField(queryset=None, label="Account")
    item = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Every item of the account", label="Item"
    )
    kind = forms.ChoiceField(choices=MaintenanceKind.choices, label="Kind")
    starts_at = LocalDateTimeField(label="Starts")
    ends_at = LocalDateTimeField(label="Ends")
    note = forms.CharField(
        max_length=2000, required=False, label="Note", widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, accounts, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts
        self.fields["item"].queryset = items
        self.fields["item"].label_from_instance = lambda item: f"{item.account.name} · {item.name}"
        zone = timezone.get_current_timezone_name()
        self.fields["starts_at"].help_text = (
            f"In your time zone, {zone}. A scheduled window starts in the future."
        )


class ItemFilterForm(forms.Form):
    account = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Account")
    state = forms.ChoiceField(
        required=False, label="State", choices=[("", "Any state"), *ItemState.choices]
    )

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", "Any account")] + [(a.pk, a.name) for a in accounts]


class IncidentFilterForm(forms.Form):
    account = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Account")
    ongoing = forms.ChoiceField(
        required=False, label="State", choices=[("", "Ongoing or ended"), ("yes", "Ongoing"), ("no", "Ended")]
    )
    month = MonthField(required=False, label="Month")

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", "Any account")] + [(a.pk, a.name) for a in accounts]


class MonthViewForm(forms.Form):
    month = MonthField(required=False, label="Month")
    account = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Account")

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", "Any account")] + [(a.pk, a.name) for a in accounts]


# --- helpers ----------------------------------------------------------------------------------------

def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _errors_to_form(form: forms.Form, exc: ValidationError) -> None:
    for field, problems in exc.message_dict.items():
        target = field if field in form.fields else None
        if target is None and field in ("probe_url", "probe_host", "probe_port"):
            target = field
        form.add_error(target, problems)


def _minutes_text(minutes) -> str:
    seconds = int(Decimal(minutes) * 60)
    return "0m" if seconds <= 0 else duration_text(seconds).removesuffix(" 0s")


def _state(item) -> str:
    """up, down, unknown: an ongoing downtime (from the probe or staff) makes the item down."""
    if getattr(item, "open_downtime", False) or item.state == ItemState.DOWN:
        return "down"
    if item.probe_kind != ProbeKind.NONE and item.state == ItemState.UNKNOWN:
        return "unknown"
    return "up"


def _report_view(report: uptime.MonthUptime) -> dict:
    return {
        "report": report,
        "uptime_text": uptime.percent_text(report.uptime_percent),
        "guarantee_text": uptime.percent_text(report.guarantee_percent),
        "downtime_text": _minutes_text(report.downtime_minutes),
        "permitted_text": _minutes_text(report.permitted_minutes),
        "remaining_text": _minutes_text(report.remaining_minutes),
        "excess_text": _minutes_text(report.excess_minutes),
        "excluded_text": _minutes_text(report.excluded_minutes),
    }


def _bars(days, guarantee) -> list[dict]:
    shown = []
    for index, day in enumerate(days):
        if day.future:
            colour, label = "#e2e8f0", "no data"
        elif day.downtime_minutes == 0:
            colour, label = "#16a34a", "no downtime"
        elif day.uptime_percent >= guarantee:
            colour, label = "#f59e0b", f"{_minutes_text(day.downtime_minutes)} down"
        else:
            colour, label = "#dc2626", f"{_minutes_text(day.downtime_minutes)} down"
        shown.append({
            "x": index * (BAR_WIDTH + BAR_GAP), "colour": colour, "day": day,
            "title": f"{day.date:%a %-d %b %Y}: {label}"
            + ("" if day.future else f", {uptime.percent_text(day.uptime_percent)}% up"),
        })
    return shown


# --- the status pages ------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@login_required
def uptime_overview(request):
    """Customers: their items at a glance. Staff: every item, filtered. Billing admins add items here."""
    user = request.user
    _require(access.may_read_uptime(user), "Your role may not see uptime.")
    staff = access.is_staff(user)
    now = timezone.now()
    month = selectors.current_month(now)
    accounts = selectors.item_account_choices(user=user)
    item_form = None
    status = 200
    if access.may_manage_uptime(user):
        if request.method == "POST":
            item_form = ItemForm(request.POST, accounts=accounts)
            if item_form.is_valid():
                data = dict(item_form.cleaned_data)
                try:
                    item = services.item_create(created_by=user, **data)
                except ValidationError as exc:
                    _errors_to_form(item_form, exc)
                else:
                    messages.success(request, f"{item.name} is monitored now.")
                    return redirect("uptime_item", item.pk)
            status = 400
        else:
            item_form = ItemForm(accounts=accounts)
    elif request.method == "POST":
        raise PermissionDenied("Only billing admins add monitored items.")
    filter_form = ItemFilterForm(request.GET or None, accounts=accounts) if staff else None
    items = selectors.items_for(user=user)
    filters = {}
    if filter_form is not None and filter_form.is_bound:
        if filter_form.is_valid():
            filters = {k: v for k, v in filter_form.cleaned_data.items() if v}
            items = selectors.items_for(user=user, **filters)
        else:
            items, status = items.none(), 400
    page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    rows = selectors.month_rows(items=list(page), month=month, now=now)
    upcoming = selectors.maintenance_windows_for(user=user, upcoming_at=now)[:20]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "sla/uptime_overview.html", {
        "page": page,
        "rows": [{"row": row, "state": _state(row.item), **_report_view(row.report)} for row in rows],
        "month": month,
        "staff": staff,
        "filter_form": filter_form,
        "filtered": bool(filters),
        "item_form": item_form,
        "upcoming": upcoming,
        "query": query.urlencode(),
    }, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def uptime_item(request, pk):
    """The status page of one item: now, this month, 90 days of bars, incidents and maintenance."""
    user = request.user
    _require(access.may_read_uptime(user), "Your role may not see uptime.")
    item = selectors.item_for(user=user, pk=pk)
    now = timezone.now()
    edit_form = None
    status = 200
    if request.method == "POST":
        _require(access.may_manage_uptime(user), "Only billing admins change monitored items.")
        edit_form = ItemForm(request.POST)
        if edit_form.is_valid():
            try:
                services.item_update(item=item, actor=user, **edit_form.cleaned_data)
            except ValidationError as exc:
                _errors_to_form(edit_form, exc)
            else:
                messages.success(request, "Item saved.")
                return redirect("uptime_item", item.pk)
        status = 400
    elif access.may_manage_uptime(user):
        edit_form = ItemForm(initial={
            name: getattr(item, name) for name in services.ITEM_FIELDS
        })
    month = selectors.current_month(now)
    report = selectors.item_month(item=item, month=month, now=now)
    days = selectors.daily_bars(item=item, now=now)
    created_on = item.created_at.astimezone(support_zone()).date()
    days = [
        day if day.date >= created_on else selectors.DayBar(day.date, 0, 0, True) for day in days
    ]
    since = now - dt.timedelta(days=selectors.STATUS_DAYS)
    incidents = list(
        selectors.downtimes_for(user=user, item=item.pk, include_voided=False)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=since))[:STATUS_INCIDENTS]
    )
    for downtime in incidents:
        end = downtime.ends_at or now
        downtime.duration_text = _minutes_text((end - downtime.starts_at).total_seconds() / 60)
    windows = selectors.maintenance_windows_for(user=user, item=item).filter(ends_at__gt=since)[:20]
    # Each with billing's claim on it, if any (the reverse of Claim.shortfall; named only here).
    shortfalls = list(
        selectors.shortfalls_for(user=user, item=item.pk, active=True).select_related("claim")[:12]
    )
    for shortfall in shortfalls:
        shortfall.uptime_text = uptime.percent_text(shortfall.uptime_percent)
    counted_days = [d for d in days if not d.future]
    ninety = uptime.uptime_percent(
        sum(d.counted_minutes for d in counted_days), sum(d.downtime_minutes for d in counted_days)
    )
    return render(request, "sla/uptime_item.html", {
        "item": item,
        "state": _state(item),
        "month": month,
        **_report_view(report),
        "bars": _bars(days, item.guarantee_percent),
        "bars_width": len(days) * (BAR_WIDTH + BAR_GAP),
        "bar_width": BAR_WIDTH,
        "bar_height": BAR_HEIGHT,
        "first_day": days[0].date,
        "measured_since": max(days[0].date, created_on),
        "ninety_text": uptime.percent_text(ninety),
        "incidents": incidents,
        "windows": windows,
        "shortfalls": shortfalls,
        "now": now,
        "staff": access.is_staff(user),
        "may_claim": access.may_open_claims(user),
        "edit_form": edit_form,
    }, status=status)


# --- the staff incident view -----------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@login_required
def uptime_incidents(request):
    user = request.user
    _require(access.may_read_incidents(user), "Only support staff see the incident view.")
    accounts = selectors.item_account_choices(user=user)
    items = selectors.items_for(user=user)
    now = timezone.now()
    status = 200
    if request.method == "POST":
        _require(access.may_record_downtime(user), "Only support staff record downtime.")
        record_form = DowntimeRecordForm(request.POST, items=items)
        if record_form.is_valid():
            try:
                downtime = services.downtime_record(actor=user, **record_form.cleaned_data)
            except ValidationError as exc:
                _errors_to_form(record_form, exc)
            except ConflictError as exc:
                record_form.add_error(None, exc.message)
            else:
                messages.success(request, f"Downtime of {downtime.item.name} recorded.")
                return redirect("uptime_incident", downtime.pk)
        status = 400
    else:
        record_form = DowntimeRecordForm(items=items)
    filter_form = IncidentFilterForm(request.GET or None, accounts=accounts)
    filters: dict = {}
    if filter_form.is_bound:
        if filter_form.is_valid():
            data = filter_form.cleaned_data
            filters = {"account": data.get("account"), "month": data.get("month") or ""}
            if data.get("ongoing"):
                filters["open_only"] = data["ongoing"] == "yes"
        else:
            status = 400
    rows = selectors.downtimes_for(user=user, **filters)
    if filter_form.is_bound and not filter_form.is_valid():
        rows = rows.none()
    page = Paginator(rows, INCIDENTS_PER_PAGE).get_page(request.GET.get("page"))
    for downtime in page:
        end = downtime.ends_at or now
        downtime.duration_text = _minutes_text((end - downtime.starts_at).total_seconds() / 60)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "sla/uptime_incidents.html", {
        "page": page,
        "summary": selectors.incident_summary(),
        "filter_form": filter_form,
        "filtered": filter_form.is_bound and any(request.GET.get(name) for name in filter_form.fields),
        "record_form": record_form,
        "query": query.urlencode(),
    }, status=status)


INCIDENT_ACTIONS = ("correct", "annotate", "void", "link", "unlink")


@require_http_methods(["GET", "POST"])
@login_required
def uptime_incident(request, pk):
    user = request.user
    _require(access.may_read_uptime(user), "Your role may not see uptime.")
    downtime = selectors.downtime_for(user=user, pk=pk)
    _require(access.may_read_incidents(user), "Only support staff see the incident view.")
    forms_by_action = {
        "correct": DowntimeCorrectForm(
            initial={"starts_at": downtime.starts_at, "ends_at": downtime.ends_at}
        ),
        "annotate": NoteForm(initial={"note": downtime.note}),
        "void": ReasonForm(),
        "link": TicketLinkForm(),
    }
    status = 200
    if request.method == "POST":
        _require(access.may_record_downtime(user), "Only support staff edit downtime.")
        action = request.POST.get("action")
        if action not in INCIDENT_ACTIONS:
            return render(request, "sla/uptime_incident.html", {
                **_incident_context(user, downtime), "forms": forms_by_action,
                "action_error": "Choose what to do.",
            }, status=400)
        form_class = {
            "correct": DowntimeCorrectForm, "annotate": NoteForm, "void": ReasonForm,
            "link": TicketLinkForm, "unlink": TicketLinkForm,
        }[action]
        form = form_class(request.POST)
        forms_by_action[action if action != "unlink" else "link"] = form
        if form.is_valid():
            data = form.cleaned_data
            try:
                _incident_action(user=user, downtime=downtime, action=action, data=data)
            except ValidationError as exc:
                _errors_to_form(form, exc)
            except ConflictError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, {
                    "correct": "Downtime corrected.", "annotate": "Note saved.", "void": "Downtime voided.",
                    "link": "Ticket linked.", "unlink": "Ticket unlinked.",
                }[action])
                return redirect("uptime_incident", downtime.pk)
        status = 400
        downtime = selectors.downtime_for(user=user, pk=pk)
    return render(request, "sla/uptime_incident.html", {
        **_incident_context(user, downtime), "forms": forms_by_action,
    }, status=status)


def _incident_action(*, user, downtime, action: str, data: dict) -> None:
    if action == "correct":
        services.downtime_correct(
            downtime=downtime, actor=user, reason=data["reason"], starts_at=data["starts_at"],
            ends_at=data.get("ends_at"),
        )
    elif action == "annotate":
        services.downtime_annotate(downtime=downtime, actor=user, note=data["note"])
    elif action == "void":
        services.downtime_void(downtime=downtime, actor=user, reason=data["reason"])
    else:
        ticket = access.tickets_visible_to(user).filter(pk=data["ticket"]).first()
        if ticket is None:
            raise ValidationError({"ticket": ["No such ticket."]})
        services.downtime_link_ticket(downtime=downtime, actor=user, ticket=ticket, linked=action == "link")


EVENT_LABELS = {
    "opened": "Opened by the probe", "closed": "Closed", "recorded": "Recorded by hand",
    "corrected": "Times corrected", "annotated": "Note changed", "voided": "Voided",
    "ticket_linked": "Ticket linked", "ticket_unlinked": "Ticket unlinked",
}


def _incident_context(user, downtime) -> dict:
    now = timezone.now()
    end = downtime.ends_at or now
    downtime.duration_text = _minutes_text((end - downtime.starts_at).total_seconds() / 60)
    return {
        "downtime": downtime,
        "events": [
            {"event": event, "label": EVENT_LABELS.get(event.code, event.code)}
            for event in selectors.downtime_events(downtime=downtime)
        ],
        "may_edit": access.may_record_downtime(user) and not downtime.voided,
    }


# --- maintenance -------------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@login_required
def uptime_maintenance(request):
    user = request.user
    _require(access.may_schedule_maintenance(user), "Only support staff schedule maintenance.")
    accounts = selectors.item_account_choices(user=user)
    items = selectors.items_for(user=user)
    status = 200
    if request.method == "POST":
        form = MaintenanceForm(request.POST, accounts=accounts, items=items)
        if form.is_valid():
            try:
                window = services.maintenance_schedule(created_by=user, **form.cleaned_data)
            except ValidationError as exc:
                _errors_to_form(form, exc)
            except access.Denied as exc:
                form.add_error("kind", str(exc))
            else:
                messages.success(
                    request, f"{window.get_kind_display()} window recorded; the customer is told."
                )
                return redirect("uptime_maintenance")
        status = 400
    else:
        form = MaintenanceForm(accounts=accounts, items=items)
    windows = selectors.maintenance_windows_for(user=user)[:200]
    return render(request, "sla/uptime_maintenance.html", {
        "windows": windows, "form": form, "now": timezone.now(),
    }, status=status)


@require_POST
@login_required
def uptime_maintenance_cancel(request, pk):
    user = request.user
    _require(access.may_read_uptime(user), "Your role may not see uptime.")
    window = selectors.maintenance_window_for(user=user, pk=pk)
    _require(access.may_schedule_maintenance(user), "Only support staff cancel maintenance.")
    try:
        services.maintenance_cancel(window=window, actor=user)
    except ConflictError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Maintenance window cancelled; the customer is told.")
    return redirect("uptime_maintenance")


# --- the month view --------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@login_required
def uptime_months(request):
    """Every item's month for staff: uptime, downtime against what is permitted, and the credit."""
    user = request.user
    _require(access.may_read_incidents(user), "Only support staff see the month view.")
    now = timezone.now()
    current = selectors.current_month(now)
    accounts = selectors.item_account_choices(user=user)
    if request.method == "POST":
        _require(access.may_assess_uptime(user), "Only billing admins run a month's assessment.")
        form = MonthViewForm(request.POST, accounts=accounts)
        if not form.is_valid():
            messages.error(request, "Give a month as YYYY-MM.")
            return redirect("uptime_months")
        month = form.cleaned_data["month"] or current
        summary = services.uptime_month_assess(month=month)
        messages.success(
            request, f"{month} assessed: {summary.items} items measured, {summary.below} below guarantee."
        )
        return redirect(f"{reverse('uptime_months')}?month={month}")
    form = MonthViewForm(request.GET or None, accounts=accounts, initial={"month": current})
    if form.is_bound and not form.is_valid():
        context = {"form": form, "rows": [], "month": None}
        return render(request, "sla/uptime_months.html", context, status=400)
    data = form.cleaned_data if form.is_bound else {}
    month = data.get("month") or current
    items = selectors.items_for(user=user, account=data.get("account"))
    page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    rows = selectors.month_rows(items=list(page), month=month, now=now)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "sla/uptime_months.html", {
        "form": form,
        "month": month,
        "page": page,
        "rows": [{"row": row, **_report_view(row.report)} for row in rows],
        "may_assess": access.may_assess_uptime(user),
        "query": query.urlencode(),
    })

