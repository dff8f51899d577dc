"""Monitored items: create and change them (their level is the guarantee)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from helpdesk.accounts.models import Account, ItemState, MonitoredItem, ProbeKind, User
from helpdesk.kit import roles
from helpdesk.kit.errors import ValidationError, field_error
from helpdesk.kit.validation import clean_text
from sla.uptime import access, probes, selectors
from sla.uptime import measure as uptime
from sla.uptime.models import Downtime, DowntimeSource
from sla.uptime.services.assessment import _assess_span
from sla.uptime.services.common import NAME_MAX, TEXT_MAX, _add, allowed_networks
from sla.uptime.services.downtime import _event

# --- items ---------------------------------------------------------------------------------------


def _validate_item(*, fields: dict, account_id: int) -> dict:
    errors: dict[str, list] = {}
    fields["name"] = clean_text(fields.get("name"), field="name", max_length=NAME_MAX, errors=errors)
    fields["description"] = clean_text(
        fields.get("description"), field="description", max_length=TEXT_MAX, errors=errors, required=False
    )
    levels = selectors.uptime_levels(account_id=account_id)
    level = fields.get("level") or selectors.default_level(account_id=account_id)
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
            if field not in ("probe_host", "probe_port"):
                # A refused address names no field ("10.0.0.8 is outside ..."): it is the host's.
                field, message = "probe_host", str(exc)
            _add(errors, field, message)
        fields["probe_url"] = ""
    else:
        fields["probe_url"], fields["probe_host"], fields["probe_port"] = "", "", None
    if errors:
        raise ValidationError(errors)
    return fields


ITEM_FIELDS = (
    "name",
    "description",
    "level",
    "is_active",
    "probe_kind",
    "probe_url",
    "probe_expected_status",
    "probe_host",
    "probe_port",
)


@transaction.atomic
def item_create(
    *,
    created_by: User,
    account: Account,
    name: str,
    level: str = "",
    description: str = "",
    is_active: bool = True,
    probe_kind: str = ProbeKind.NONE,
    probe_url: str = "",
    probe_expected_status: int = 200,
    probe_host: str = "",
    probe_port: int | None = None,
) -> MonitoredItem:
    roles.require(access.may_manage_uptime(created_by), "Only support staff manage monitored items.")
    fields = _validate_item(
        account_id=account.pk,
        fields={
            "name": name,
            "description": description,
            "level": level,
            "is_active": is_active,
            "probe_kind": probe_kind,
            "probe_url": probe_url,
            "probe_expected_status": probe_expected_status,
            "probe_host": probe_host,
            "probe_port": probe_port,
        },
    )
    if MonitoredItem.objects.filter(account=account, name=fields["name"]).exists():
        raise field_error("name", "This account already has an item with this name.", code="unique")
    fields["guarantee_percent"] = selectors.uptime_levels(account_id=account.pk)[fields["level"]]
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
    roles.require(access.may_manage_uptime(actor), "Only support staff manage monitored items.")
    now = now or timezone.now()
    unknown = set(changes) - set(ITEM_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in sorted(unknown)})
    item = MonitoredItem.objects.select_for_update().get(pk=item.pk)
    current = {name: getattr(item, name) for name in ITEM_FIELDS}
    fields = _validate_item(fields={**current, **changes}, account_id=item.account_id)
    if (
        fields["name"] != item.name
        and MonitoredItem.objects.filter(account_id=item.account_id, name=fields["name"])
        .exclude(pk=item.pk)
        .exists()
    ):
        raise field_error("name", "This account already has an item with this name.", code="unique")
    changed = [name for name in ITEM_FIELDS if fields[name] != current[name]]
    if "level" in changed:
        item.guarantee_percent = selectors.uptime_levels(account_id=item.account_id)[fields["level"]]
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
    downtime = (
        Downtime.objects.select_for_update()
        .filter(item=item, source=DowntimeSource.PROBE, ends_at__isnull=True, voided_at__isnull=True)
        .first()
    )
    if downtime is None:
        return
    downtime.ends_at = max(uptime.floor_minute(now), downtime.starts_at + uptime.ONE_MINUTE)
    downtime.save(update_fields=["ends_at"])
    _event(downtime, "closed", None, now, reason=reason, ends_at=downtime.ends_at.isoformat())
    _assess_span(account_id=downtime.account_id, start=downtime.starts_at, end=downtime.ends_at, now=now)
