"""Probe rounds: check every due item, open and close downtime from the results."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from helpdesk.accounts.models import ItemState, MonitoredItem, ProbeKind
from sla.uptime import measure as uptime
from sla.uptime import probes
from sla.uptime.models import Downtime, DowntimeEvent, DowntimeSource
from sla.uptime.services.assessment import _assess_span
from sla.uptime.services.common import LOCK_BATCH, TEXT_MAX, allowed_networks

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
        targets,
        timeout=settings.UPTIME_PROBE_TIMEOUT,
        concurrency=settings.UPTIME_PROBE_CONCURRENCY,
        deadline=settings.UPTIME_PROBE_ROUND_SECONDS,
        networks=allowed_networks(),
    )
    opened, closed = probe_results_apply(outcomes=outcomes, now=now)
    return RoundSummary(
        checked=sum(o.ok is not None for o in outcomes),
        up=sum(o.ok is True for o in outcomes),
        failed=sum(o.ok is False for o in outcomes),
        not_checked=sum(o.ok is None for o in outcomes),
        opened=opened,
        closed=closed,
        seconds=(timezone.now() - began).total_seconds(),
    )


PROBE_STATE = (
    "state",
    "state_changed_at",
    "consecutive_failures",
    "failing_since",
    "last_probed_at",
    "last_probe_ok",
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
            .filter(pk__in=ids[index : index + LOCK_BATCH])
            .only("pk", "account_id", "is_active", "probe_kind", *PROBE_STATE)
            .order_by("pk")
        )
    # Only an item failing now, or not up before, can have an open record that matters here.
    watched = [i.pk for i in items if not seen[i.pk].ok or i.consecutive_failures or i.state != ItemState.UP]
    open_by_item = {}
    for index in range(0, len(watched), LOCK_BATCH):
        open_by_item.update(
            {
                d.item_id: d
                for d in Downtime.objects.select_for_update().filter(
                    item_id__in=watched[index : index + LOCK_BATCH],
                    ends_at__isnull=True,
                    voided_at__isnull=True,
                )
            }
        )
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
                    to_open.append(
                        Downtime(
                            item=item,
                            account_id=item.account_id,
                            source=DowntimeSource.PROBE,
                            created_at=now,
                            starts_at=uptime.floor_minute(item.failing_since),
                            note=f"Probe: {outcome.detail}"[:TEXT_MAX],
                        )
                    )
        if item.state != was:
            item.state_changed_at = now
    # Thousands of items, a handful of distinct outcomes: one UPDATE per outcome, not per item.
    same: dict[tuple, list[int]] = defaultdict(list)
    for item in items:
        same[tuple(getattr(item, name) for name in PROBE_STATE)].append(item.pk)
    for values, pks in same.items():
        for index in range(0, len(pks), LOCK_BATCH):
            MonitoredItem.objects.filter(pk__in=pks[index : index + LOCK_BATCH]).update(
                **dict(zip(PROBE_STATE, values, strict=True))
            )
    if to_open:
        Downtime.objects.bulk_create(to_open)
        DowntimeEvent.objects.bulk_create(
            DowntimeEvent(
                downtime=d,
                code="opened",
                actor=None,
                at=now,
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
