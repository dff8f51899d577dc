"""Uptime writes: items, probe results, downtime by hand, maintenance windows, and the month's shortfalls.

Every change to what an item's month measures (a downtime closed, recorded, corrected or
voided; a window agreed or cancelled) assesses the months it touches again in the same
transaction, so the shortfalls the customer sees never lag behind the records. A shortfall
that starts or stops counting toward termination tells billing through sla.hooks.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from helpdesk import access
from helpdesk.models import Account, Ticket, User
from helpdesk.services.errors import ConflictError, ValidationError, field_error
from helpdesk.services.validation import clean_text
from sla import hooks, probes, uptime
from sla import uptime_selectors as selectors
from sla.models import (
    Downtime,
    DowntimeEvent,
    DowntimeSource,
    ExclusionKind,
    ItemState,
    MaintenanceKind,
    MaintenanceWindow,
    MonitoredItem,
    ProbeKind,
    UptimeShortfall,
)
from sla.months import month_bounds, month_of

log = logging.getLogger(__name__)

EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LONGEST_DOWNTIME = dt.timedelta(days=366)
LONGEST_WINDOW = dt.timedelta(days=31)
FURTHEST_AHEAD = dt.timedelta(days=366)
NAME_MAX = 120
TEXT_MAX = 2000
LOCK_BATCH = 500
UNSET = _UNSET = object()


def allowed_networks() -> probes.Networks:
    return probes.parse_networks(settings.UPTIME_PROBE_ALLOWED_NETWORKS)


def _add(errors: dict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _aware(value, field: str, errors: dict, *, required: bool = True) -> dt.datetime | None:
    if value is None and not required:
        return None
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        _add(errors, field, "Give a date and time with its time zone.")
        return None
    return value


def _months_between(start: dt.datetime, end: dt.datetime) -> list[str]:
    """The support-zone months [start, end) touches, in order."""
    months, cursor = [], month_of(start)
    last = month_of(end - dt.timedelta(microseconds=1)) if end > start else cursor
    while True:
        months.append(cursor)
        if cursor >= last or len(months) > 14:
            return months
        cursor = month_of(month_bounds(cursor)[1])


# --- items ---------------------------------------------------------------------------------------

def _validate_item(*, fields: dict) -> dict:
    errors: dict[str, list] = {}
    fields["name"] = clean_text(fields.get("name"), field="name", max_length=NAME_MAX, errors=errors)
    fields["description"] = clean_text(
        fields.get("description"), field="description", max_length=TEXT_MAX, errors=errors, required=False
    )
    levels = selectors.uptime_levels()
    level = fields.get("level") or settings.UPTIME_DEFAULT_LEVEL
    if level not in levels:
        _add(errors, "level", f"Choose one of: {', '.join(levels)}.")
    else:
        fields["level"] = level
    if not isinstance(fields.get("is_active", True), bool):
        _add(errors, "is_active", "Must be true or false.")
    kind = fields.get("probe_kind") or ProbeKind.NONE
    if kind not in ProbeKind.values:
        _add(errors, "probe_kind", f"Choose one of: {', '.join(ProbeKind.values)}.")
    fields["probe_kind"] = kind
    networks = allowed_networks()
    expected = fields.get("probe_expected_status", 200)
    if isinstance(expected, bool) or not isinstance(expected, int) or not 100 <= expected <= 599:
        _add(errors, "probe_expected_status", "Give an HTTP status from 100 to 599.")
    if kind == ProbeKind.HTTP:
        try:
            fields["probe_url"] = probes.check_http_target(fields.get("probe_url"), networks)
        except probes.TargetNotAllowed as exc:
            _add(errors, "probe_url", str(exc).removeprefix("probe_url: "))
        fields["probe_host"], fields["probe_port"] = "", None
    elif kind == ProbeKind.TCP:
        try:
            fields["probe_host"], fields["probe_port"] = probes.check_tcp_target(
                fields.get("probe_host"), fields.get("probe_port"), networks
            )
        except probes.TargetNotAllowed as exc:
            field, _, message = str(exc).partition(": ")
            _add(errors, field if field in ("probe_host", "probe_port") else "probe_host", message)
        fields["probe_url"] = ""
    else:
        fields["probe_url"], fields["probe_host"], fields["probe_port"] = "", "", None
    if errors:
        raise ValidationError(errors)
    return fields


ITEM_FIELDS = (
    "name", "description", "level", "is_active", "probe_kind", "probe_url", "probe_expected_status",
    "probe_host", "probe_port",
)


@transaction.atomic
def item_create(
    *, created_by: User, account: Account, name: str, level: str = "", description: str = "",
    is_active: bool = True, probe_kind: str = ProbeKind.NONE, probe_url: str = "",
    probe_expected_status: int = 200, probe_host: str = "", probe_port: int | None = None,
) -> MonitoredItem:
    access.require(access.may_manage_uptime(created_by), "Only billing admins manage monitored items.")
    fields = _validate_item(fields={
        "name": name, "description": description, "level": level, "is_active": is_active,
        "probe_kind": probe_kind, "probe_url": probe_url, "probe_expected_status": probe_expected_status,
        "probe_host": probe_host, "probe_port": probe_port,
    })
    if MonitoredItem.objects.filter(account=account, name=fields["name"]).exists():
        raise field_error("name", "This account already has an item with this name.", code="unique")
    fields["guarantee_percent"] = selectors.uptime_levels()[fields["level"]]
    try:
        with transaction.atomic():
            return MonitoredItem.objects.create(account=account, created_by=created_by, **fields)
    except IntegrityError as exc:
        raise field_error("name", "This account already has an item with this name.", code="unique") from exc


@transaction.atomic
def item_update(
    *, item: MonitoredItem, actor: User, now: dt.datetime | None = None, **changes
) -> MonitoredItem:
    """Change an item. A new level takes its guarantee; a new probe target starts its count afresh."""
    access.require(access.may_manage_uptime(actor), "Only billing admins manage monitored items.")
    now = now or timezone.now()
    unknown = set(changes) - set(ITEM_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in sorted(unknown)})
    item = MonitoredItem.objects.select_for_update().get(pk=item.pk)
    current = {name: getattr(item, name) for name in ITEM_FIELDS}
    fields = _validate_item(fields={**current, **changes})
    if fields["name"] != item.name and MonitoredItem.objects.filter(
        account_id=item.account_id, name=fields["name"]
    ).exclude(pk=item.pk).exists():
        raise field_error("name", "This account already has an item with this name.", code="unique")
    changed = [name for name in ITEM_FIELDS if fields[name] != current[name]]
    if "level" in changed:
        item.guarantee_percent = selectors.uptime_levels()[fields["level"]]
        changed.append("guarantee_percent")
    probe_changed = {"probe_kind", "probe_url", "probe_host", "probe_port", "is_active"} & set(changed)
    for name in ITEM_FIELDS:
        setattr(item, name, fields[name])
    if probe_changed:
        item.consecutive_failures, item.failing_since = 0, None
        item.state, item.state_changed_at = ItemState.UNKNOWN, now
        changed += ["consecutive_failures", "failing_since", "state", "state_changed_at"]
        _close_open_probe_downtime(item=item, now=now, reason="The probe of the item changed.")
    if changed:
        item.save(update_fields=[*changed, "updated_at"])
    return item


def _close_open_probe_downtime(*, item: MonitoredItem, now: dt.datetime, reason: str) -> None:
    """A probe that no longer watches the item cannot see it recover: its open record ends now."""
    downtime = Downtime.objects.select_for_update().filter(
        item=item, source=DowntimeSource.PROBE, ends_at__isnull=True, voided_at__isnull=True
    ).first()
    if downtime is None:
        return
    downtime.ends_at = max(uptime.floor_minute(now), downtime.starts_at + uptime.ONE_MINUTE)
    downtime.save(update_fields=["ends_at"])
    _event(downtime, "closed", None, now, reason=reason, ends_at=downtime.ends_at.isoformat())
    _assess_span(account_id=downtime.account_id, start=downtime.starts_at, end=downtime.ends_at, now=now)


# --- probe rounds -----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class RoundSummary:
    checked: int
    up: int
    failed: int
    not_checked: int
    opened: int
    closed: int
    seconds: float


def _claim_due(*, now: dt.datetime) -> list[probes.Target]:
    """Take every active probed item not taken by a round in the last 3/4 interval (one round each)."""
    fresh = now - dt.timedelta(seconds=settings.UPTIME_PROBE_SECONDS * 0.75)
    with transaction.atomic():
        MonitoredItem.objects.filter(is_active=True).exclude(probe_kind=ProbeKind.NONE).filter(
            Q(probe_claimed_at__isnull=True) | Q(probe_claimed_at__lte=fresh)
        ).update(probe_claimed_at=now)
    rows = (
        MonitoredItem.objects.filter(probe_claimed_at=now, is_active=True)
        .exclude(probe_kind=ProbeKind.NONE)
        .order_by("pk")
        .values_list("pk", "probe_kind", "probe_url", "probe_expected_status", "probe_host", "probe_port")
    )
    return [
        probes.Target(item_id=pk, kind=kind, url=url, expected_status=expected, host=host, port=port)
        for pk, kind, url, expected, host, port in rows
    ]


def probe_round(*, now: dt.datetime | None = None) -> RoundSummary:
    """One round: claim what is due, check it (outside any transaction), then record what was seen."""
    now = now or timezone.now()
    began = timezone.now()
    targets = _claim_due(now=now)
    outcomes = probes.probe_all(
        targets, timeout=settings.UPTIME_PROBE_TIMEOUT, concurrency=settings.UPTIME_PROBE_CONCURRENCY,
        deadline=settings.UPTIME_PROBE_ROUND_SECONDS, networks=allowed_networks(),
    )
    opened, closed = probe_results_apply(outcomes=outcomes, now=now)
    return RoundSummary(
        checked=sum(o.ok is not None for o in outcomes), up=sum(o.ok is True for o in outcomes),
        failed=sum(o.ok is False for o in outcomes), not_checked=sum(o.ok is None for o in outcomes),
        opened=opened, closed=closed, seconds=(timezone.now() - began).total_seconds(),
    )


PROBE_STATE = (
    "state", "state_changed_at", "consecutive_failures", "failing_since", "last_probed_at", "last_probe_ok",
    "last_probe_detail",
)


@transaction.atomic
def probe_results_apply(*, outcomes: list[probes.Outcome], now: dt.datetime) -> tuple[int, int]:
    """Record a round: failures in a row open a downtime (from the first failure's minute), a success
    closes it (at this minute). Returns (opened, closed)."""
    seen = {o.item_id: o for o in outcomes if o.ok is not None}
    threshold = max(1, settings.UPTIME_FAILURES_TO_OPEN)
    ids = sorted(seen)
    items: list[MonitoredItem] = []
    for index in range(0, len(ids), LOCK_BATCH):
        items += list(
            MonitoredItem.objects.select_for_update()
            .filter(pk__in=ids[index:index + LOCK_BATCH])
            .only("pk", "account_id", "is_active", "probe_kind", *PROBE_STATE)
            .order_by("pk")
        )
    # Only an item failing now, or not up before, can have an open record that matters here.
    watched = [i.pk for i in items if not seen[i.pk].ok or i.consecutive_failures or i.state != ItemState.UP]
    open_by_item = {}
    for index in range(0, len(watched), LOCK_BATCH):
        open_by_item.update({
            d.item_id: d
            for d in Downtime.objects.select_for_update().filter(
                item_id__in=watched[index:index + LOCK_BATCH], ends_at__isnull=True, voided_at__isnull=True
            )
        })
    minute = uptime.floor_minute(now)
    to_open: list[Downtime] = []
    to_close: list[Downtime] = []
    for item in items:
        if not item.is_active or item.probe_kind == ProbeKind.NONE:
            continue
        outcome = seen[item.pk]
        item.last_probed_at, item.last_probe_ok, item.last_probe_detail = now, outcome.ok, outcome.detail
        was = item.state
        if outcome.ok:
            item.consecutive_failures, item.failing_since = 0, None
            item.state = ItemState.UP
            downtime = open_by_item.get(item.pk)
            if downtime is not None and downtime.source == DowntimeSource.PROBE:
                downtime.ends_at = max(minute, downtime.starts_at + uptime.ONE_MINUTE)
                to_close.append(downtime)
        else:
            item.consecutive_failures += 1
            item.failing_since = item.failing_since or now
            if item.consecutive_failures >= threshold:
                item.state = ItemState.DOWN
                if item.pk not in open_by_item:
                    to_open.append(Downtime(
                        item=item, account_id=item.account_id, source=DowntimeSource.PROBE, created_at=now,
                        starts_at=uptime.floor_minute(item.failing_since),
                        note=f"Probe: {outcome.detail}"[:TEXT_MAX],
                    ))
        if item.state != was:
            item.state_changed_at = now
    # Thousands of items, a handful of distinct outcomes: one UPDATE per outcome, not per item.
    same: dict[tuple, list[int]] = defaultdict(list)
    for item in items:
        same[tuple(getattr(item, name) for name in PROBE_STATE)].append(item.pk)
    for values, pks in same.items():
        for index in range(0, len(pks), LOCK_BATCH):
            MonitoredItem.objects.filter(pk__in=pks[index:index + LOCK_BATCH]).update(
                **dict(zip(PROBE_STATE, values, strict=True))
            )
    if to_open:
        Downtime.objects.bulk_create(to_open)
        DowntimeEvent.objects.bulk_create(
            DowntimeEvent(
                downtime=d, code="opened", actor=None, at=now,
                data={"starts_at": d.starts_at.isoformat(), "detail": d.note},
            )
            for d in to_open
        )
    if to_close:
        Downtime.objects.bulk_update(to_close, ["ends_at"], batch_size=LOCK_BATCH)
        DowntimeEvent.objects.bulk_create(
            DowntimeEvent(
                downtime=d, code="closed", actor=None, at=now, data={"ends_at": d.ends_at.isoformat()}
            )
            for d in to_close
        )
        spans: dict[int, list] = defaultdict(list)
        for d in to_close:
            spans[d.account_id].append((d.starts_at, d.ends_at))
        for account_id, pairs in sorted(spans.items()):
            _assess_span(
                account_id=account_id, start=min(a for a, _ in pairs), end=max(b for _, b in pairs), now=now
            )
    return len(to_open), len(to_close)


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
    *, item: MonitoredItem, actor: User, starts_at: dt.datetime, ends_at: dt.datetime | None = None,
    note: str = "", now: dt.datetime | None = None,
) -> Downtime:
    """Staff record a downtime by hand (to the minute); an open one (no end) lasts until corrected."""
    access.require(access.may_record_downtime(actor), "Only support staff record downtime.")
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
        item=item, account_id=item.account_id, starts_at=starts_at, ends_at=ends_at,
        source=DowntimeSource.MANUAL, note=note, created_by=actor, created_at=now,
    )
    _event(
        downtime, "recorded", actor, now, starts_at=starts_at.isoformat(),
        ends_at=ends_at.isoformat() if ends_at else None, note=note,
    )
    _assess_span(account_id=item.account_id, start=starts_at, end=ends_at or now, now=now)
    return downtime


@transaction.atomic
def downtime_correct(
    *, downtime: Downtime, actor: User, reason: str, starts_at=_UNSET, ends_at=_UNSET,
    now: dt.datetime | None = None,
) -> Downtime:
    """Move a downtime's start or end (or close an open one), saying why."""
    access.require(access.may_record_downtime(actor), "Only support staff correct downtime.")
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
    if new_end is None and downtime.ends_at is not None and Downtime.objects.filter(
        item_id=downtime.item_id, ends_at__isnull=True, voided_at__isnull=True
    ).exists():
        raise ConflictError("The item already has an open downtime.", code="already_open")
    old_start, old_end = downtime.starts_at, downtime.ends_at
    if (new_start, new_end) == (old_start, old_end):
        return downtime
    downtime.starts_at, downtime.ends_at = new_start, new_end
    downtime.save(update_fields=["starts_at", "ends_at"])
    _event(
        downtime, "corrected", actor, now, reason=reason,
        was={"starts_at": old_start.isoformat(), "ends_at": old_end.isoformat() if old_end else None},
        now={"starts_at": new_start.isoformat(), "ends_at": new_end.isoformat() if new_end else None},
    )
    _assess_span(
        account_id=downtime.account_id, start=min(old_start, new_start),
        end=max(old_end or now, new_end or now), now=now,
    )
    return downtime


@transaction.atomic
def downtime_annotate(
    *, downtime: Downtime, actor: User, note: str, now: dt.datetime | None = None
) -> Downtime:
    access.require(access.may_record_downtime(actor), "Only support staff annotate downtime.")
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
    *, downtime: Downtime, actor: User, reason: str = "", starts_at=_UNSET, ends_at=_UNSET, note=_UNSET,
    now: dt.datetime | None = None,
) -> Downtime:
    """One edit from a form or the API: a correction of its times (with a reason) and/or a new note,
    each its own event, all or nothing."""
    access.require(access.may_record_downtime(actor), "Only support staff edit downtime.")
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
    access.require(access.may_record_downtime(actor), "Only support staff void downtime.")
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
    access.require(access.may_record_downtime(actor), "Only support staff link tickets to downtime.")
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


