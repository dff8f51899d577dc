"""Pages about one account or one engineer, and the list of accounts.

Staff see every account and every engineer; a customer sees their own account's page (another
account's is a 404) and neither the list nor an engineer's page (403).
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from billing import overviews
from billing.forms import AccountListForm, OverviewMonthForm
from billing.services.months import current_month, month_label, shift_month
from helpdesk.kit import roles
from helpdesk.tickets import access as tickets_access
from helpdesk.tickets.views.presentation import with_sla

ACCOUNTS_PER_PAGE = 50


def _month(request, now) -> tuple[str | None, OverviewMonthForm]:
    """The month asked for (the current one by default); None when the value is not a month."""
    form = OverviewMonthForm(request.GET or None)
    if not form.is_bound:
        return current_month(now), form
    if not form.is_valid():
        return None, form
    return form.cleaned_data["month"] or current_month(now), form


def _month_links(month: str, now) -> dict:
    return {
        "month": month,
        "month_name": month_label(month),
        "previous_month": shift_month(month, -1),
        "next_month": shift_month(month, 1) if month < current_month(now) else None,
    }


@require_GET
@login_required
def account_list(request):
    user = request.user
    if not tickets_access.may_work_tickets(user):
        raise PermissionDenied("The list of accounts is for support staff.")
    now = timezone.now()
    form = AccountListForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "billing/accounts.html", {"form": form, "page": None}, status=400)
    data = form.cleaned_data if form.is_bound else {}
    month = current_month(now)
    accounts = overviews.accounts_list(user=user, month=month, name=data.get("q") or "")
    page = Paginator(accounts, ACCOUNTS_PER_PAGE).get_page(data.get("page") or 1)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "billing/accounts.html",
        {"form": form, "page": page, "month": month, "query": query.urlencode()},
    )


@require_GET
@login_required
def account_detail(request, pk: int):
    user = request.user
    if not (roles.is_staff(user) or roles.is_customer(user)):
        raise PermissionDenied("Your role may not see accounts.")
    account = overviews.account_for(user=user, pk=pk)
    now = timezone.now()
    month, form = _month(request, now)
    if month is None:
        return render(request, "billing/account.html", {"account": account, "form": form}, status=400)
    data = overviews.account_page(account=account, user=user, month=month)
    return render(
        request,
        "billing/account.html",
        {
            "account": account,
            "form": form,
            "page": data,
            "staff": roles.is_staff(user),
            "open_tickets": with_sla(data.open_tickets, now),
            **_month_links(month, now),
        },
    )


@require_GET
@login_required
def engineer_detail(request, pk: int):
    user = request.user
    if not tickets_access.may_work_tickets(user):
        raise PermissionDenied("Engineers' pages are for support staff.")
    engineer = overviews.staff_member_for(pk=pk)
    now = timezone.now()
    month, form = _month(request, now)
    if month is None:
        return render(request, "billing/engineer.html", {"engineer": engineer, "form": form}, status=400)
    data = overviews.engineer_page(engineer=engineer, user=user, month=month)
    return render(
        request,
        "billing/engineer.html",
        {
            "engineer": engineer,
            "form": form,
            "page": data,
            "open_tickets": with_sla(data.open_tickets, now),
            **_month_links(month, now),
        },
    )
