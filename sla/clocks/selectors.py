"""Reads of the contract's records: misses, exclusion periods and the monthly SLA report.

Every user-dependent fetch goes through the apps' access modules; the report is computed by the
database (aggregates and window functions) in a fixed number of queries."""

import dataclasses
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    BigIntegerField,
    Count,
    DateTimeField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.shortcuts import get_object_or_404

from helpdesk.accounts import access as accounts_access
from helpdesk.accounts.models import Account, User
from helpdesk.kit import roles
from helpdesk.kit.months import month_bounds
from helpdesk.tickets.models import Rating, Ticket, TicketRating
from sla.clocks import access
from sla.clocks.models import ExclusionPeriod, Miss, UpdateLapse

MISS_LIST_RELATED = ("ticket", "account", "voided_by")


# --- misses ------------------------------------------------------------------------------


def misses_for(
    *,
    user: User,
    now: dt.datetime,
    month: str = "",
    account: int | None = None,
    counted: bool | None = None,
) -> QuerySet[Miss]:
    """The misses the user may see, newest deadline first, each with `late_by`.

    `late_by` is how long after the deadline work started (or, never started, until `now`).
    """
    misses = access.misses_visible_to(user)
    if month:
        misses = misses.filter(month=month)
    if account is not None:
        misses = misses.filter(account_id=account)
    if counted is not None:
        misses = misses.filter(counted=counted)
    return (
        misses.select_related(*MISS_LIST_RELATED)
        .annotate(
            late_by=Coalesce(F("ticket__responded_at"), Value(now, output_field=DateTimeField()))
            - F("deadline")
        )
        .order_by("-deadline", "-id")
    )


def periods_touching(misses) -> None:
    """Give each miss `touching_periods`: the periods (cancelled too) that overlapped its clock. One query."""
    misses = list(misses)
    for miss in misses:
        miss.touching_periods = []
    if not misses:
        return
    periods = list(
        ExclusionPeriod.objects.filter(
            starts_at__lt=max(m.deadline for m in misses),
            ends_at__gt=min(m.clock_started_at for m in misses),
        )
        .filter(Q(account__isnull=True) | Q(account_id__in={m.account_id for m in misses}))
        .order_by("starts_at", "id")
    )
    for miss in misses:
        miss.touching_periods = [
            p
            for p in periods
            if p.account_id in (None, miss.account_id)
            and p.starts_at < miss.deadline
            and p.ends_at > miss.clock_started_at
        ]


def periods_touching_ticket(*, ticket) -> list[ExclusionPeriod]:
    """Periods (cancelled too) of the ticket's account that overlapped its current clock or a missed one."""
    spans = [(ticket.clock_started_at, ticket.responded_at or ticket.work_started_deadline)]
    spans += list(Miss.objects.filter(ticket=ticket).values_list("clock_started_at", "deadline"))
    overlaps = Q()
    for start, end in spans:
        overlaps |= Q(starts_at__lt=end, ends_at__gt=start)
    return list(
        ExclusionPeriod.objects.filter(overlaps)
        .filter(Q(account__isnull=True) | Q(account_id=ticket.account_id))
        .order_by("starts_at", "id")
    )


def update_lapses_of(*, ticket_ids) -> dict[int, list[dict]]:
    """{ticket id: [{due_at, recorded_at}, ...]} oldest first: one query (for helpdesk.tickets)."""
    found: dict[int, list[dict]] = {}
    lapses = UpdateLapse.objects.filter(ticket_id__in=ticket_ids).order_by("ticket_id", "due_at", "id")
    for ticket_id, due_at, recorded_at in lapses.values_list("ticket_id", "due_at", "recorded_at"):
        found.setdefault(ticket_id, []).append({"due_at": due_at, "recorded_at": recorded_at})
    return found


def update_lapses_in_month(*, account_id: int, month: str) -> list[UpdateLapse]:
    """An account's progress-update lapses due in `month`, with their tickets, oldest first."""
    return list(
        UpdateLapse.objects.filter(account_id=account_id, month=month)
        .select_related("ticket")
        .order_by("due_at", "id")
    )


def miss_for(*, user: User, pk: int, now: dt.datetime) -> Miss:
    """One miss the user may see, or 404 (another account's miss does not exist for them)."""
    return get_object_or_404(misses_for(user=user, now=now), pk=pk)


