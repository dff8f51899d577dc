"""The customer portal and the engineer queue."""

from collections import Counter

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from helpdesk.kit import roles
from helpdesk.tickets import access, selectors
from helpdesk.tickets.forms import DowngradeForm, PortalFilterForm, QueueFilterForm
from helpdesk.tickets.views.presentation import with_sla


@require_GET
@login_required
def portal(request):
    if not roles.is_customer(request.user):
        raise PermissionDenied("The portal is for customers.")
    form = PortalFilterForm(request.GET or None)
    show = form.cleaned_data.get("show") if form.is_valid() else "open"
    show = show or "open"
    tickets = selectors.account_tickets(user=request.user, status="open" if show == "open" else "")
    return render(
        request,
        "tickets/portal.html",
        {
            "tickets": with_sla(tickets, timezone.now()),
            "show": show,
        },
    )


@require_GET
@login_required
def queue(request):
    if not access.may_work_tickets(request.user):
        raise PermissionDenied("The queue is for support staff.")
    choices = selectors.queue_filter_choices(user=request.user)
    form = QueueFilterForm(request.GET or None, **choices)
    status = 200
    if not form.is_bound:
        tickets = selectors.queue_page_tickets(user=request.user)
    elif form.is_valid():
        tickets = selectors.queue_page_tickets(user=request.user, filters=form.filters)
    else:
        # An unknown filter value matches nothing, and says which select was wrong.
        tickets, status = [], 400
    rows = with_sla(tickets, timezone.now())
    states = Counter(ticket.sla for ticket in rows)
    return render(
        request,
        "tickets/queue.html",
        {
            "tickets": rows,
            "summary": {
                "open": len(rows),
                "unstarted": sum(ticket.ticking for ticket in rows),
                "at_risk": states["at_risk"],
                "missed": sum(t.ticking for t in rows if t.sla == "missed"),
            },
            "filter_form": form,
            "filtered": form.is_bound and any(request.GET.get(name) for name in form.fields),
            "downgrade_form": DowngradeForm(),
        },
        status=status,
    )
