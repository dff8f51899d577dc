"""Billing pages: invoices (page and PDF), closing a month, recording a payment.

Parse input, check access, call one selector or service, render. Rules live in billing/services.
Another account's object is a 404; a role that may not act is a 403.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from billing import access, pdf, selectors
from billing.forms import (
    CloseMonthForm,
    InvoiceFilterForm,
    MarkPaidForm,
)
from billing.models import Invoice
from billing.services.invoices import invoice_mark_paid, month_close
from billing.services.months import (
    current_month,
    month_label,
    shift_month,
    support_today,
)
from billing.views.common import _page, _query_without_page
from helpdesk.kit import roles
from helpdesk.kit.errors import ConflictError, ValidationError
from helpdesk.kit.pages import add_service_errors


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
