"""Billing pages: claims and their review, the customer's month, termination, invoices (page and PDF).

Parse input, check access, call one selector or service, render. Rules live in billing/services.
Another account's object is a 404; a role that may not act is a 403.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing import access, claim_states, money, pdf, selectors
from billing.forms import (
    ClaimFilterForm,
    ClaimOpenForm,
    CloseMonthForm,
    DenyForm,
    InvoiceFilterForm,
    MarkPaidForm,
    TerminationDecisionForm,
    TerminationRequestForm,
)
from billing.models import Claim, ClaimStatus, DecisionReason, Invoice
from billing.services.claims import claim_approve, claim_deny, claim_open, claim_open_uptime
from billing.services.invoices import invoice_mark_paid, month_close
from billing.services.months import (
    current_month,
    month_label,
    shift_month,
    support_today,
    window_closes_label,
)
from billing.services.terminations import termination_confirm, termination_decline, termination_request
from helpdesk.kit import roles
from helpdesk.kit.errors import ConflictError, ValidationError
from helpdesk.kit.months import is_month
from helpdesk.kit.pages import add_service_errors
from helpdesk.tickets.views.presentation import with_labels

PER_PAGE = 50
CLAIM_BADGES = {
    ClaimStatus.PENDING: "badge--status-new",
    ClaimStatus.APPROVED: "badge--status-resolved",
    ClaimStatus.DENIED: "badge--priority-high",
}


def _page(request, rows):
    return Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- claims ---------------------------------------------------------------------------------


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


def _invoices_page(request, *, status=200, close_form=None):
    user = request.user
    form = InvoiceFilterForm(request.GET or None)
    filters = {}
    if form.is_bound:
        if form.is_valid():
            filters = {name: value for name, value in form.cleaned_data.items() if value}
        else:
            status = 400
    rows = (
        selectors.invoices_for(user=user, today=support_today(), **filters)
        if form.is_valid() or not form.is_bound
        else Invoice.objects.none()
    )
    may_close = access.may_close_months(user)
    return render(
        request,
        "billing/invoices.html",
        {
            "page": _page(request, rows),
            "filter_form": form,
            "filtered": bool(filters),
            "show_account": roles.is_billing_admin(user),
            "close_form": close_form
            or (CloseMonthForm(initial={"month": shift_month(current_month(), -1)}) if may_close else None),
            "today": support_today(),
            "query": _query_without_page(request),
        },
        status=status,
    )


def _require_money_reader(user) -> None:
    if not access.may_read_money(user):
        raise PermissionDenied("Only billing admins and the account's customers see invoices.")


@require_GET
@login_required
def invoices(request):
    _require_money_reader(request.user)
    return _invoices_page(request)


@require_POST
@login_required
def close_month_view(request):
    user = request.user
    if not access.may_close_months(user):
        raise PermissionDenied("Only billing admins close months.")
    form = CloseMonthForm(request.POST)
    if form.is_valid():
        month = form.cleaned_data["month"]
        try:
            result = month_close(month=month, actor=user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except ConflictError as exc:
            form.add_error("month", exc.message)
            return _invoices_page(request, status=409, close_form=form)
        else:
            messages.success(
                request,
                f"{month_label(month)} closed: {result.issued} invoice{pluralize(result.issued)} issued"
                + (f", {result.already_issued} issued before." if result.already_issued else "."),
            )
            return redirect(f"{reverse('billing_invoices')}?month={month}")
    return _invoices_page(request, status=400, close_form=form)


@require_GET
@login_required
def invoice_detail(request, pk):
    user = request.user
    _require_money_reader(user)
    invoice = selectors.invoice_for(user=user, pk=pk)
    return render(
        request,
        "billing/invoice_detail.html",
        {
            "invoice": invoice,
            "lines": invoice.lines.all(),
            "overdue": invoice.paid_at is None and invoice.due_on < support_today(),
            "may_mark_paid": access.may_mark_invoices_paid(user) and invoice.paid_at is None,
        },
    )


@require_GET
@login_required
def invoice_pdf_view(request, pk):
    user = request.user
    _require_money_reader(user)
    invoice = selectors.invoice_for(user=user, pk=pk)
    body = pdf.invoice_pdf(
        invoice=invoice,
        lines=list(invoice.lines.all()),
        account_name=invoice.account.name,
        zone=timezone.get_current_timezone(),
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="pledge-invoice-{invoice.pk}-{invoice.month}.pdf"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@login_required
def invoice_paid_view(request, pk):
    user = request.user
    _require_money_reader(user)
    invoice = selectors.invoice_for(user=user, pk=pk)
    if not access.may_mark_invoices_paid(user):
        raise PermissionDenied("Only billing admins record payments.")
    form = MarkPaidForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("paid_at", ["Give a valid time."])))
        return redirect("billing_invoice", pk=invoice.pk)
    try:
        invoice_mark_paid(invoice=invoice, actor=user, paid_at=form.cleaned_data.get("paid_at"))
    except ConflictError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Invoice #{invoice.pk} marked paid.")
    return redirect("billing_invoice", pk=invoice.pk)
