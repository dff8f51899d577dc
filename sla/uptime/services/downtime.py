"""Downtime recorded, corrected, annotated, voided and linked to tickets by hand."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from helpdesk.accounts.models import MonitoredItem, User
from helpdesk.kit import roles
from helpdesk.kit.errors import ConflictError, ValidationError, field_error
from helpdesk.kit.validation import clean_text
from helpdesk.tickets.models import Ticket
from sla.uptime import access
from sla.uptime import measure as uptime
from sla.uptime.models import Downtime, DowntimeEvent, DowntimeSource
from sla.uptime.services.assessment import _assess_span
from sla.uptime.services.common import _UNSET, EARLIEST, LONGEST_DOWNTIME, TEXT_MAX, _add, _aware

# --- downtime by hand ----------------------------------------------------------------------------------


def _event(downtime: Downtime, code: str, actor: User | None, at: dt.datetime, **data) -> DowntimeEvent:
    return DowntimeEvent.objects.create(downtime=downtime, code=code, actor=actor, at=at, data=data)


def _validate_span(
    *, starts_at, ends_at, now: dt.datetime, errors: dict
) -> tuple[dt.datetime | None, dt.datetime | None]:
    starts_at = _aware(starts_at, "starts_at", errors)
    ends_at = _aware(ends_at, "ends_at", errors, required=False)
    if starts_at is not None:
        starts_at = uptime.floor_minute(starts_at)
        if starts_at < EARLIEST:
            _add(errors, "starts_at", "Out of range: from 2000 on.")
        elif starts_at > now:
            _add(errors, "starts_at", "Downtime is recorded once it has begun, not ahead of time.")
    if ends_at is not None:
        ends_at = uptime.floor_minute(ends_at)
        if ends_at > uptime.floor_minute(now) + uptime.ONE_MINUTE:
            _add(errors, "ends_at", "Cannot end in the future; leave it empty while the downtime lasts.")
        elif starts_at is not None and "starts_at" not in errors:
            if ends_at <= starts_at:
                _add(errors, "ends_at", "Must be at least a minute after the start.")
            elif ends_at - starts_at > LONGEST_DOWNTIME:
                _add(errors, "ends_at", "A downtime record may last at most 366 days.")
    return starts_at, ends_at


def _lock_downtime(downtime: Downtime) -> Downtime:
    return Downtime.objects.select_for_update().select_related("item").get(pk=downtime.pk)


@transaction.atomic
def downtime_record(
    *,
    item: MonitoredItem,
    actor: User,
    starts_at: dt.datetime,
    ends_at: dt.datetime | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Downtime:
    """Staff record a downtime by hand (to the minute); an open one (no end) lasts until corrected."""
    roles.require(access.may_record_downtime(actor), "Only support staff record downtime.")
    now = now or timezone.now()
    errors: dict[str, list] = {}
    starts_at, ends_at = _validate_span(starts_at=starts_at, ends_at=ends_at, now=now, errors=errors)
    note = clean_text(note, field="note", max_length=TEXT_MAX, errors=errors, required=False)
    if errors:
        raise ValidationError(errors)
    item = MonitoredItem.objects.select_for_update().get(pk=item.pk)
    already_open = Downtime.objects.filter(item=item, ends_at__isnull=True, voided_at__isnull=True)
    if ends_at is None and already_open.exists():
        raise ConflictError("This item already has an open downtime: correct that one.", code="already_open")
    downtime = Downtime.objects.create(
        item=item,
        account_id=item.account_id,
        starts_at=starts_at,
        ends_at=ends_at,
        source=DowntimeSource.MANUAL,
        note=note,
        created_by=actor,
        created_at=now,
    )
    _event(
        downtime,
        "recorded",
        actor,
        now,
        starts_at=starts_at.isoformat(),
        ends_at=ends_at.isoformat() if ends_at else None,
        note=note,
    )
    _assess_span(account_id=item.account_id, start=starts_at, end=ends_at or now, now=now)
    return downtime


@transaction.atomic
def downtime_correct(
    *,
    downtime: Downtime,
    actor: User,
    reason: str,
    starts_at=_UNSET,
    ends_at=_UNSET,
    now: dt.datetime | None = None,
) -> Downtime:
    """Move a downtime's start or end (or close an open one), saying why."""
    roles.require(access.may_record_downtime(actor), "Only support staff correct downtime.")
    now = now or timezone.now()
    downtime = _lock_downtime(downtime)
    if downtime.voided:
        raise ConflictError("This downtime was voided; record a new one instead.", code="voided")
    errors: dict[str, list] = {}
    reason = clean_text(reason, field="reason", max_length=TEXT_MAX, errors=errors)
    new_start = downtime.starts_at if starts_at is _UNSET else starts_at
    new_end = downtime.ends_at if ends_at is _UNSET else ends_at
    new_start, new_end = _validate_span(starts_at=new_start, ends_at=new_end, now=now, errors=errors)
    if errors:
        raise ValidationError(errors)
    if (
        new_end is None
        and downtime.ends_at is not None
        and Downtime.objects.filter(
            item_id=downtime.item_id, ends_at__isnull=True, voided_at__isnull=True
        ).exists()
    ):
        raise ConflictError("The item already has an open downtime.", code="already_open")
    old_start, old_end = downtime.starts_at, downtime.ends_at
    if (new_start, new_end) == (old_start, old_end):
        return downtime
    downtime.starts_at, downtime.ends_at = new_start, new_end
    downtime.save(update_fields=["starts_at", "ends_at"])
    _event(
        downtime,
        "corrected",
        actor,
        now,
        reason=reason,
        was={"starts_at": old_start.isoformat(), "ends_at": old_end.isoformat() if old_end else None},
        now={"starts_at": new_start.isoformat(), "ends_at": new_end.isoformat() if new_end else None},
    )
    _assess_span(
        account_id=downtime.account_id,
        start=min(old_start, new_start),
        end=max(old_end or now, new_end or now),
        now=now,
    )
    return downtime


