"""SLA pages: misses, exclusion periods and the monthly report (with its CSV export).

Parse input, check access, call one selector or service, render. Rules live in sla/services.
"""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from helpdesk.accounts import access as accounts_access
from helpdesk.kit import roles
from helpdesk.kit.errors import ConflictError, ValidationError
from helpdesk.kit.months import month_of
from helpdesk.kit.pages import add_service_errors, duration_text
from sla.clocks import access, selectors
from sla.clocks.forms import ExclusionCancelForm, ExclusionPeriodForm, MissFilterForm, ReportMonthForm
from sla.clocks.services.exclusions import exclusion_cancel, exclusion_create

MISSES_PER_PAGE = 50
CSV_COLUMNS = [
    "account",
    "account_name",
    "month",
    "tickets",
    "met",
    "missed",
    "counted_misses",
    "compliance_percent",
    "median_seconds_to_work_started",
    "p90_seconds_to_work_started",
    "ratings",
    "good_ratings",
    "good_rating_percent",
    "update_lapses",
]
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- misses ------------------------------------------------------------------------------


@require_GET
@login_required
def misses(request):
    user = request.user
    if not (roles.is_staff(user) or roles.is_customer(user)):
        raise PermissionDenied("Your role may not see misses.")
    staff = roles.is_staff(user)
    form = MissFilterForm(
        request.GET or None, accounts=selectors.miss_filter_accounts(user=user) if staff else None
    )
    now = timezone.now()
    status = 200
    if not form.is_bound:
        rows = selectors.misses_for(user=user, now=now)
    elif form.is_valid():
        rows = selectors.misses_for(user=user, now=now, **form.filters)
    else:
        rows, status = selectors.misses_for(user=user, now=now).none(), 400
    page = Paginator(rows, MISSES_PER_PAGE).get_page(request.GET.get("page"))
    selectors.periods_touching(page)
    for miss in page:
        late = miss.lateness_seconds if miss.lateness_seconds is not None else miss.late_by.total_seconds()
        miss.late_text = _duration(max(int(late), 0))
        miss.ticking = miss.ticket.responded_at is None
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "clocks/misses.html",
        {
            "page": page,
            "filter_form": form,
            "filtered": form.is_bound and any(request.GET.get(name) for name in form.fields),
            "show_account": staff,
            "query": query.urlencode(),
        },
        status=status,
    )


# --- exclusion periods ---------------------------------------------------------------------


def _require_exclusion_manager(user) -> None:
    if not access.may_manage_exclusions(user):
        raise PermissionDenied("Only billing admins manage exclusion periods.")


@require_http_methods(["GET", "POST"])
@login_required
def exclusions(request):
    user = request.user
    _require_exclusion_manager(user)
    accounts = selectors.exclusion_account_choices(user=user)
    status = 200
    if request.method == "POST":
        form = ExclusionPeriodForm(request.POST, accounts=accounts)
        if form.is_valid():
            try:
                period = exclusion_create(created_by=user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"{period.get_kind_display()} recorded. The clocks it overlaps are paused for as long "
                    "as it lasts, and their misses judged again.",
                )
                return redirect("exclusions")
        status = 400
    else:
        form = ExclusionPeriodForm(accounts=accounts)
    return render(
        request,
        "clocks/exclusions.html",
        {
            "periods": selectors.exclusion_periods_for(user=user),
            "form": form,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def exclusion_cancel_view(request, pk):
    user = request.user
    _require_exclusion_manager(user)
    period = selectors.exclusion_period_for(user=user, pk=pk)
    status = 200
    if request.method == "POST":
        form = ExclusionCancelForm(request.POST)
        if form.is_valid():
            try:
                exclusion_cancel(period=period, actor=user, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            except ConflictError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request, f"{period.get_kind_display()} cancelled. The clocks it paused are judged again."
                )
                return redirect("exclusions")
        status = 400
    else:
        form = ExclusionCancelForm()
    return render(request, "clocks/exclusion_cancel.html", {"period": period, "form": form}, status=status)


# --- the monthly SLA report --------------------------------------------------------------------


def _report_month(request) -> tuple[ReportMonthForm, str | None]:
    """The month asked for (default: the current one in the support time zone), or None if invalid."""
    current = month_of(timezone.now())
    form = ReportMonthForm(request.GET or None, initial={"month": current})
    if not form.is_bound:
        return form, current
    if not form.is_valid():
        return form, None
    return form, form.cleaned_data["month"] or current


def _require_report_reader(user) -> None:
    if not access.may_read_sla_report(user):
        raise PermissionDenied("Your role may not read the SLA report.")


@require_GET
@login_required
def sla_report(request):
    user = request.user
    _require_report_reader(user)
    form, month = _report_month(request)
    if month is None:
        return render(request, "clocks/report.html", {"form": form, "rows": []}, status=400)
    rows = selectors.sla_report(month=month, accounts_qs=accounts_access.accounts_visible_to(user))
    return render(
        request,
        "clocks/report.html",
        {
            "form": form,
            "month": month,
            "rows": _report_rows(rows),
            "chart_height": max(len(rows), 1) * CHART_ROW_HEIGHT,
            "staff": roles.is_staff(user),
        },
    )


# The chart is drawn in a 680-wide viewBox: a label column, the bar track, then the value (room
# for "100.00%"); an account with nothing due says so inside its empty track.
CHART_TRACK_WIDTH = 360
CHART_ROW_HEIGHT = 30


def _report_rows(rows) -> list[dict]:
    """What the page shows of each report row: durations in words and the bar's geometry."""
    shown = []
    for index, row in enumerate(rows):
        percent = row.compliance_percent
        shown.append(
            {
                "row": row,
                "median_text": _duration(row.median_seconds_to_work_started),
                "p90_text": _duration(row.p90_seconds_to_work_started),
                "bar_y": index * CHART_ROW_HEIGHT + 6,
                "text_y": index * CHART_ROW_HEIGHT + 19,
                "bar_width": 0 if percent is None else round(float(percent) / 100 * CHART_TRACK_WIDTH, 1),
            }
        )
    return shown


def _duration(seconds: int | None) -> str:
    return "—" if seconds is None else duration_text(seconds, whole_minutes=True)


def csv_safe(value) -> str:
    """A cell a spreadsheet shows as text: never a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


@require_GET
@login_required
def sla_report_csv(request):
    user = request.user
    _require_report_reader(user)
    form, month = _report_month(request)
    if month is None:
        problems = " ".join(form.errors.get("month", []))
        return HttpResponseBadRequest(f"month: {problems}", content_type="text/plain; charset=utf-8")
    rows = selectors.sla_report(month=month, accounts_qs=accounts_access.accounts_visible_to(user))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sla-report-{month}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([csv_safe(getattr(row, column)) for column in CSV_COLUMNS])
    return response
