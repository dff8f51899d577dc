"""Billing pages: the customer's month and termination without penalty.

Parse input, check access, call one selector or service, render. Rules live in billing/services.
Another account's object is a 404; a role that may not act is a 403.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from billing import access, claim_states, selectors
from billing.forms import (
    TerminationDecisionForm,
    TerminationRequestForm,
)
from billing.services.months import (
    current_month,
    month_label,
    shift_month,
)
from billing.services.terminations import termination_confirm, termination_decline, termination_request
from helpdesk.kit import roles
from helpdesk.kit.errors import ConflictError, ValidationError
from helpdesk.kit.months import is_month
from helpdesk.kit.pages import add_service_errors


@require_GET
@login_required
def month_current(request):
    if not roles.is_customer(request.user):
        raise PermissionDenied("This page is the customer's own month.")
    return redirect("billing_month", month=current_month())


def _month_page(request, *, account, month, status=200, termination_form=None):
    user = request.user
    now = timezone.now()
    summary = selectors.account_month_summary(account=account, month=month)
    misses = list(selectors.month_misses(account=account, month=month))
    states = claim_states.month_claim_states(user=user, misses=misses, summary=summary, now=now)
    for miss in misses:
        miss.state = states.get(miss.pk)
    shortfalls = list(selectors.month_shortfalls(account=account, month=month))
    uptime_cap = (
        selectors.uptime_cap(
            account_id=account.pk, month=month, fee=summary.monthly_fee, currency=summary.currency
        )
        if shortfalls
        else None
    )
    for shortfall in shortfalls:
        shortfall.state = claim_states.shortfall_claim_state(
            shortfall,
            window_months=summary.claim_window_months,
            now=now,
            automatic=summary.compensation == "automatic",
        )
    termination = selectors.open_termination(account=account)
    customer = access.may_request_termination(user, account)
    return render(
        request,
        "billing/month.html",
        {
            "account": account,
            "month": month,
            "month_name": month_label(month),
            "previous_month": shift_month(month, -1),
            "next_month": shift_month(month, 1) if month < current_month(now) else None,
            "summary": summary,
            "misses": misses,
            "counted": [miss for miss in misses if miss.counted],
            "shortfalls": shortfalls,
            "uptime_cap": uptime_cap,
            "vouchers": selectors.month_vouchers(account=account, month=month),
            "invoice": selectors.month_invoice(account=account, month=month),
            "termination": termination,
            "may_request_termination": customer
            and summary.termination_eligible
            and (termination is None or termination.status == "declined"),
            "termination_form": termination_form or TerminationRequestForm(),
            "customer": customer,
            "own_url": account.pk == user.account_id,
        },
        status=status,
    )


@require_GET
@login_required
def month_detail(request, month, account_pk=None):
    """One account's month: misses, claims, vouchers, the cap and how much is used, the termination notice."""
    user = request.user
    if not access.may_read_account_months(user):
        raise PermissionDenied("Your role may not see account months.")
    if account_pk is None:
        if not roles.is_customer(user):
            raise Http404("Choose an account.")
        account_pk = user.account_id
    account = selectors.account_for(user=user, pk=account_pk)
    if not is_month(month):
        return render(request, "billing/month.html", {"account": account, "bad_month": True}, status=400)
    return _month_page(request, account=account, month=month)


@require_POST
@login_required
def termination_request_view(request, month):
    user = request.user
    if not roles.is_customer(user):
        raise PermissionDenied("Only the account's customer may ask for this.")
    account = selectors.account_for(user=user, pk=user.account_id)
    if not is_month(month):
        return render(request, "billing/month.html", {"account": account, "bad_month": True}, status=400)
    form = TerminationRequestForm(request.POST)
    if form.is_valid():
        try:
            termination_request(
                account=account, month=month, requested_by=user, note=form.cleaned_data["note"]
            )
        except ConflictError as exc:
            messages.error(request, exc.message)
            return _month_page(request, account=account, month=month, status=409)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            add_service_errors(form, exc)
            return _month_page(request, account=account, month=month, status=400, termination_form=form)
        messages.success(request, "Termination requested. A billing admin confirms it; we email you.")
        return redirect("billing_month", month=month)
    return _month_page(request, account=account, month=month, status=400, termination_form=form)


# --- termination (billing admins) --------------------------------------------------------------


def _require_termination_decider(user) -> None:
    if not access.may_decide_terminations(user):
        raise PermissionDenied("Only billing admins decide terminations.")


@require_GET
@login_required
def terminations(request):
    user = request.user
    _require_termination_decider(user)
    return render(
        request,
        "billing/terminations.html",
        {
            "flagged": selectors.flagged_months(user=user)[:200],
            "requests": selectors.termination_requests_for(user=user)[:200],
        },
    )


def _decide_termination(request, pk, decide, done: str):
    user = request.user
    _require_termination_decider(user)
    termination = selectors.termination_request_for(user=user, pk=pk)
    form = TerminationDecisionForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            termination = decide(request=termination, actor=user, note=form.cleaned_data["note"])
        except ConflictError as exc:
            messages.error(request, exc.message)
            status = 409
        except ValidationError as exc:
            messages.error(request, " ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()))
        else:
            messages.success(request, done.format(termination=termination))
            return redirect("billing_terminations")
    return render(
        request,
        "billing/terminations.html",
        {
            "flagged": selectors.flagged_months(user=user)[:200],
            "requests": selectors.termination_requests_for(user=user)[:200],
        },
        status=status,
    )


@require_POST
@login_required
def termination_confirm_view(request, pk):
    return _decide_termination(
        request,
        pk,
        termination_confirm,
        "Termination of {termination.account.name} confirmed: the subscription ends on "
        "{termination.ends_on:%Y-%m-%d}, with no termination fee.",
    )


@require_POST
@login_required
def termination_decline_view(request, pk):
    return _decide_termination(
        request, pk, termination_decline, "Termination request of {termination.account.name} declined."
    )


# --- invoices --------------------------------------------------------------------------------
