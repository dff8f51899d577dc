"""The month view: every item's uptime in a month."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from sla.uptime import access, selectors
from sla.uptime.forms import MonthViewForm
from sla.uptime.services import assessment as assessment_services
from sla.uptime.views.status import ITEMS_PER_PAGE, _report_view, _require

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
        summary = assessment_services.uptime_month_assess(month=month)
        messages.success(
            request, f"{month} assessed: {summary.items} items measured, {summary.below} below guarantee."
        )
        return redirect(f"{reverse('uptime_months')}?month={month}")
    form = MonthViewForm(request.GET or None, accounts=accounts, initial={"month": current})
    if form.is_bound and not form.is_valid():
        context = {"form": form, "rows": [], "month": None}
        return render(request, "uptime/uptime_months.html", context, status=400)
    data = form.cleaned_data if form.is_bound else {}
    month = data.get("month") or current
    items = selectors.items_for(user=user, account=data.get("account"))
    page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    rows = selectors.month_rows(items=list(page), month=month, now=now)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "uptime/uptime_months.html",
        {
            "form": form,
            "month": month,
            "page": page,
            "rows": [{"row": row, **_report_view(row.report)} for row in rows],
            "may_assess": access.may_assess_uptime(user),
            "query": query.urlencode(),
        },
    )