# --- maintenance windows ------------------------------------------------------------------------------

def _notify_maintenance(window: MaintenanceWindow, change: str) -> None:
    from sla import tasks, uptime_tasks

    transaction.on_commit(lambda: tasks.send_safely(uptime_tasks.notify_maintenance, window.pk, change))


@transaction.atomic
def maintenance_schedule(
    *, created_by: User, account: Account, kind: str, starts_at: dt.datetime, ends_at: dt.datetime,
    item: MonitoredItem | None = None, note: str = "", now: dt.datetime | None = None,
) -> MaintenanceWindow:
    """Agree a maintenance window in advance (scheduled), or record an emergency one after the fact.

    A scheduled window must be created before it starts; its minutes leave the item's month. An
    emergency window becomes an exclusion period of kind emergency_maintenance for the account,
    and SPEC's exclusion rules take it from there (misses and uptime alike).
    """
    from sla.services.exclusions import exclusion_create

    now = now or timezone.now()
    access.require(access.may_schedule_maintenance(created_by), "Only support staff schedule maintenance.")
    if kind == MaintenanceKind.EMERGENCY:
        access.require(
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
                errors, "starts_at",
                "A scheduled window is agreed before it starts; record an emergency window instead.",
            )
        elif kind == MaintenanceKind.EMERGENCY and starts_at > now:
            _add(errors, "starts_at", "An emergency window has begun already; schedule future work instead.")
    if errors:
        raise ValidationError(errors)
    window = MaintenanceWindow(
        account=account, item=item, kind=kind, starts_at=starts_at, ends_at=ends_at, note=note,
        created_by=created_by, created_at=now,
    )
    if kind == MaintenanceKind.EMERGENCY:
        what = f"Emergency maintenance of {item.name}" if item else "Emergency maintenance"
        window.exclusion_period = exclusion_create(
            created_by=created_by, kind=ExclusionKind.EMERGENCY_MAINTENANCE, starts_at=starts_at,
            ends_at=ends_at, account=account, note=f"{what}. {note}".strip()[:TEXT_MAX],
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
    access.require(access.may_schedule_maintenance(actor), "Only support staff cancel maintenance.")
    now = now or timezone.now()
    window = MaintenanceWindow.objects.select_for_update().get(pk=window.pk)
    if window.cancelled:
        raise ConflictError("This window is already cancelled.", code="already_cancelled")
    if window.kind != MaintenanceKind.SCHEDULED:
        raise ConflictError(
            "An emergency window is an exclusion period: delete that period instead.", code="emergency"
        )
    if window.starts_at <= now:
        raise ConflictError("This window has begun: it can no longer be cancelled.", code="begun")
    window.cancelled_at, window.cancelled_by = now, actor
    window.save(update_fields=["cancelled_at", "cancelled_by"])
    _assess_span(account_id=window.account_id, start=window.starts_at, end=window.ends_at, now=now)
    _notify_maintenance(window, "cancelled")
    return window


# --- the month's assessment --------------------------------------------------------------------------

def _assess_span(*, account_id: int, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> None:
    """Assess again every month of the account that [start, end) touches, up to the current one."""
    current = month_of(now)
    for month in _months_between(start, max(end, start + uptime.ONE_MINUTE)):
        if month <= current:
            uptime_month_assess(month=month, account_ids=[account_id], now=now)


def _vouchers_issued(account_id: int, month: str) -> Decimal:
    path = settings.UPTIME_VOUCHERS_ISSUED_READER
    if not path:
        return Decimal(0)
    return Decimal(import_string(path)(account_id=account_id, month=month))


SHORTFALL_FIGURES = (
    "active", "counted", "guarantee_percent", "uptime_percent", "month_minutes", "excluded_minutes",
    "counted_minutes", "downtime_minutes", "permitted_minutes", "excess_minutes", "started_hours",
    "credit_percent_requested", "credit_percent", "monthly_fee", "currency", "credit_amount_requested",
    "credit_amount", "capped", "shares_voucher_cap", "final",
)


@dataclasses.dataclass(frozen=True)
class AssessSummary:
    month: str
    items: int
    below: int
    created: int
    updated: int


@transaction.atomic
def uptime_month_assess(
    *, month: str, account_ids: list[int] | None = None, now: dt.datetime | None = None
) -> AssessSummary:
    """Measure a month of every item (of the accounts given, or all) and keep its shortfall up to
    date: created below guarantee, its credit recomputed, inactive once it is not. Idempotent.

    The account rows are locked first (in id order), so assessments of one account take turns.
    """
    now = now or timezone.now()
    start, end = month_bounds(month)
    if start > now:
        return AssessSummary(month, 0, 0, 0, 0)
    scope = MonitoredItem.objects.all()
    if account_ids is not None:
        scope = scope.filter(account_id__in=account_ids)
    items = list(scope.order_by("pk").values_list("pk", "account_id"))
    if not items:
        return AssessSummary(month, 0, 0, 0, 0)
    accounts = sorted({account for _, account in items})
    fees = {}
    for index in range(0, len(accounts), LOCK_BATCH):
        fees.update({
            pk: (fee, currency)
            for pk, fee, currency in Account.objects.select_for_update()
            .filter(pk__in=accounts[index:index + LOCK_BATCH]).order_by("pk")
            .values_list("pk", "monthly_fee", "currency")
        })
    reports = selectors.month_reports(month=month, now=now, items=scope)
    terms = selectors.terms_for_accounts(accounts)
    existing_rows = UptimeShortfall.objects.select_for_update().filter(month=month)
    if account_ids is not None:
        existing_rows = existing_rows.filter(account_id__in=account_ids)
    existing = {s.item_id: s for s in existing_rows.order_by("pk")}
    per_account: dict[int, list[int]] = defaultdict(list)
    for pk, account_id in items:
        per_account[account_id].append(pk)
    final = now >= end
    created: list[UptimeShortfall] = []
    updated: list[UptimeShortfall] = []
    changed_counts: set[int] = set()
    below_total = 0
    for account_id, pks in per_account.items():
        account_terms = terms[account_id]
        fee, currency = fees[account_id]
        below = [pk for pk in pks if reports[pk].below_guarantee]
        below_total += len(below)
        shared_left = None
        if account_terms.shares_voucher_cap:
            month_cap = uptime.percent_of(fee, account_terms.month_cap_percent, currency)
            shared_left = month_cap - _vouchers_issued(account_id, month)
        credits = dict(zip(below, uptime.month_credits(
            requested_percents=[
                uptime.credit_percent(reports[pk].started_hours, account_terms.tiers) for pk in below
            ],
            fee=fee, currency=currency, cap_percent=account_terms.cap_percent, shared_cap_left=shared_left,
        ), strict=True))
        for pk in pks:
            report = reports[pk]
            credit = credits.get(pk)
            active = credit is not None
            figures = {
                "active": active,
                "counted": active and account_terms.counts_toward_termination,
                "guarantee_percent": report.guarantee_percent,
                "uptime_percent": report.uptime_percent,
                "month_minutes": report.month_minutes,
                "excluded_minutes": report.excluded_minutes,
                "counted_minutes": report.counted_minutes,
                "downtime_minutes": report.downtime_minutes,
                "permitted_minutes": report.permitted_minutes.quantize(uptime.PERCENT_PLACES),
                "excess_minutes": report.excess_minutes.quantize(uptime.PERCENT_PLACES),
                "started_hours": report.started_hours,
                "credit_percent_requested": credit.percent_requested if credit else Decimal(0),
                "credit_percent": credit.percent if credit else Decimal(0),
                "monthly_fee": fee,
                "currency": currency,
                "credit_amount_requested": credit.amount_requested if credit else Decimal(0),
                "credit_amount": credit.amount if credit else Decimal(0),
                "capped": credit.capped if credit else False,
                "shares_voucher_cap": account_terms.shares_voucher_cap,
                "final": final,
            }
            row = existing.get(pk)
            if row is None:
                if active:
                    created.append(UptimeShortfall(
                        item_id=pk, account_id=account_id, month=month, assessed_at=now, created_at=now,
                        **figures,
                    ))
                    if figures["counted"]:
                        changed_counts.add(account_id)
                continue
            if row.counted != figures["counted"]:
                changed_counts.add(account_id)
            if any(getattr(row, name) != value for name, value in figures.items()):
                for name, value in figures.items():
                    setattr(row, name, value)
                row.assessed_at = now
                updated.append(row)
    UptimeShortfall.objects.bulk_create(created, batch_size=LOCK_BATCH)
    UptimeShortfall.objects.bulk_update(updated, [*SHORTFALL_FIGURES, "assessed_at"], batch_size=LOCK_BATCH)
    for account_id in sorted(changed_counts):
        hooks.counted_misses_changed(account_id=account_id, month=month)
    return AssessSummary(month, len(items), below_total, len(created), len(updated))


def assess_recent_months(*, now: dt.datetime | None = None) -> list[AssessSummary]:
    """The safety net (hourly): this month and the last, so open downtime and month ends are caught."""
    now = now or timezone.now()
    current = month_of(now)
    previous = month_of(month_bounds(current)[0] - dt.timedelta(minutes=1))
    return [uptime_month_assess(month=month, now=now) for month in (previous, current)]
