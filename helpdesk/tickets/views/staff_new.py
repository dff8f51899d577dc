"""Staff open a ticket on a customer's behalf: choose the account, then the requester and the request."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from helpdesk.accounts import selectors as accounts_selectors
from helpdesk.kit import roles
from helpdesk.kit.errors import ValidationError
from helpdesk.kit.pages import add_service_errors
from helpdesk.tickets import access, selectors
from helpdesk.tickets.forms import StaffTicketForm
from helpdesk.tickets.services.workspace import ticket_open_for_customer
from helpdesk.tickets.views.presentation import target_text
from sla.terms.models import Priority


def _account_param(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) <= 18 else None


@require_http_methods(["GET", "POST"])
@login_required
def staff_ticket_new(request):
    """Without `?account=` the page lists the accounts; with it, the form for that account.

    The form offers only that account's active customers as requesters and its active covered
    items; the service checks both again (another account's item is a 400 naming `item`).
    """
    if not access.may_work_tickets(request.user):
        raise PermissionDenied("Only support staff open tickets for customers.")
    raw = request.GET.get("account", "")
    if not raw:
        accounts = accounts_selectors.active_accounts()
        return render(request, "tickets/staff_ticket_new.html", {"accounts": accounts, "account": None})
    pk = _account_param(raw)
    if pk is None:
        return render(
            request,
            "tickets/staff_ticket_new.html",
            {"accounts": accounts_selectors.active_accounts(), "account": None, "bad_account": True},
            status=400,
        )
    account = selectors.account_for_staff(user=request.user, pk=pk)
    items = accounts_selectors.covered_items(account_id=account.pk)
    requesters = selectors.requester_choices(account=account)
    terms = accounts_selectors.account_terms(account=account)  # the version its term is pinned to
    options = {"uses_severity": terms["uses_severity"], "items": items, "requesters": requesters}
    status = 200
    if request.method == "POST":
        form = StaffTicketForm(request.POST, request.FILES, **options)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = ticket_open_for_customer(
                    actor=request.user,
                    account=account,
                    requester=data["requester"],
                    channel=data["channel"],
                    subject=data["subject"],
                    description=data["description"],
                    priority=data["priority"],
                    severity=data.get("severity", ""),
                    service_unavailable=data["service_unavailable"],
                    affected_service=data["affected_service"],
                    item=data.get("item"),
                    files=data["attachments"],
                )
            except roles.Denied as exc:
                raise PermissionDenied(str(exc)) from exc
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Ticket #{ticket.pk} opened for {data['requester'].display_name}.")
                return redirect("ticket_detail", pk=ticket.pk)
        status = 400
    else:
        form = StaffTicketForm(**options)
    targets = {key: target_text(seconds) for key, seconds in terms["targets"].items() if ":" not in key}
    return render(
        request,
        "tickets/staff_ticket_new.html",
        {
            "form": form,
            "account": account,
            "high_target": targets.get(Priority.HIGH),
            "general_target": targets.get(Priority.GENERAL),
        },
        status=status,
    )
