"""Ticket pages and the POST actions on a ticket: parse, check access, call one service, answer."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from helpdesk.accounts import selectors as accounts_selectors
from helpdesk.kit import roles
from helpdesk.kit.errors import ConflictError, ValidationError
from helpdesk.kit.pages import add_service_errors
from helpdesk.tickets import access, canned, clock_facts, selectors
from helpdesk.tickets.forms import DowngradeForm, ReplyForm, TicketForm, TransitionForm, UpgradeForm
from helpdesk.tickets.models import TicketStatus
from helpdesk.tickets.services.messages import message_create, ticket_follow_up
from helpdesk.tickets.services.tickets import (
    TRANSITIONS,
    ticket_create,
    ticket_downgrade,
    ticket_start_work,
    ticket_transition,
    ticket_upgrade,
)
from helpdesk.tickets.views.presentation import (
    item_target_rows,
    target_text,
    update_due_html,
    with_labels,
    with_sla,
)
from helpdesk.tickets.views.ratings import rating_context
from sla.terms.models import Priority, Severity

# The buttons a ticket page offers, in order: (target status, label, style).
STAFF_MOVES = [
    (TicketStatus.WAITING_ON_CUSTOMER, "Waiting on customer", "secondary"),
    (TicketStatus.RESOLVED, "Resolve", "primary"),
]
RESOLVED_MOVES = [
    (TicketStatus.CLOSED, "Close ticket", "secondary"),
    (TicketStatus.WORK_STARTED, "Reopen", "secondary"),
]


def _deadline_words(ticket) -> str:
    local = timezone.localtime(ticket.work_started_deadline)
    return date_filter(local, "D j M, H:i T")


# --- new ticket ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def ticket_new(request):
    if not roles.is_customer(request.user):
        raise PermissionDenied("Only customers open tickets here.")
    account = selectors.customer_account(user=request.user)
    terms = accounts_selectors.account_terms(account=account)  # the version its term is pinned to
    uses_severity = terms["uses_severity"]
    items = accounts_selectors.covered_items(account_id=account.pk)
    targets = {key: target_text(seconds) for key, seconds in terms["targets"].items() if ":" not in key}
    status = 200
    if request.method == "POST":
        form = TicketForm(request.POST, request.FILES, uses_severity=uses_severity, items=items)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = ticket_create(
                    account=account,
                    created_by=request.user,
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
                messages.success(
                    request,
                    f"Ticket #{ticket.pk} received. We promise work starts by {_deadline_words(ticket)}.",
                )
                return redirect("ticket_detail", pk=ticket.pk)
        status = 400
    else:
        form = TicketForm(uses_severity=uses_severity, items=items)
    return render(
        request,
        "tickets/ticket_new.html",
        {
            "form": form,
            "account": account,
            "targets": targets,
            "high_target": targets.get(Priority.HIGH),
            "general_target": targets.get(Priority.GENERAL),
            "item_targets": item_target_rows(terms),
            "severities": Severity.labels,
        },
        status=status,
    )


# --- ticket page ---------------------------------------------------------------------


def _filled_canned_replies(user, ticket) -> list:
    replies = list(selectors.canned_replies(user=user))
    for reply in replies:
        reply.filled = canned.fill(reply.body, ticket)
    return replies


def _ticket_page(
    request, ticket, *, status=200, reply_form=None, downgrade_form=None, upgrade_form=None, open_dialog=""
):
    user = request.user
    staff = access.may_work_tickets(user)
    now = timezone.now()
    with_sla([ticket], now)
    if staff:
        moves = [m for m in STAFF_MOVES if m[0] in TRANSITIONS[ticket.status]]
        if ticket.status == TicketStatus.WAITING_ON_CUSTOMER:
            moves.insert(0, (TicketStatus.WORK_STARTED, "Resume work", "secondary"))
    else:
        moves = []
    if ticket.status == TicketStatus.RESOLVED and access.may_close_or_reopen(user, ticket):
        moves = RESOLVED_MOVES
    internal = access.may_post_internal(user)
    return render(
        request,
        "tickets/ticket_detail.html",
        {
            "ticket": ticket,
            "target": target_text(ticket.work_started_target),
            "conversation": selectors.ticket_messages(user=user, ticket=ticket),
            "attachments": selectors.ticket_attachments(user=user, ticket=ticket),
            "history": with_labels(selectors.ticket_events(user=user, ticket=ticket)),
            "may_work": staff,
            "may_start": staff and ticket.status == TicketStatus.NEW,
            "may_downgrade": staff and ticket.priority == Priority.HIGH,
            "may_upgrade": staff and ticket.priority == Priority.GENERAL and ticket.is_open,
            "may_reply": access.may_reply(user, ticket)
            and (ticket.status != TicketStatus.CLOSED or not staff),
            "moves": moves,
            "reply_form": reply_form or ReplyForm(internal_allowed=internal),
            "downgrade_form": downgrade_form or DowngradeForm(),
            "upgrade_form": upgrade_form
            or UpgradeForm(initial={"affected_service": ticket.affected_service}),
            "open_dialog": open_dialog,
            **rating_context(user, ticket),
            "exclusion_periods": clock_facts.periods_touching(ticket=ticket),
            "update_due_html": update_due_html(ticket),
            "update_every": target_text(ticket.promise.get("progress_update_every") or 0),
            "update_lapses": clock_facts.update_lapses(ticket_ids=[ticket.pk]).get(ticket.pk, []),
            "canned_replies": _filled_canned_replies(user, ticket) if staff else [],
        },
        status=status,
    )


@require_http_methods(["GET"])
@login_required
def ticket_detail(request, pk):
    ticket = selectors.ticket_for(user=request.user, pk=pk)
    return _ticket_page(request, ticket)


# --- actions -------------------------------------------------------------------------


def _back(request, ticket):
    """Where an action returns to: a safe local `next`, else the ticket page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("ticket_detail", pk=ticket.pk)