def miss_filter_accounts(*, user: User) -> list[Account]:
    """The accounts a staff member may filter misses by."""
    if not roles.is_staff(user):
        return []
    return list(accounts_access.accounts_visible_to(user).order_by("name", "id").only("id", "name"))


# --- exclusion periods ---------------------------------------------------------------------


def exclusion_periods_for(*, user: User) -> QuerySet[ExclusionPeriod]:
    """Declared periods (billing admins only), each with how many live misses it excludes."""
    if not access.may_manage_exclusions(user):
        return ExclusionPeriod.objects.none()
    return (
        ExclusionPeriod.objects.select_related("account", "created_by", "cancelled_by")
        .annotate(misses_excluded=Count("misses", filter=Q(misses__voided_at__isnull=True), distinct=True))
        .order_by("-starts_at", "-id")
    )


def exclusion_period_for(*, user: User, pk: int) -> ExclusionPeriod:
    return get_object_or_404(exclusion_periods_for(user=user), pk=pk)


def exclusion_account_choices(*, user: User) -> QuerySet[Account]:
    """Accounts a period may be limited to."""
    if not access.may_manage_exclusions(user):
        return Account.objects.none()
    return accounts_access.accounts_visible_to(user).order_by("name", "id")


# --- the monthly SLA report ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SlaReportRow:
    account: int
    account_name: str
    month: str
    tickets: int
    met: int
    missed: int
    counted_misses: int
    compliance_percent: Decimal | None
    median_seconds_to_work_started: int | None
    p90_seconds_to_work_started: int | None
    ratings: int = 0
    good_ratings: int = 0
    good_rating_percent: Decimal | None = None
    update_lapses: int = 0


def _counted(queryset: QuerySet) -> Coalesce:
    """COUNT(*) of `queryset` (already tied to OuterRef("pk") of an account), 0 when empty."""
    counts = queryset.order_by().values("account_id").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def _nearest_rank(total, percent: int):
    """ceil(percent/100 * total) in integer arithmetic, the same on SQLite and PostgreSQL."""
    return (total * percent + 99) / 100


