"""Reads of uptime: items, downtime, maintenance windows, shortfalls, and the monthly figures.

Every user-dependent fetch goes through the apps' access modules. The monthly figures are computed by
sla.uptime from a fixed number of queries whatever the number of items: one for the items,
one for their downtime (as epoch minutes, so no datetime is parsed per row), one for the
maintenance windows and one for the exclusion periods.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import connections
from django.db.models import BigIntegerField, Count, Exists, Func, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from helpdesk.accounts import access as accounts_access
from helpdesk.accounts.models import Account, MonitoredItem, User
from helpdesk.kit.months import month_bounds, month_of, support_zone
from helpdesk.tickets import access as tickets_access
from sla.clocks.models import ExclusionPeriod, Miss
from sla.terms import pins
from sla.terms.models import Plan, default_uptime_terms
from sla.uptime import access
from sla.uptime import measure as uptime
from sla.uptime.models import Downtime, DowntimeEvent, MaintenanceKind, MaintenanceWindow, UptimeShortfall

STATUS_DAYS = 90


class EpochMinute(Func):
    """The minute (since the epoch, UTC) a stored datetime falls in, computed by the database."""

    output_field = BigIntegerField()
    arity = 1

    def as_sqlite(self, compiler, connection, **extra):
        if connection.Database.sqlite_version_info >= (3, 38):
            template = "(unixepoch(%(expressions)s) / 60)"
        else:
            # '%%%%s' reaches SQLite as '%s': halved once by this template, once by the cursor's escaping.
            template = "(CAST(strftime('%%%%s', %(expressions)s) AS INTEGER) / 60)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="FLOOR(EXTRACT(EPOCH FROM %(expressions)s) / 60)::bigint", **extra
        )


# --- configuration ------------------------------------------------------------------------------


def plan_uptime_terms(raw: dict | None) -> dict:
    """A plan's stored uptime terms, or the default terms for a plan that has none (or no plan)."""
    return raw if raw else default_uptime_terms()


def _account_uptime_terms(account_id: int) -> list[dict]:
    """The uptime terms of the plan version the account's current term is pinned to (else its plan's)."""
    account = Account.objects.select_related("plan", "plan_version").filter(pk=account_id).first()
    if account is None:
        return []
    pinned = account.plan_version
    if pinned is not None and pinned.plan_id == account.plan_id:
        return [pinned.terms["uptime_terms"]]
    return [account.plan.uptime_terms]


def uptime_levels(*, account_id: int | None = None) -> dict[str, Decimal]:
    """Priority levels and the uptime each guarantees: the account's term's, or every plan's."""
    if account_id is not None:
        rows = _account_uptime_terms(account_id)
    else:
        rows = Plan.objects.order_by("pk").values_list("uptime_terms", flat=True)
    levels: dict[str, Decimal] = {}
    for raw in list(rows) or [None]:
        for level, value in plan_uptime_terms(raw)["levels"].items():
            levels.setdefault(level, uptime.percent(value, field=level))
    return levels


def default_level(*, account_id: int | None = None) -> str:
    raw = None
    if account_id is not None:
        raw = next(iter(_account_uptime_terms(account_id)), None)
    return plan_uptime_terms(raw)["default_level"]


@dataclasses.dataclass(frozen=True)
class Terms:
    tiers: tuple[uptime.CreditTier, ...]
    cap_percent: Decimal
    shares_voucher_cap: bool
    counts_toward_termination: bool
    month_cap_percent: Decimal
    excluded_kinds: frozenset[str] = frozenset()


def terms_of(raw: dict | None, *, month_cap_percent: Decimal = Decimal(100)) -> Terms:
    found = plan_uptime_terms(raw)
    return Terms(
        tiers=uptime.parse_tiers(found["credit_tiers"]),
        cap_percent=uptime.percent(found["cap_percent"], field="cap_percent"),
        shares_voucher_cap=found["shares_voucher_cap"],
        counts_toward_termination=found["counts_toward_termination"],
        month_cap_percent=month_cap_percent,
        excluded_kinds=frozenset(found["excluded_kinds"]),
    )


