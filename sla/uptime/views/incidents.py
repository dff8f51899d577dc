"""The staff incident view: downtime corrected, annotated, voided and linked."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from helpdesk.kit.errors import ConflictError, ValidationError
from helpdesk.kit.pages import add_service_errors
from helpdesk.tickets import access as tickets_access
from sla.uptime import access, selectors
from sla.uptime.forms import (
    DowntimeCorrectForm,
    DowntimeRecordForm,
    IncidentFilterForm,
    NoteForm,
    ReasonForm,
    TicketLinkForm,
)
from sla.uptime.services import downtime as downtime_services
from sla.uptime.views.status import INCIDENTS_PER_PAGE, _minutes_text, _require

# --- the staff incident view -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def uptime_incidents(request):
    user = request.user
    _require(access.may_read_incidents(user), "Only support staff see the incident view.")
    accounts = selectors.item_account_choices(user=user)
    items = selectors.items_for(user=user)
    now = timezone.now()
    status = 200
    if request.method == "POST":
        _require(access.may_record_downtime(user), "Only support staff record downtime.")
        record_form = DowntimeRecordForm(request.POST, items=items)
        if record_form.is_valid():
            try:
                downtime = downtime_services.downtime_record(actor=user, **record_form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(record_form, exc)
            except ConflictError as exc:
                record_form.add_error(None, exc.message)
            else:
                messages.success(request, f"Downtime of {downtime.item.name} recorded.")
                return redirect("uptime_incident", downtime.pk)
        status = 400
    else:
        record_form = DowntimeRecordForm(items=items)
    filter_form = IncidentFilterForm(request.GET or None, accounts=accounts)
    filters: dict = {}
    if filter_form.is_bound:
        if filter_form.is_valid():
            data = filter_form.cleaned_data
            filters = {"account": data.get("account"), "month": data.get("month") or ""}
            if data.get("ongoing"):
                filters["open_only"] = data["ongoing"] == "yes"
        else:
            status = 400
    rows = selectors.downtimes_for(user=user, **filters)
    if filter_form.is_bound and not filter_form.is_valid():
        rows = rows.none()
    page = Paginator(rows, INCIDENTS_PER_PAGE).get_page(request.GET.get("page"))
    for downtime in page:
        end = downtime.ends_at or now
        downtime.duration_text = _minutes_text((end - downtime.starts_at).total_seconds() / 60)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "uptime/uptime_incidents.html",
        {
            "page": page,
            "summary": selectors.incident_summary(),
            "filter_form": filter_form,
            "filtered": filter_form.is_bound and any(request.GET.get(name) for name in filter_form.fields),
            "record_form": record_form,
            "query": query.urlencode(),
        },
        status=status,
    )


INCIDENT_ACTIONS = ("correct", "annotate", "void", "link", "unlink")


@require_http_methods(["GET", "POST"])
@login_required
def uptime_incident(request, pk):
    user = request.user
    _require(access.may_read_uptime(user), "Your role may not see uptime.")
    downtime = selectors.downtime_for(user=user, pk=pk)
    _require(access.may_read_incidents(user), "Only support staff see the incident view.")
    forms_by_action = {
        "correct": DowntimeCorrectForm(
            initial={"starts_at": downtime.starts_at, "ends_at": downtime.ends_at}
        ),
        "annotate": NoteForm(initial={"note": downtime.note}),
        "void": ReasonForm(),
        "link": TicketLinkForm(),
    }
    status = 200
    if request.method == "POST":
        _require(access.may_record_downtime(user), "Only support staff edit downtime.")
        action = request.POST.get("action")
        if action not in INCIDENT_ACTIONS:
            return render(
                request,
                "uptime/uptime_incident.html",
                {
                    **_incident_context(user, downtime),
                    "forms": forms_by_action,
                    "action_error": "Choose what to do.",
                },
                status=400,
            )
        form_class = {
            "correct": DowntimeCorrectForm,
            "annotate": NoteForm,
            "void": ReasonForm,
            "link": TicketLinkForm,
            "unlink": TicketLinkForm,
        }[action]
        form = form_class(request.POST)
        forms_by_action[action if action != "unlink" else "link"] = form
        if form.is_valid():
            data = form.cleaned_data
            try:
                _incident_action(user=user, downtime=downtime, action=action, data=data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except ConflictError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    {
                        "correct": "Downtime corrected.",
                        "annotate": "Note saved.",
                        "void": "Downtime voided.",
                        "link": "Ticket linked.",
                        "unlink": "Ticket unlinked.",
                    }[action],
                )
                return redirect("uptime_incident", downtime.pk)
        status = 400
        downtime = selectors.downtime_for(user=user, pk=pk)
    return render(
        request,
        "uptime/uptime_incident.html",
        {
            **_incident_context(user, downtime),
            "forms": forms_by_action,
        },
        status=status,
    )


def _incident_action(*, user, downtime, action: str, data: dict) -> None:
    if action == "correct":
        downtime_services.downtime_correct(
            downtime=downtime,
            actor=user,
            reason=data["reason"],
            starts_at=data["starts_at"],
            ends_at=data.get("ends_at"),
        )
    elif action == "annotate":
        downtime_services.downtime_annotate(downtime=downtime, actor=user, note=data["note"])
    elif action == "void":
        downtime_services.downtime_void(downtime=downtime, actor=user, reason=data["reason"])
    else:
        ticket = tickets_access.tickets_visible_to(user).filter(pk=data["ticket"]).first()
        if ticket is None:
            raise ValidationError({"ticket": ["No such ticket."]})
        downtime_services.downtime_link_ticket(
            downtime=downtime, actor=user, ticket=ticket, linked=action == "link"
        )


EVENT_LABELS = {
    "opened": "Opened by the probe",
    "closed": "Closed",
    "recorded": "Recorded by hand",
    "corrected": "Times corrected",
    "annotated": "Note changed",
    "voided": "Voided",
    "ticket_linked": "Ticket linked",
    "ticket_unlinked": "Ticket unlinked",
}


def _incident_context(user, downtime) -> dict:
    now = timezone.now()
    end = downtime.ends_at or now
    downtime.duration_text = _minutes_text((end - downtime.starts_at).total_seconds() / 60)
    return {
        "downtime": downtime,
        "events": [
            {"event": event, "label": EVENT_LABELS.get(event.code, event.code)}
            for event in selectors.downtime_events(downtime=downtime)
        ],
        "may_edit": access.may_record_downtime(user) and not downtime.voided,
    }
