"""Status pages: the overview and an item's 90 days."""

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from helpdesk.accounts.models import ItemState, ProbeKind
from helpdesk.kit import roles
from helpdesk.kit.errors import ValidationError
from helpdesk.kit.months import support_zone
from helpdesk.kit.pages import add_service_errors, duration_text
from sla.uptime import access, selectors
from sla.uptime import measure as uptime
from sla.uptime.forms import ItemFilterForm, ItemForm
from sla.uptime.services import items as items_services

ITEMS_PER_PAGE = 50
INCIDENTS_PER_PAGE = 50
STATUS_INCIDENTS = 50
BAR_WIDTH, BAR_GAP, BAR_HEIGHT = 6, 2, 40


# --- helpers ----------------------------------------------------------------------------------------


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _minutes_text(minutes) -> str:
    seconds = int(Decimal(minutes) * 60)
    return "0m" if seconds <= 0 else duration_text(seconds, whole_minutes=True)


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
        shown.append(
            {
                "x": index * (BAR_WIDTH + BAR_GAP),
                "colour": colour,
                "day": day,
                "title": f"{day.date:%a %-d %b %Y}: {label}"
                + ("" if day.future else f", {uptime.percent_text(day.uptime_percent)}% up"),
            }
        )
    return shown


# --- the status pages ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def uptime_overview(request):
    """Customers: their items at a glance. Staff: every item, filtered. Support staff add items here."""
    user = request.user
    _require(access.may_read_uptime(user), "Your role may not see uptime.")
    staff = roles.is_staff(user)
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
                    item = items_services.item_create(created_by=user, **data)
                except ValidationError as exc:
                    add_service_errors(item_form, exc)
                else:
                    messages.success(request, f"{item.name} is monitored now.")
                    return redirect("uptime_item", item.pk)
            status = 400
        else:
            item_form = ItemForm(accounts=accounts)
    elif request.method == "POST":
        raise PermissionDenied("Only support staff add monitored items.")
    filter_form = ItemFilterForm(request.GET or None, accounts=accounts) if staff else None
    items = selectors.items_for(user=user)
    filters = {}
    if filter_form is not None and filter_form.is_bound:
        if filter_form.is_valid():
            filters = {k: v for k, v in filter_form.cleaned_data.items() if v}
            items = selectors.items_for(user=user, **filters)
        else:
            items, status = items_services.none(), 400
    page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    rows = selectors.month_rows(items=list(page), month=month, now=now)
    upcoming = selectors.maintenance_windows_for(user=user, upcoming_at=now)[:20]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "uptime/uptime_overview.html",
        {
            "page": page,
            "rows": [{"row": row, "state": _state(row.item), **_report_view(row.report)} for row in rows],
            "month": month,
            "staff": staff,
            "filter_form": filter_form,
            "filtered": bool(filters),
            "item_form": item_form,
            "upcoming": upcoming,
            "query": query.urlencode(),
        },
        status=status,
    )


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
        _require(access.may_manage_uptime(user), "Only support staff change monitored items.")
        edit_form = ItemForm(request.POST, account_id=item.account_id)
        if edit_form.is_valid():
            try:
                items_services.item_update(item=item, actor=user, **edit_form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(edit_form, exc)
            else:
                messages.success(request, "Item saved.")
                return redirect("uptime_item", item.pk)
        status = 400
    elif access.may_manage_uptime(user):
        edit_form = ItemForm(
            initial={name: getattr(item, name) for name in items_services.ITEM_FIELDS},
            account_id=item.account_id,
        )
    month = selectors.current_month(now)
    report = selectors.item_month(item=item, month=month, now=now)
    days = selectors.daily_bars(item=item, now=now)
    created_on = item.created_at.astimezone(support_zone()).date()
    days = [day if day.date >= created_on else selectors.DayBar(day.date, 0, 0, True) for day in days]
    since = now - dt.timedelta(days=selectors.STATUS_DAYS)
    incidents = list(
        selectors.downtimes_for(user=user, item=item.pk, include_voided=False).filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=since)
        )[:STATUS_INCIDENTS]
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
    return render(
        request,
        "uptime/uptime_item.html",
        {
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
            "staff": roles.is_staff(user),
            "may_claim": roles.is_customer(user),  # claims are the customer's to open
            "edit_form": edit_form,
        },
        status=status,
    )