def _compliance(met: int, missed: int) -> Decimal | None:
    judged = met + missed
    if not judged:
        return None
    return (Decimal(met) * 100 / Decimal(judged)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def sla_report(*, month: str, accounts_qs: QuerySet[Account]) -> list[SlaReportRow]:
    """Per account, the tickets whose current Work Started deadline falls in `month`.

    - met: Work Started at or before the deadline.
    - missed: work started late, or the current clock has a miss row (counted or not) and was
      not met: a response within the deadline extended by exclusion periods is met.
      A clock that is still running (or overdue and not yet swept) is neither.
    - counted_misses: Miss rows of the month (month of the deadline) still counted.
    - median / p90 of seconds from submission to Work Started, by nearest rank.
    - ratings, good_ratings, good_rating_percent: CSAT ratings given in the month.
    - update_lapses: progress updates (seed 004) that fell due in the month with none given.

    Two queries whatever the number of accounts and tickets: one annotates the accounts,
    one ranks the durations with window functions.
    """
    start, end = month_bounds(month)
    due = Ticket.objects.filter(
        account=OuterRef("pk"), work_started_deadline__gte=start, work_started_deadline__lt=end
    )
    current_clock_missed = Exists(
        Miss.objects.filter(ticket=OuterRef("pk"), deadline_version=OuterRef("deadline_version"))
    )
    late = Q(responded_at__gt=F("work_started_deadline"))
    in_time = Q(responded_at__lte=F("work_started_deadline"))
    # Ratings count in the month they were given (CSAT: the share of good ones).
    rated = TicketRating.objects.filter(account=OuterRef("pk"), created_at__gte=start, created_at__lt=end)
    accounts = (
        accounts_qs.order_by("name", "id")
        .annotate(
            due_tickets=_counted(due),
            met=_counted(due.filter(in_time)),
            missed=_counted(due.filter((current_clock_missed & ~in_time) | late)),
            counted_misses=_counted(Miss.objects.filter(account=OuterRef("pk"), month=month, counted=True)),
            ratings=_counted(rated),
            good_ratings=_counted(rated.filter(rating=Rating.GOOD)),
            lapse_count=_counted(UpdateLapse.objects.filter(account=OuterRef("pk"), month=month)),
        )
        .values_list(
            "pk",
            "name",
            "due_tickets",
            "met",
            "missed",
            "counted_misses",
            "ratings",
            "good_ratings",
            "lapse_count",
        )
    )
    accounts = list(accounts)
    # The ids as a list: each account's tickets are then one range of the (account, deadline)
    # index, where a subquery made PostgreSQL read the whole month of every account.
    percentiles = _work_started_percentiles(start=start, end=end, account_ids=[row[0] for row in accounts])
    rows = []
    for pk, name, tickets, met, missed, counted_misses, ratings, good, lapses in accounts:
        median, p90 = percentiles.get(pk, (None, None))
        rows.append(
            SlaReportRow(
                account=pk,
                account_name=name,
                month=month,
                tickets=tickets,
                met=met,
                missed=missed,
                counted_misses=counted_misses,
                compliance_percent=_compliance(met, missed),
                median_seconds_to_work_started=median,
                p90_seconds_to_work_started=p90,
                ratings=ratings,
                good_ratings=good,
                good_rating_percent=_compliance(good, ratings - good),
                update_lapses=lapses,
            )
        )
    return rows


class _ElapsedMicroseconds(Func):
    """`later - earlier` in whole microseconds, natively on both databases.

    Django's own subtraction of date-times calls a Python function per row on SQLite, which cost
    the report more than everything else; this reads the stored text (UTC, "YYYY-MM-DD
    HH:MM:SS[.ffffff]") instead, exactly.
    """

    arity = 2
    output_field = BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        later, earlier = (compiler.compile(e) for e in self.source_expressions)
        sql = f"(EXTRACT(EPOCH FROM ({later[0]} - {earlier[0]})) * 1000000)::bigint"
        return sql, (*later[1], *earlier[1])

    def as_sqlite(self, compiler, connection, **extra):
        later, earlier = (compiler.compile(e) for e in self.source_expressions)

        def whole(sql):
            # Whole seconds since the epoch: julianday is exact to far below half a second.
            return f"CAST(ROUND((julianday(substr({sql}, 1, 19)) - 2440587.5) * 86400) AS INTEGER)"

        def fraction(sql):
            return f"CAST(substr(substr({sql}, 21) || '000000', 1, 6) AS INTEGER)"

        sql = (
            f"(({whole(later[0])} - {whole(earlier[0])}) * 1000000 "
            f"+ {fraction(later[0])} - {fraction(earlier[0])})"
        )
        return sql, (*later[1], *earlier[1], *later[1], *earlier[1])


def _work_started_percentiles(
    *, start: dt.datetime, end: dt.datetime, account_ids: list[int]
) -> dict[int, tuple[int, int]]:
    """{account id: (median, p90)} seconds from submission to Work Started, nearest rank.

    Only the ranked rows that are a percentile leave the database: at most two per account.
    """
    ranked = (
        Ticket.objects.filter(
            account__in=account_ids,
            work_started_deadline__gte=start,
            work_started_deadline__lt=end,
            work_started_at__isnull=False,
        )
        .annotate(to_work_started=_ElapsedMicroseconds(F("work_started_at"), F("created_at")))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("account_id")],
                order_by=[F("to_work_started").asc(), F("pk").asc()],
            ),
            total=Window(Count("pk"), partition_by=[F("account_id")]),
        )
        .annotate(
            median_rank=_nearest_rank(F("total"), 50),
            p90_rank=_nearest_rank(F("total"), 90),
        )
        .filter(Q(rank=F("median_rank")) | Q(rank=F("p90_rank")))
        .order_by()
        .values_list("account_id", "rank", "median_rank", "p90_rank", "to_work_started")
    )
    found: dict[int, dict[str, int]] = {}
    for account_id, rank, median_rank, p90_rank, duration in ranked:
        seconds = int(dt.timedelta(microseconds=duration).total_seconds())
        if rank == median_rank:
            found.setdefault(account_id, {})["median"] = seconds
        if rank == p90_rank:
            found.setdefault(account_id, {})["p90"] = seconds
    return {pk: (values["median"], values["p90"]) for pk, values in found.items()}