def terms_for_accounts(account_ids: Iterable[int], *, month: str | None = None) -> dict[int, Terms]:
    """Each account's uptime terms: those of the plan version pinned for `month` (sla.terms.pins, which
    billing answers), else of the version its current term is pinned to, else its plan's."""
    account_ids = list(account_ids)
    found: dict[int, Terms] = {}
    if month is not None:
        for pk, version_terms in pins.month_terms(account_ids=account_ids, month=month).items():
            found[pk] = terms_of(
                version_terms["uptime_terms"], month_cap_percent=Decimal(version_terms["monthly_cap_percent"])
            )
    rows = (
        Account.objects.filter(pk__in=[pk for pk in account_ids if pk not in found])
        .select_related("plan", "plan_version")
        .only("pk", "plan_id", "plan__uptime_terms", "plan__monthly_cap_percent", "plan_version")
    )
    for account in rows:
        pinned = account.plan_version
        if pinned is not None and pinned.plan_id == account.plan_id:
            raw, month_cap = pinned.terms["uptime_terms"], Decimal(pinned.terms["monthly_cap_percent"])
        else:
            raw, month_cap = account.plan.uptime_terms, account.plan.monthly_cap_percent
        found[account.pk] = terms_of(raw, month_cap_percent=Decimal(100) if month_cap is None else month_cap)
    return found


# --- items --------------------------------------------------------------------------------------


def items_for(*, user: User, account: int | None = None, state: str = "") -> QuerySet[MonitoredItem]:
    """Items the user may see, each with `open_downtime` (an ongoing record, whoever made it)."""
    ongoing = Downtime.objects.filter(item=OuterRef("pk"), ends_at__isnull=True, voided_at__isnull=True)
    items = access.items_visible_to(user).select_related("account").annotate(open_downtime=Exists(ongoing))
    if account is not None:
        items = items.filter(account_id=account)
    if state:
        items = items.filter(state=state)
    return items.order_by("account__name", "name", "pk")


def item_for(*, user: User, pk: int) -> MonitoredItem:
    """One item the user may see, or 404 (another account's item does not exist for them)."""
    return get_object_or_404(items_for(user=user), pk=pk)


def item_account_choices(*, user: User) -> QuerySet[Account]:
    return accounts_access.accounts_visible_to(user).order_by("name", "id")


# --- downtime -----------------------------------------------------------------------------------


def downtimes_for(
    *,
    user: User,
    item: int | None = None,
    account: int | None = None,
    open_only: bool | None = None,
    month: str = "",
    include_voided: bool = True,
) -> QuerySet[Downtime]:
    downtimes = access.downtimes_visible_to(user).select_related("item", "account", "created_by", "voided_by")
    if item is not None:
        downtimes = downtimes.filter(item_id=item)
    if account is not None:
        downtimes = downtimes.filter(account_id=account)
    if open_only is True:
        downtimes = downtimes.filter(ends_at__isnull=True, voided_at__isnull=True)
    elif open_only is False:
        downtimes = downtimes.filter(ends_at__isnull=False)
    if month:
        start, end = month_bounds(month)
        downtimes = downtimes.overlapping(start, end)
    if not include_voided:
        downtimes = downtimes.filter(voided_at__isnull=True)
    tickets = tickets_access.tickets_visible_to(user).only("pk", "subject", "account_id").order_by("pk")
    return downtimes.prefetch_related(Prefetch("tickets", queryset=tickets)).order_by("-starts_at", "-id")


def downtime_for(*, user: User, pk: int) -> Downtime:
    return get_object_or_404(downtimes_for(user=user), pk=pk)


def downtime_events(*, downtime: Downtime) -> QuerySet[DowntimeEvent]:
    return downtime.events.select_related("actor").order_by("at", "id")


def incident_summary() -> dict:
    """Counts for the staff incident view."""
    return Downtime.objects.live().aggregate(
        open=Count("pk", filter=Q(ends_at__isnull=True)),
        total=Count("pk"),
    )


# --- maintenance windows ----------------------------------------------------------------------------


def maintenance_windows_for(
    *,
    user: User,
    item: MonitoredItem | None = None,
    account: int | None = None,
    upcoming_at: dt.datetime | None = None,
) -> QuerySet[MaintenanceWindow]:
    """Windows the user may see; for an item, its own and its account's every-item ones."""
    windows = access.maintenance_windows_visible_to(user).select_related(
        "account", "item", "created_by", "exclusion_period"
    )
    if item is not None:
        windows = windows.filter(Q(item_id=item.pk) | Q(item__isnull=True, account_id=item.account_id))
    if account is not None:
        windows = windows.filter(account_id=account)
    if upcoming_at is not None:
        windows = windows.filter(ends_at__gt=upcoming_at, cancelled_at__isnull=True)
    return windows.order_by("-starts_at", "-id")


def maintenance_window_for(*, user: User, pk: int) -> MaintenanceWindow:
    return get_object_or_404(maintenance_windows_for(user=user), pk=pk)


