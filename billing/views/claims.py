"""Billing pages: claims, their review, and the customer's application.

Parse input, check access, call one selector or service, render. Rules live in billing/services.
Another account's object is a 404; a role that may not act is a 403.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing import access, automatic, claim_states, money, selectors
from billing.forms import (
    ClaimFilterForm,
    ClaimOpenForm,
    DenyForm,
    DisputeForm,
)
from billing.models import Claim, ClaimStatus, DecisionReason
from billing.services.claims import claim_approve, claim_deny, claim_open, claim_open_uptime
from billing.services.disputes import dispute_open
from billing.services.months import (
    window_closes_label,
)
from billing.views.common import CLAIM_BADGES, _page, _query_without_page
from helpdesk.kit import roles
from helpdesk.kit.errors import ConflictError, ValidationError
from helpdesk.kit.pages import add_service_errors
from helpdesk.tickets.views.presentation import with_labels


@require_GET
@login_required
def claims(request):
    """Billing admins: the review queue (pending, oldest first). Customers: their claims. Engineers read."""
    user = request.user
    if not access.may_read_claims(user):
        raise PermissionDenied("Your role may not see claims.")
    queue = access.may_decide_claims(user)
    form = ClaimFilterForm(request.GET or None, initial={"status": ClaimStatus.PENDING if queue else ""})
    status, filters = 200, {"status": ClaimStatus.PENDING} if queue else {}
    if form.is_bound:
        if form.is_valid():
            filters = {name: value for name, value in form.cleaned_data.items() if value}
        else:
            status = 400
    rows = (
        selectors.claims_for(user=user, now=timezone.now(), **filters)
        if status == 200
        else Claim.objects.none()
    )
    page = _page(request, rows)
    for claim in page:
        claim.badge = CLAIM_BADGES[claim.status]
        proposed = selectors.proposed_reason(claim)
        claim.proposed = DecisionReason(proposed).label if proposed else ""
        claim.issued_voucher = selectors.voucher_of(claim)
    return render(
        request,
        "billing/claims.html",
        {
            "automatic": automatic.automatic_credits(user=user, now=timezone.now()),
            "page": page,
            "filter_form": form,
            "queue": queue and filters.get("status") == ClaimStatus.PENDING,
            "show_account": roles.is_staff(user),
            "query": _query_without_page(request),
        },
        status=status,
    )


def _claim_page(request, claim, *, status=200, deny_form=None):
    user = request.user
    review = selectors.claim_review(claim=claim, now=timezone.now()) if roles.is_staff(user) else None
    may_decide = access.may_decide_claims(user) and claim.status == ClaimStatus.PENDING
    if deny_form is None and may_decide:
        deny_form = DenyForm(initial={"reason": review.proposed_reason} if review else None)
    voucher = selectors.voucher_of(claim)
    return render(
        request,
        "billing/claim_detail.html",
        {
            "claim": claim,
            "badge": CLAIM_BADGES[claim.status],
            "voucher": voucher,
            "review": review,
            "history": with_labels(review.events) if review else [],
            "may_decide": may_decide,
            "deny_form": deny_form,
            "staff": roles.is_staff(user),
        },
        status=status,
    )


@require_GET
@login_required
def claim_detail(request, pk):
    if not access.may_read_claims(request.user):
        raise PermissionDenied("Your role may not see claims.")
    return _claim_page(request, selectors.claim_for(user=request.user, pk=pk, now=timezone.now()))


def _open_claim(request, open_claim, existing, fallback: str) -> tuple[ClaimOpenForm, HttpResponse | None]:
    """Handle a claim form: on success (or a claim made meanwhile) the redirect to it, else the form."""
    if request.method != "POST":
        return ClaimOpenForm(), None
    form = ClaimOpenForm(request.POST)
    if form.is_valid():
        try:
            claim = open_claim(form.cleaned_data["note"])
        except ConflictError as exc:
            messages.info(request, exc.message)
            claim = existing.first()
            return form, redirect("billing_claim", pk=claim.pk) if claim else redirect(fallback)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"Claim #{claim.pk} received. A billing admin reviews it; we email you the decision."
            )
            return form, redirect("billing_claim", pk=claim.pk)
    return form, None


@require_http_methods(["GET", "POST"])
@login_required
def claim_new(request, miss_pk):
    """The customer's "Claim compensation": what the claim is for, an optional note, submit."""
    user = request.user
    if not access.may_open_claims(user):
        raise PermissionDenied("Compensation is applied for by the customer.")
    misses = selectors.claimable_misses(user=user).select_related("ticket", "account", "voided_by")
    miss = get_object_or_404(misses, pk=miss_pk)
    form, done = _open_claim(
        request,
        lambda note: claim_open(miss=miss, created_by=user, note=note),
        Claim.objects.filter(miss=miss),
        "misses",
    )
    if done:
        return done
    summary = selectors.account_month_summary(account=miss.account, month=miss.month)
    states = claim_states.claim_states(user=user, misses=[miss], now=timezone.now())
    return render(
        request,
        "billing/claim_new.html",
        {
            "miss": miss,
            "form": form,
            "summary": summary,
            "state": states.get(miss.pk),
            "expected": money.percent_of(summary.monthly_fee, summary.voucher_percent, summary.currency),
            "window_closes": window_closes_label(month=miss.month, window_months=summary.claim_window_months),
        },
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def claim_new_uptime(request, shortfall_pk):
    """The customer's "Claim the uptime credit" for one item's month below its guarantee."""
    user = request.user
    if not access.may_open_claims(user):
        raise PermissionDenied("Compensation is applied for by the customer.")
    shortfalls = selectors.claimable_shortfalls(user=user).select_related("item", "account", "claim")
    shortfall = get_object_or_404(shortfalls, pk=shortfall_pk)
    form, done = _open_claim(
        request,
        lambda note: claim_open_uptime(shortfall=shortfall, created_by=user, note=note),
        Claim.objects.filter(shortfall=shortfall),
        "uptime",
    )
    if done:
        return done
    summary = selectors.account_month_summary(account=shortfall.account, month=shortfall.month)
    return render(
        request,
        "billing/claim_new.html",
        {
            "shortfall": shortfall,
            "form": form,
            "summary": summary,
            "state": claim_states.shortfall_claim_state(
                shortfall,
                window_months=summary.claim_window_months,
                now=timezone.now(),
                automatic=summary.compensation == "automatic",
            ),
            "expected": money.percent_of(
                summary.monthly_fee, min(shortfall.credit_percent_requested, 100), summary.currency
            ),
            "uptime_cap": selectors.uptime_cap(
                account_id=shortfall.account_id,
                month=shortfall.month,
                fee=summary.monthly_fee,
                currency=summary.currency,
            ),
            "window_closes": window_closes_label(
                month=shortfall.month, window_months=summary.claim_window_months
            ),
        },
        status=400 if form.is_bound else 200,
    )


def _decidable(request, pk) -> Claim:
    claim = selectors.claim_for(user=request.user, pk=pk, now=timezone.now())
    if not access.may_decide_claims(request.user):
        raise PermissionDenied("Only billing admins decide claims.")
    return claim


@require_POST
@login_required
def claim_approve_view(request, pk):
    claim = _decidable(request, pk)
    try:
        claim = claim_approve(claim=claim, actor=request.user)
    except ConflictError as exc:
        messages.error(request, exc.message)
        return _claim_page(
            request, selectors.claim_for(user=request.user, pk=pk, now=timezone.now()), status=409
        )
    voucher = claim.voucher
    amount = f"{money.format_amount(voucher.amount, voucher.currency)} {voucher.currency}"
    messages.success(
        request,
        f"Claim #{claim.pk} approved: voucher of {amount} issued"
        + (" (capped: the month’s cap is reached)." if voucher.capped else "."),
    )
    return redirect("billing_claims")


@require_POST
@login_required
def claim_deny_view(request, pk):
    claim = _decidable(request, pk)
    form = DenyForm(request.POST)
    if form.is_valid():
        try:
            claim = claim_deny(claim=claim, actor=request.user, **form.cleaned_data)
        except ConflictError as exc:
            messages.error(request, exc.message)
            return _claim_page(request, claim, status=409)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Claim #{claim.pk} denied: {claim.get_decision_reason_display()}.")
            return redirect("billing_claims")
    return _claim_page(request, claim, status=400, deny_form=form)


# --- the customer's month --------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def dispute_new(request, ticket_pk):
    """The customer's "Dispute": a failure on this ticket that Pledge did not record, for review."""
    user = request.user
    if not access.may_open_claims(user):
        raise PermissionDenied("A dispute is opened by the account's customer.")
    ticket = get_object_or_404(automatic.disputable_tickets(user=user), pk=ticket_pk)
    form, status = DisputeForm(), 200
    if request.method == "POST":
        form, status = DisputeForm(request.POST), 400
        if form.is_valid():
            try:
                claim = dispute_open(ticket=ticket, created_by=user, note=form.cleaned_data["note"])
            except ConflictError as exc:
                form.add_error(None, exc.message)
                status = 409
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"Dispute #{claim.pk} received. A billing admin reviews it; we email you the decision.",
                )
                return redirect("billing_claim", pk=claim.pk)
    return render(request, "billing/dispute_new.html", {"ticket": ticket, "form": form}, status=status)
