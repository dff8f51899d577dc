"""Workspace actions from the pages: assign a ticket, save a queue view, bulk actions, alerts."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from helpdesk.accounts.services.notifications import queue_alerts_set
from helpdesk.kit import roles
from helpdesk.kit.errors import ConflictError, ValidationError
from helpdesk.tickets import access, selectors
from helpdesk.tickets.forms import AssignForm, QueueFilterForm, SavedViewForm
from helpdesk.tickets.models import TicketStatus
from helpdesk.tickets.services.tickets import ticket_start_work, ticket_transition
from helpdesk.tickets.services.workspace import (
    canned_reply_send,
    saved_view_create,
    saved_view_delete,
    ticket_assign,
)
from helpdesk.tickets.views.pages import form_choices
from helpdesk.tickets.views.tickets import _perform


def _assignee(request, value: str):
    if value == "me":
        return request.user
    if not value:
        return None
    return selectors.engineer_choices().filter(pk=int(value)).first()


@require_POST
@login_required
def ticket_assign_view(request, pk):
    ticket = selectors.ticket_for(user=request.user, pk=pk)
    if not access.may_work_tickets(request.user):
        raise PermissionDenied("Only support staff can assign tickets.")
    form = AssignForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Say who gets the ticket: me, a staff member, or nobody.")
    value = form.cleaned_data["assignee"]
    assignee = _assignee(request, value)
    if value and assignee is None:
        return HttpResponseBadRequest("Tickets can only be assigned to active support staff.")
    done = f"#{ticket.pk} assigned to {assignee.display_name}." if assignee else f"#{ticket.pk} unassigned."
    return _perform(
        request, ticket, lambda: ticket_assign(ticket=ticket, actor=request.user, assignee=assignee), done
    )


@require_POST
@login_required
def saved_view_create_view(request):
    if not access.may_work_tickets(request.user):
        raise PermissionDenied("Only support staff have a queue.")
    form = SavedViewForm(request.POST)
    raw = request.POST.get("query", "")
    filters = QueueFilterForm(
        QueryDict(raw[:2000]), choices=form_choices(selectors.queue_lists(user=request.user))
    )
    if len(raw) > 2000 or not form.is_valid() or not filters.is_valid():
        return HttpResponseBadRequest("Name the view, and save filters the queue accepts.")
    query = {name: str(value) for name, value in filters.filters.items()}
    try:
        saved_view_create(owner=request.user, name=form.cleaned_data["name"], query=query)
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))
    messages.success(request, f"Saved the view “{form.cleaned_data['name']}”.")
    return redirect(f"/queue/?{filters.data.urlencode()}")


@require_POST
@login_required
def saved_view_delete_view(request, pk):
    view = get_object_or_404(selectors.saved_views(user=request.user), pk=pk)
    try:
        saved_view_delete(owner=request.user, view=view)
    except roles.Denied as error:
        raise PermissionDenied(str(error)) from error
    return redirect("queue")


MAX_BULK = 100


@require_POST
@login_required
def queue_bulk_view(request):
    """Assign, start, resolve or answer with a canned reply the selected tickets, each one through
    its own service call (a canned reply is filled in for each ticket)."""
    if not access.may_work_tickets(request.user):
        raise PermissionDenied("Only support staff work the queue.")
    ids = request.POST.getlist("ticket")
    action = request.POST.get("action", "")
    if not ids or len(ids) > MAX_BULK or not all(i.isdigit() and len(i) < 19 for i in ids):
        return HttpResponseBadRequest(f"Select between 1 and {MAX_BULK} tickets.")
    assignee, perform, reply = None, None, None
    if action.startswith("canned:") and action[7:].isdigit() and len(action) < 26:
        reply = selectors.canned_replies(user=request.user).filter(pk=int(action[7:])).first()
        if reply is None:
            return HttpResponseBadRequest("That canned reply no longer exists.")
    elif action == "assign_me":
        assignee = request.user
    elif action.startswith("assign:") and action[7:].isdigit() and len(action) < 26:
        assignee = _assignee(request, action[7:])
        if assignee is None:
            return HttpResponseBadRequest("Tickets can only be assigned to active support staff.")
    elif action not in ("unassign", "start_work", "resolve"):
        return HttpResponseBadRequest("Choose what to do with the selected tickets.")
    tickets = list(
        access.tickets_visible_to(request.user)
        .filter(pk__in=[int(i) for i in ids])
        .select_related("created_by")
        .order_by("pk")
    )
    done, refused = 0, []
    for ticket in tickets:
        if reply is not None:
            perform = lambda t=ticket: canned_reply_send(ticket=t, reply=reply, author=request.user)  # noqa: E731
        elif action == "start_work":
            perform = lambda t=ticket: ticket_start_work(ticket=t, actor=request.user)  # noqa: E731
        elif action == "resolve":
            perform = lambda t=ticket: ticket_transition(  # noqa: E731
                ticket=t, actor=request.user, to_status=TicketStatus.RESOLVED, reason=""
            )
        else:
            perform = lambda t=ticket: ticket_assign(ticket=t, actor=request.user, assignee=assignee)  # noqa: E731
        try:
            perform()
            done += 1
        except (ValidationError, ConflictError, roles.Denied):
            refused.append(f"#{ticket.pk}")
    messages.success(request, f"Done for {done} ticket{'s' if done != 1 else ''}.")
    if refused:
        messages.error(request, f"Not possible for {', '.join(refused)} in its present state.")
    return _back_to(request)


def _back_to(request):
    target = request.POST.get("next", "")
    if target.startswith("/queue/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return redirect(target)
    return redirect("queue")


@require_POST
@login_required
def queue_alerts_view(request):
    """Turn the queue's sound and browser notifications on or off; remembered for the engineer."""
    if not access.may_work_tickets(request.user):
        raise PermissionDenied("Only support staff have a queue.")
    value = request.POST.get("alerts")
    if value not in ("on", "off"):
        return HttpResponseBadRequest("Say alerts=on or alerts=off.")
    alerts = queue_alerts_set(user=request.user, alerts=value == "on")
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"alerts": alerts})
    messages.success(
        request, "Sound and notifications are on." if alerts else "Sound and notifications are off."
    )
    return _back_to(request)