# --- shortfalls ----------------------------------------------------------------------------------


def shortfalls_for(
    *,
    user: User,
    month: str = "",
    account: int | None = None,
    active: bool | None = None,
    item: int | None = None,
) -> QuerySet[UptimeShortfall]:
    shortfalls = access.shortfalls_visible_to(user).select_related("item", "account")
    if month:
        shortfalls = shortfalls.filter(month=month)
    if account is not None:
        shortfalls = shortfalls.filter(account_id=account)
    if active is not None:
        shortfalls = shortfalls.filter(active=active)
    if item is not None:
        shortfalls = shortfalls.filter(item_id=item)
    return shortfalls.order_by("-month", "account__name", "item__name", "pk")


def shortfall_for(*, user: User, pk: int) -> UptimeShortfall:
    return get_object_or_404(shortfalls_for(user=user), pk=pk)


def counted_shortfalls(*, account_id: int, month: str) -> int:
    """Items of the account whose month fell below guarantee, where that counts toward termination.

    Billing adds this to the account's counted misses (seed 004 counts any failure).
    """
    return UptimeShortfall.objects.filter(account_id=account_id, month=month, counted=True).count()


def counted_failures(*, account_id: int, month: str) -> int:
    """Counted misses plus counted uptime shortfalls: every failure seed 004 counts toward termination."""

    misses = Miss.objects.filter(account_id=account_id, month=month, counted=True).count()
    return misses + counted_shortfalls(account_id=account_id, month=month)


def counted_shortfalls_by_account(*, month: str) -> dict[int, int]:
    """{account id: counted shortfalls} of a month: for billing's termination sweep."""
    return dict(
        UptimeShortfall.objects.filter(month=month, counted=True)
        .order_by()
        .values("account_id")
        .annotate(n=Count("pk"))
        .values_list("account_id", "n")
    )


# --- the monthly figures -------------------------------------------------------------------------------


def _exclusions(
    *,
    items: QuerySet[MonitoredItem],
    item_rows: list[tuple[int, int]],
    start: dt.datetime,
    end: dt.datetime,
    kinds: dict[int, frozenset[str]],
) -> dict[int, list[uptime.Interval]]:
    """{item id: excluded intervals}: scheduled windows (its own or its account's) and exclusion periods.

    `kinds` gives, per account, the exclusion kinds its plan's uptime terms take off measured uptime.
    """
    by_item: dict[int, list] = defaultdict(list)
    by_account: dict[int, list] = defaultdict(list)
    everywhere: list = []
    windows = (
        MaintenanceWindow.objects.filter(
            kind=MaintenanceKind.SCHEDULED,
            cancelled_at__isnull=True,
            starts_at__lt=end,
            ends_at__gt=start,
            account__in=items.order_by().values("account_id"),
        )
        .annotate(a=EpochMinute("starts_at"), b=EpochMinute("ends_at"))
        .values_list("item_id", "account_id", "a", "b")
    )
    agreed = "scheduled_maintenance"  # a scheduled window is agreed maintenance, whatever the terms
    for item_id, account_id, a, b in windows:
        if item_id:
            by_item[item_id].append((a, b))
        else:
            by_account[account_id].append((agreed, a, b))
    periods = (
        ExclusionPeriod.objects.in_force()
        .filter(starts_at__lt=end, ends_at__gt=start)
        .annotate(a=EpochMinute("starts_at"), b=EpochMinute("ends_at"))
        .values_list("account_id", "kind", "a", "b")
    )
    for account_id, kind, a, b in periods:
        (by_account[account_id] if account_id else everywhere).append((kind, a, b))
    return {
        item: by_item.get(item, [])
        + [
            (a, b)
            for kind, a, b in by_account.get(account, []) + everywhere
            if kind == agreed or kind in kinds[account]
        ]
        for item, account in item_rows
    }


def _downtime_intervals(
    *,
    items: QuerySet[MonitoredItem],
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
) -> dict[int, list[uptime.Interval]]:
    """{item id: live downtime intervals overlapping [start, end)}; an open one runs until now."""
    rows = (
        Downtime.objects.live()
        .overlapping(start, end)
        .filter(item__in=items.order_by().values("pk"))
        .order_by()
        .annotate(a=EpochMinute("starts_at"), b=EpochMinute("ends_at"))
        .values_list("item_id", "a", "b")
    )
    until = uptime.minute_of(min(now, end))
    found: dict[int, list] = defaultdict(list)
    # Straight from the cursor: a month of history is up to millions of rows of three integers,
    # and the ORM's per-value converters would cost more than the arithmetic.
    sql, params = rows.query.sql_with_params()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(20_000):
            for item_id, a, b in chunk:
                found[item_id].append((a, until if b is None else b))
    return found