@transaction.atomic
def downtime_annotate(
    *, downtime: Downtime, actor: User, note: str, now: dt.datetime | None = None
) -> Downtime:
    roles.require(access.may_record_downtime(actor), "Only support staff annotate downtime.")
    now = now or timezone.now()
    errors: dict[str, list] = {}
    note = clean_text(note, field="note", max_length=TEXT_MAX, errors=errors, required=False)
    if errors:
        raise ValidationError(errors)
    downtime = _lock_downtime(downtime)
    if note == downtime.note:
        return downtime
    was, downtime.note = downtime.note, note
    downtime.save(update_fields=["note"])
    _event(downtime, "annotated", actor, now, was=was, note=note)
    return downtime


@transaction.atomic
def downtime_edit(
    *,
    downtime: Downtime,
    actor: User,
    reason: str = "",
    starts_at=_UNSET,
    ends_at=_UNSET,
    note=_UNSET,
    now: dt.datetime | None = None,
) -> Downtime:
    """One edit from a form or the API: a correction of its times (with a reason) and/or a new note,
    each its own event, all or nothing."""
    roles.require(access.may_record_downtime(actor), "Only support staff edit downtime.")
    if starts_at is not _UNSET or ends_at is not _UNSET:
        downtime = downtime_correct(
            downtime=downtime, actor=actor, reason=reason, starts_at=starts_at, ends_at=ends_at, now=now
        )
    if note is not _UNSET:
        downtime = downtime_annotate(downtime=downtime, actor=actor, note=note, now=now)
    return downtime


@transaction.atomic
def downtime_void(
    *, downtime: Downtime, actor: User, reason: str, now: dt.datetime | None = None
) -> Downtime:
    """A record made in error stops counting; it stays, with who voided it and why."""
    roles.require(access.may_record_downtime(actor), "Only support staff void downtime.")
    now = now or timezone.now()
    errors: dict[str, list] = {}
    reason = clean_text(reason, field="reason", max_length=TEXT_MAX, errors=errors)
    if errors:
        raise ValidationError(errors)
    downtime = _lock_downtime(downtime)
    if downtime.voided:
        raise ConflictError("This downtime is already voided.", code="already_voided")
    downtime.voided_at, downtime.voided_by, downtime.void_reason = now, actor, reason
    downtime.save(update_fields=["voided_at", "voided_by", "void_reason"])
    _event(downtime, "voided", actor, now, reason=reason)
    _assess_span(
        account_id=downtime.account_id, start=downtime.starts_at, end=downtime.ends_at or now, now=now
    )
    return downtime


@transaction.atomic
def downtime_link_ticket(
    *, downtime: Downtime, actor: User, ticket: Ticket, linked: bool = True, now: dt.datetime | None = None
) -> Downtime:
    """Link (or unlink) a ticket of the same account: the incidents page shows what the outage caused."""
    roles.require(access.may_record_downtime(actor), "Only support staff link tickets to downtime.")
    now = now or timezone.now()
    downtime = _lock_downtime(downtime)
    if ticket.account_id != downtime.account_id:
        raise field_error("ticket", "The ticket belongs to another account.", code="other_account")
    present = downtime.tickets.filter(pk=ticket.pk).exists()
    if linked and not present:
        downtime.tickets.add(ticket)
        _event(downtime, "ticket_linked", actor, now, ticket=ticket.pk)
    elif not linked and present:
        downtime.tickets.remove(ticket)
        _event(downtime, "ticket_unlinked", actor, now, ticket=ticket.pk)
    return downtime
