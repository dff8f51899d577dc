"""The monthly SLA statement page: the same numbers as the API's statement."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from billing import access, selectors
from billing.documents import statement_pdf
from billing.services.months import month_label
from billing.statements import statement_data
from helpdesk.kit.months import is_month


@require_GET
@login_required
def statement_view(request, account_pk, month):
    user = request.user
    if not access.may_read_money(user):
        raise PermissionDenied("Only billing admins and the account's customers see statements.")
    account = selectors.account_for(user=user, pk=account_pk)
    if not is_month(month):
        raise Http404("Not a month.")
    data = statement_data(account=account, month=month, user=user, now=timezone.now())
    return render(request, "billing/statement.html", {"s": data, "month_name": month_label(month)})


@require_GET
@login_required
def statement_pdf_view(request, account_pk, month):
    user = request.user
    if not access.may_read_money(user):
        raise PermissionDenied("Only billing admins and the account's customers see statements.")
    account = selectors.account_for(user=user, pk=account_pk)
    if not is_month(month):
        raise Http404("Not a month.")
    data = statement_data(account=account, month=month, user=user, now=timezone.now())
    response = HttpResponse(
        statement_pdf(data, month_name=month_label(month)), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="statement-{account.pk}-{month}.pdf"'
    return response
