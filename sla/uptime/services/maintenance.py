"""Maintenance windows: agreed in advance, or declared as an emergency, and cancelled."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from helpdesk.accounts.models import Account, MonitoredItem, User
from helpdesk.kit import roles
from helpdesk.kit.enqueue import enqueue_after_commit
from helpdesk.kit.errors import ConflictError, ValidationError
from helpdesk.kit.validation import clean_text
from sla.clocks.models import ExclusionKind
from sla.clocks.services.exclusions import exclusion_create
from sla.uptime import access, notifications
from sla.uptime.models import MaintenanceKind, MaintenanceWindow
from sla.uptime.services.assessment import _assess_span
from sla.uptime.services.common import EARLIEST, FURTHEST_AHEAD, LONGEST_WINDOW, TEXT_MAX, _add, _aware

# --- maintenance windows ------------------------------------------------------------------------------


def _notify_maintenance(window: MaintenanceWindow, change: str) -> None:

    enqueue_after_commit(notifications.notify_maintenance, window.pk, change)


@transaction.atomic
def maintenance_schedule(
    *,
    created_by: User,
    account: Account,
    kind: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    item: MonitoredItem | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> MaintenanceWindow:
    """Agree a maintenance window in advance (scheduled), or record an emergency one after the fact.

    Support staff schedule; an emergency window is a billing admin's, with a note saying why.

    A scheduled window must be created before it starts; its minutes leave the item's month. An
    emergency window becomes an exclusion period of kind emergency_maintenance for the account,
    and SPEC's exclusion rules take it from there (misses and uptime alike).
    """

    now = now or timezone.now()
    roles.require(access.may_schedule_maintenance(created_by), "Only support staff schedule maintenance.")
    if kind == MaintenanceKind.EMERGENCY:
        roles.require(
            access.may_declare_emergency_maintenance(created_by),
            "Only billing admins record emergency maintenance: it is an exclusion period.",
        )
    errors: dict[str, list] = {}
    if kind not in MaintenanceKind.values:
        _add(errors, "kind", f"Choose one of: {', '.join(MaintenanceKind.values)}.")
    starts_at = _aware(starts_at, "starts_at", errors)
    ends_at = _aware(ends_at, "ends_at", errors)
    note = clean_text(note, field="note", max_length=TEXT_MAX, errors=errors, required=False)
    if item is not None and item.account_id != account.pk:
        _add(errors, "item", "The item belongs to another account.")
    if starts_at is not None and ends_at is not None:
        if starts_at < EARLIEST or starts_at > now + FURTHEST_AHEAD:
            _add(errors, "starts_at", "Out of range: from 2000 to a year from now.")
        elif ends_at <= starts_at:
            _add(errors, "ends_at", "Must be after the start.")
        elif ends_at - starts_at > LONGEST_WINDOW:
            _add(errors, "ends_at", "A maintenance window may last at most 31 days.")
        elif kind == MaintenanceKind.SCHEDULED and starts_at <= now:
            _add(
                errors,
                "starts_at",
                "A scheduled window is agreed before it starts; record an emergency window instead.",
            )
        elif kind == MaintenanceKind.EMERGENCY and starts_at > now:
            _add(errors, "starts_at", "An emergency window has begun already; schedule future work instead.")
    if kind == MaintenanceKind.EMERGENCY and not note:
        # Declared after it began, it excuses failures: the billing admin says why (issue 11).
        _add(errors, "note", "Say why: an emergency window is declared after it began and needs a note.")
    if errors:
        raise ValidationError(errors)
    window = MaintenanceWindow(
        account=account,
        item=item,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        note=note,
        created_by=created_by,
        created_at=now,
    )
    if kind == MaintenanceKind.EMERGENCY:
        what = f"Emergency maintenance of {item.name}" if item else "Emergency maintenance"
        window.exclusion_period = exclusion_create(
            created_by=created_by,
            kind=ExclusionKind.EMERGENCY_MAINTENANCE,
            starts_at=starts_at,
            ends_at=ends_at,
            account=account,
            note=f"{what}. {note}".strip()[:TEXT_MAX],
        )
    window.save()
    # Even a window still to come changes the current month's counted minutes, so its figures.
    _assess_span(account_id=account.pk, start=starts_at, end=ends_at, now=now)
    _notify_maintenance(window, "scheduled" if kind == MaintenanceKind.SCHEDULED else "emergency")
    return window


@transaction.atomic
def maintenance_cancel(
    *, window: MaintenanceWindow, actor: User, now: dt.datetime | None = None
) -> MaintenanceWindow:
    """Call off a scheduled window before it starts (the customer is told). Begun or emergency: 409."""
    roles.require(access.may_schedule_maintenance(actor), "Only support staff cancel maintenance.")
    now = now or timezone.now()
    window = MaintenanceWindow.objects.select_for_update().get(pk=window.pk)
    if window.cancelled:
        raise ConflictError("This window is already cancelled.", code="already_cancelled")
    if window.kind != MaintenanceKind.SCHEDULED:
        raise ConflictError(
            "An emergency window is an exclusion period: cancel that period instead.", code="emergency"
        )
    if window.starts_at <= now:
        raise ConflictError("This window has begun: it can no longer be cancelled.", code="begun")
    window.cancelled_at, window.cancelled_by = now, actor
    window.save(update_fields=["cancelled_at", "cancelled_by"])
    _assess_span(account_id=window.account_id, start=window.starts_at, end=window.ends_at, now=now)
    _notify_maintenance(window, "cancelled")
    return window
