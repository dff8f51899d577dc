"""The month's assessment: each item's uptime, and the shortfalls below guarantee."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from helpdesk.accounts.models import Account, MonitoredItem
from helpdesk.kit.months import month_bounds, month_of
from sla.clocks import hooks
from sla.uptime import measure as uptime
from sla.uptime import providers, selectors
from sla.uptime.models import UptimeShortfall
from sla.uptime.services.common import LOCK_BATCH, _months_between

# --- the month's assessment --------------------------------------------------------------------------


def _assess_span(*, account_id: int, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> None:
    """Assess again every month of the account that [start, end) touches, up to the current one."""
    current = month_of(now)
    for month in _months_between(start, max(end, start + uptime.ONE_MINUTE)):
        if month <= current:
            uptime_month_assess(month=month, account_ids=[account_id], now=now)


SHORTFALL_FIGURES = (
    "active",
    "counted",
    "guarantee_percent",
    "uptime_percent",
    "month_minutes",
    "excluded_minutes",
    "counted_minutes",
    "downtime_minutes",
    "permitted_minutes",
    "excess_minutes",
    "started_hours",
    "credit_percent_requested",
    "credit_percent",
    "monthly_fee",
    "currency",
    "credit_amount_requested",
    "credit_amount",
    "capped",
    "shares_voucher_cap",
    "final",
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
        fees.update(
            {
                pk: (fee, currency)
                for pk, fee, currency in Account.objects.select_for_update()
                .filter(pk__in=accounts[index : index + LOCK_BATCH])
                .order_by("pk")
                .values_list("pk", "monthly_fee", "currency")
            }
        )
    reports = selectors.month_reports(month=month, now=now, items=scope)
    terms = selectors.terms_for_accounts(accounts, month=month)  # the versions pinned for the month
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
        requested = [uptime.credit_percent(reports[pk].started_hours, account_terms.tiers) for pk in below]
        priced = providers.pricing().month_credits(
            account_id=account_id,
            month=month,
            requested_percents=requested,
            fee=fee,
            currency=currency,
            cap_percent=uptime.percent(account_terms.cap_percent, field="cap_percent"),
            shares_voucher_cap=account_terms.shares_voucher_cap,
            month_cap_percent=account_terms.month_cap_percent,
        )
        credits = dict(zip(below, priced, strict=True))
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
            if row is not None and row.decision_reason:
                figures["counted"] = False  # excluded on review: it never counts again
            if row is None:
                if active:
                    created.append(
                        UptimeShortfall(
                            item_id=pk,
                            account_id=account_id,
                            month=month,
                            assessed_at=now,
                            created_at=now,
                            **figures,
                        )
                    )
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
        hooks.counted_failures_changed(account_id=account_id, month=month)
    return AssessSummary(month, len(items), below_total, len(created), len(updated))


def assess_recent_months(*, now: dt.datetime | None = None) -> list[AssessSummary]:
    """The safety net (hourly): this month and the last, so open downtime and month ends are caught."""
    now = now or timezone.now()
    current = month_of(now)
    previous = month_of(month_bounds(current)[0] - dt.timedelta(minutes=1))
    return [uptime_month_assess(month=month, now=now) for month in (previous, current)]