def _perform(request, ticket, action, success: str, *, form=None, dialog=""):
    """Run a service call and answer: redirect on success, 400 / 403 / 409 otherwise."""
    try:
        action()
    except roles.Denied as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValidationError as exc:
        # Errors about a field of the form go next to it; the rest (e.g. "only a High ticket
        # can be downgraded") go in a message, since the form may not even be on the page.
        for field, problems in exc.message_dict.items():
            if form is not None and field in form.fields:
                form.add_error(field, problems)
            else:
                for problem in problems:
                    messages.error(request, problem)
        return _refused(request, ticket, status=400, form=form, dialog=dialog)
    except ConflictError as exc:
        messages.error(request, exc.message)
        return _refused(request, ticket, status=409)
    messages.success(request, success)
    return _back(request, ticket)


def _refused(request, ticket, *, status, form=None, dialog=""):
    ticket = selectors.ticket_for(user=request.user, pk=ticket.pk)
    forms = {}
    if isinstance(form, ReplyForm):
        forms["reply_form"] = form
    elif isinstance(form, DowngradeForm):
        forms["downgrade_form"] = form
    elif isinstance(form, UpgradeForm):
        forms["upgrade_form"] = form
    return _ticket_page(request, ticket, status=status, open_dialog=dialog, **forms)


def _invalid(request, ticket, form, *, dialog=""):
    return _refused(request, ticket, status=400, form=form, dialog=dialog)


@require_POST
@login_required
def ticket_start_work_view(request, pk):
    ticket = selectors.ticket_for(user=request.user, pk=pk)
    return _perform(
        request,
        ticket,
        lambda: ticket_start_work(ticket=ticket, actor=request.user),
        f"Work started on #{ticket.pk}.",
    )


@require_POST
@login_required
def ticket_reply(request, pk):
    ticket = selectors.ticket_for(user=request.user, pk=pk)
    form = ReplyForm(request.POST, request.FILES, internal_allowed=access.may_post_internal(request.user))
    if not form.is_valid():
        return _invalid(request, ticket, form)
    public = form.is_public
    if ticket.status == TicketStatus.CLOSED and not access.may_work_tickets(request.user):
        return _follow_up(request, ticket, form)
    return _perform(
        request,
        ticket,
        lambda: message_create(
            ticket=ticket,
            author=request.user,
            body=form.cleaned_data["body"],
            public=public,
            files=form.cleaned_data["attachments"],
        ),
        "Reply sent." if public else "Internal note added.",
        form=form,
    )


def _follow_up(request, closed, form):
    """A customer's reply to a Closed ticket opens a new ticket linked to it."""
    opened = []
    response = _perform(
        request,
        closed,
        lambda: opened.append(
            ticket_follow_up(
                closed=closed,
                author=request.user,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["attachments"],
            )
        ),
        "That ticket was closed, so your reply opened this new one.",
        form=form,
    )
    return redirect("ticket_detail", pk=opened[0].pk) if opened else response


@require_POST
@login_required
def ticket_transition_view(request, pk):
    ticket = selectors.ticket_for(user=request.user, pk=pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        for problem in form.errors.get("status", []):
            messages.error(request, f"Status: {problem}")
        return _refused(request, ticket, status=400)
    to_status = form.cleaned_data["status"]
    return _perform(
        request,
        ticket,
        lambda: ticket_transition(
            ticket=ticket,
            actor=request.user,
            to_status=to_status,
            reason=form.cleaned_data["reason"],
        ),
        f"#{ticket.pk} is now {TicketStatus(to_status).label.lower()}.",
    )


@require_POST
@login_required
def ticket_downgrade_view(request, pk):
    ticket = selectors.ticket_for(user=request.user, pk=pk)
    if not access.may_work_tickets(request.user):
        raise PermissionDenied("Only support staff can downgrade a ticket.")
    form = DowngradeForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, form, dialog="downgrade-dialog")
    return _perform(
        request,
        ticket,
        lambda: ticket_downgrade(ticket=ticket, actor=request.user, reason=form.cleaned_data["reason"]),
        f"#{ticket.pk} downgraded to General. The customer sees your reason.",
        form=form,
        dialog="downgrade-dialog",
    )


@require_POST
@login_required
def ticket_upgrade_view(request, pk):
    ticket = selectors.ticket_for(user=request.user, pk=pk)
    if not access.may_work_tickets(request.user):
        raise PermissionDenied("Only support staff can upgrade a ticket.")
    form = UpgradeForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, form, dialog="upgrade-dialog")
    return _perform(
        request,
        ticket,
        lambda: ticket_upgrade(
            ticket=ticket,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            affected_service=form.cleaned_data["affected_service"],
        ),
        f"#{ticket.pk} upgraded to High.",
        form=form,
        dialog="upgrade-dialog",
    )
