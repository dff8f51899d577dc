"""Maintenance pages: schedule and cancel windows."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from helpdesk.kit import roles
from helpdesk.kit.errors import ConflictError, ValidationError
from helpdesk.kit.pages import add_service_errors
from sla.uptime import access, selectors
from sla.uptime.forms import MaintenanceForm
from sla.uptime.services import maintenance as maintenance_services
from sla.uptime.views.status import _require

# --- maintenance -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def uptime_maintenance(request):
    user = request.user
    _require(access.may_schedule_maintenance(user), "Only support staff schedule maintenance.")
    accounts = selectors.item_account_choices(user=user)
    items = selectors.items_for(user=user)
    status, refused = 200, False
    if request.method == "POST":
        form = MaintenanceForm(request.POST, accounts=accounts, items=items)
        if form.is_valid():
            try:
                window = maintenance_services.maintenance_schedule(created_by=user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except roles.Denied as exc:
                # An engineer's emergency window: the wrong role, shown on the form.
                form.add_error("kind", str(exc))
                refused = True
            else:
                messages.success(
                    request, f"{window.get_kind_display()} window recorded; the customer is told."
                )
                return redirect("uptime_maintenance")
        status = 403 if refused else 400
    else:
        form = MaintenanceForm(accounts=accounts, items=items)
    windows = selectors.maintenance_windows_for(user=user)[:200]
    return render(
        request,
        "uptime/uptime_maintenance.html",
        {
            "windows": windows,
            "form": form,
            "now": timezone.now(),
        },
        status=status,
    )


@require_POST
@login_required
def uptime_maintenance_cancel(request, pk):
    user = request.user
    _require(access.may_read_uptime(user), "Your role may not see uptime.")
    window = selectors.maintenance_window_for(user=user, pk=pk)
    _require(access.may_schedule_maintenance(user), "Only support staff cancel maintenance.")
    try:
        maintenance_services.maintenance_cancel(window=window, actor=user)
    except ConflictError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Maintenance window cancelled; the customer is told.")
    return redirect("uptime_maintenance")
