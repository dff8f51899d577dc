"""The customer portal and the engineer queue: keyset pages, views, search and counters."""

import functools
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from helpdesk.kit import keyset, lightrows, roles
from helpdesk.tickets import access, queue_news, search, selectors
from helpdesk.tickets.forms import DowngradeForm, PortalFilterForm, QueueFilterForm
from helpdesk.tickets.views.presentation import (
    bulk_options_html,
    filter_fields_html,
    portal_rows_html,
    queue_rows_html,
    select_html,
    view_tabs_html,
    with_sla,
)

QUEUE_PAGE_SIZE = 25
PORTAL_PAGE_SIZE = 25


def _page(segments, cursor):
    """A keyset page, or None for a cursor this list never gave out."""
    try:
        return keyset.paginate(segments, cursor=cursor, size=QUEUE_PAGE_SIZE)
    except keyset.BadCursor:
        return None


def _link(query: dict, cursor: str | None) -> str | None:
    return None if cursor is None else "?" + urlencode({**query, "cursor": cursor})


@require_GET
@login_required
def portal(request):
    if not roles.is_customer(request.user):
        raise PermissionDenied("The portal is for customers.")
    form = PortalFilterForm(request.GET or None)
    show = (form.cleaned_data.get("show") if form.is_valid() else "open") or "open"
    tickets = selectors.as_portal_rows(
        selectors.account_tickets(user=request.user, status="open" if show == "open" else "")
    )
    segments = selectors.ordered_segments(tickets, ordering="newest")
    try:
        page = keyset.paginate(segments, cursor=request.GET.get("cursor"), size=PORTAL_PAGE_SIZE)
    except keyset.BadCursor:
        page, status = keyset.Page([], None, None), 400
    else:
        status = 200
    rows = with_sla(page.rows, timezone.now())
    return render(
        request,
        "tickets/portal.html",
        {
            "tickets": rows,
            "rows_html": portal_rows_html(rows, user_id=request.user.pk),
            "show": show,
            "next_url": _link({"show": show}, page.next_cursor),
            "previous_url": _link({"show": show}, page.previous_cursor),
        },
        status=status,
    )


def _default_view(filters: dict) -> str:
    """Open tickets, unless a status or a search asks for tickets in every state."""
    return "all" if filters.get("status") or filters.get("q") else "open"


@require_GET
@login_required
def queue(request):
    if not access.may_work_tickets(request.user):
        raise PermissionDenied("The queue is for support staff.")
    user, now = request.user, timezone.now()
    lists = selectors.queue_lists(user=user)
    form = QueueFilterForm(request.GET or None, choices=form_choices(lists))
    page, status, filters = keyset.Page([], None, None), 200, {}
    if not form.is_bound or form.is_valid():
        filters = form.filters if form.is_bound else {}
        tickets = selectors.workspace_tickets(
            user=user,
            filters={"view": _default_view(filters), **filters},
            now=now,
            # A row shows a snippet of the description only in search results.
            rows=selectors.queue_rows(with_description=bool(filters.get("q"))),
        )
        segments = selectors.ordered_segments(
            tickets,
            ordering=filters.get("ordering") or "deadline",
            searching=bool(filters.get("q")),
            filters={"view": _default_view(filters), **filters},
            build=lightrows.builder(tickets),
        )
        page = _page(segments, request.GET.get("cursor"))
        if page is None:
            page, status = keyset.Page([], None, None), 400
    else:
        # An unknown filter value matches nothing, and says which field was wrong.
        status = 400
    rows = selectors.name_queue_rows(with_sla(page.rows, now), lists=lists)
    if filters.get("q"):
        for ticket in rows:
            ticket.subject_html = search.highlight(ticket.subject, filters["q"])
            ticket.snippet_html = search.highlight(ticket.description, filters["q"], length=140)
    query = {name: value for name, value in request.GET.items() if name != "cursor" and value}
    view = filters.get("view") or _default_view(filters)
    return render(
        request,
        "tickets/queue.html",
        {
            "tickets": rows,
            "rows_html": queue_rows_html(rows, user_id=user.pk),
            "filter_fields_html": filter_fields_html(
                (form[name], select_html(form[name], form.account_choices if name == "account" else None))
                for name in (
                    "status",
                    "priority",
                    "sla_state",
                    "assignee",
                    "tag",
                    "plan",
                    "account",
                    "ordering",
                )
            ),
            "summary": selectors.ticket_counters(user=user, now=now),
            "filter_form": form,
            "searching": bool(filters.get("q")),
            "here": request.get_full_path(),  # where the page's forms come back to
            "filtered": form.is_bound
            and any(request.GET.get(name) for name in form.fields if name != "view"),
            "view": view,
            "view_tabs_html": view_tabs_html(
                [
                    (key, label, "?" + urlencode({**query, "view": key}))
                    for key, label in selectors.VIEWS.items()
                ],
                view,
                lists["saved"],
            ),
            "query_string": urlencode(query),
            "next_url": _link(query, page.next_cursor),
            "previous_url": _link(query, page.previous_cursor),
            "downgrade_field_html": downgrade_field_html(),
            "bulk_options_html": bulk_options_html(tuple(choices_for_assign(form)), tuple(lists["canned"])),
        },
        status=status,
    )


def form_choices(lists: dict) -> dict:
    """The filter form's choices made from the queue's kept lists, once per lists (kept with them)."""
    return lists.get("form_choices") or lists.setdefault(
        "form_choices",
        QueueFilterForm.prepare_choices(views=list(selectors.VIEWS.items()), **lists["choices"]),
    )


@functools.lru_cache(maxsize=1)
def downgrade_field_html() -> SafeString:
    """The downgrade dialog's reason field: an unbound form's, the same on every page (written once)."""
    return render_to_string("partials/field.html", {"field": DowngradeForm()["reason"]})


def choices_for_assign(form) -> list:
    """(id, name) of the staff a row can be handed to, from the choices the filter form already holds."""
    return [(value, label) for value, label in form.fields["assignee"].choices if value.isdigit()]


@require_GET
@login_required
def queue_counters(request):
    """The header figures, the newest open ticket and what the apps above add (waiting chats, the
    newest of them), polled by the queue page to stay live and to announce arrivals."""
    if not access.may_work_tickets(request.user):
        raise PermissionDenied("The queue is for support staff.")
    now = timezone.now()
    return JsonResponse(
        {
            **selectors.ticket_counters(user=request.user, now=now, fresh=True),
            **queue_news.news(user=request.user),
            "at": now.isoformat(),
        }
    )