def month_reports(
    *,
    month: str,
    now: dt.datetime,
    items: QuerySet[MonitoredItem] | None = None,
    item_ids: Iterable[int] = (),
) -> dict[int, uptime.MonthUptime]:
    """{item id: its month} for the items (a queryset, or ids), in four queries however many they are.

    The current month is measured over all its minutes: what has not happened yet counts as up,
    so the figure is where the month stands now.
    """
    start, end = month_bounds(month)
    source = items if items is not None else MonitoredItem.objects.filter(pk__in=list(item_ids))
    item_rows = list(
        source.order_by().values_list("pk", "account_id", "guarantee_percent", "account__plan__uptime_terms")
    )
    if not item_rows:
        return {}
    span = uptime.span_of(start, end)
    kinds = {account: _excluded_kinds(raw) for _, account, _, raw in item_rows}
    excluded = _exclusions(
        items=source,
        item_rows=[(pk, account) for pk, account, _, _ in item_rows],
        start=start,
        end=end,
        kinds=kinds,
    )
    down = _downtime_intervals(items=source, start=start, end=end, now=now)
    return {
        pk: uptime.month_uptime(
            span=span, downtime=down.get(pk, ()), excluded=excluded[pk], guarantee_percent=guarantee
        )
        for pk, _, guarantee, _ in item_rows
    }


def _excluded_kinds(raw: dict | None) -> frozenset[str]:
    return frozenset(plan_uptime_terms(raw)["excluded_kinds"])


def item_month(*, item: MonitoredItem, month: str, now: dt.datetime) -> uptime.MonthUptime:
    return month_reports(month=month, now=now, item_ids=[item.pk])[item.pk]


@dataclasses.dataclass(frozen=True)
class DayBar:
    date: dt.date
    downtime_minutes: int
    counted_minutes: int
    future: bool

    @property
    def uptime_percent(self) -> Decimal:
        return uptime.uptime_percent(self.counted_minutes, self.downtime_minutes)


def daily_bars(*, item: MonitoredItem, now: dt.datetime, days: int = STATUS_DAYS) -> list[DayBar]:
    """The last `days` days (support time zone, today included) of an item, oldest first."""
    zone = support_zone()
    today = now.astimezone(zone).date()
    first = today - dt.timedelta(days=days - 1)
    spans = uptime.day_spans(first, days, zone)
    start, end = uptime.instant_of(spans[0][0]), uptime.instant_of(spans[-1][1])
    source = MonitoredItem.objects.filter(pk=item.pk)
    down = _downtime_intervals(items=source, start=start, end=end, now=now).get(item.pk, [])
    rows = [(item.pk, item.account_id)]
    raw = Account.objects.filter(pk=item.account_id).values_list("plan__uptime_terms", flat=True).first()
    kinds = {item.account_id: _excluded_kinds(raw)}
    excluded = _exclusions(items=source, item_rows=rows, start=start, end=end, kinds=kinds)[item.pk]
    now_minute = uptime.minute_of(now)
    # Minutes still to come today are neither up nor down yet.
    spans_so_far = [(low, min(high, max(low, now_minute))) for low, high in spans]
    figures = uptime.daily_uptime(days=spans_so_far, downtime=down, excluded=excluded)
    return [
        DayBar(date=first + dt.timedelta(days=n), downtime_minutes=d, counted_minutes=c, future=c <= 0)
        for n, (d, c) in enumerate(figures)
    ]


@dataclasses.dataclass(frozen=True)
class MonthRow:
    item: MonitoredItem
    report: uptime.MonthUptime
    shortfall: UptimeShortfall | None


def month_rows(*, items: list[MonitoredItem], month: str, now: dt.datetime) -> list[MonthRow]:
    """The month of each item given (a page of them), with its stored shortfall if any."""
    reports = month_reports(month=month, now=now, item_ids=[item.pk for item in items])
    shortfalls = {
        s.item_id: s
        for s in UptimeShortfall.objects.filter(month=month, item_id__in=[item.pk for item in items])
    }
    return [MonthRow(item=item, report=reports[item.pk], shortfall=shortfalls.get(item.pk)) for item in items]


def current_month(now: dt.datetime) -> str:
    return month_of(now)
