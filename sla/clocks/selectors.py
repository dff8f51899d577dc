"""Reads of the contract's records: misses, exclusion periods and the monthly SLA report.

Every user-dependent fetch goes through the apps' access modules; the report is computed by the
database (counts and every duration, grouped by account) in a fixed number of queries."""

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Aggregate,
    Count,
    DateTimeField,
    F,
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Coalesce
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


def _per_account(queryset: QuerySet, **aggregates) -> dict[int, list]:
    """{account id: [each of `aggregates`]} over `queryset`, grouped by account: one query."""
    grouped = queryset.order_by().values_list("account_id").annotate(**aggregates)
    return {pk: values for pk, *values in grouped}


def _compliance(met: int, missed: int) -> Decimal | None:
    judged = met + missed
    if not judged:
        return None
    return (Decimal(met) * 100 / Decimal(judged)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def sla_report(*, month: str, accounts_qs: QuerySet[Account]) -> list[SlaReportRow]:
    """The report of `month` for every account of `accounts_qs`, by name (see `sla_report_of`)."""
    accounts = list(accounts_qs.order_by("name", "id").values_list("pk", "name"))
    return sla_report_of(month=month, accounts=accounts)


def sla_report_of(*, month: str, accounts: Sequence[tuple[int, str]]) -> list[SlaReportRow]:
    """Per account (id, name), in that order: the tickets whose Work Started deadline falls in `month`.

    - met: Work Started at or before the deadline.
    - missed: work started late, or the current clock has a miss row (counted or not) and was
      not met: a response within the deadline extended by exclusion periods is met.
      A clock that is still running (or overdue and not yet swept) is neither.
    - counted_misses: Miss rows of the month (month of the deadline) still counted.
    - median / p90 of seconds from submission to Work Started, by nearest rank.
    - ratings, good_ratings, good_rating_percent: CSAT ratings given in the month.
    - update_lapses: progress updates (seed 004) that fell due in the month with none given.

    Four queries whatever the number of accounts and tickets: one per table, grouped by
    account (the tickets' also brings every duration to Work Started). The ids go in as a list:
    each account's tickets are then one range of the (account, deadline) index, where a
    subquery made PostgreSQL read the whole month of every account. `account__pk__in` takes
    them as plain numbers (a relation's own `__in` checks each for a model instance: twice the
    Python).
    """
    start, end = month_bounds(month)
    ids = [pk for pk, _ in accounts]
    late = Q(responded_at__gt=F("work_started_deadline"))
    in_time = Q(responded_at__lte=F("work_started_deadline"))
    due_tickets = Ticket.objects.filter(
        account__pk__in=ids, work_started_deadline__gte=start, work_started_deadline__lt=end
    )
    tickets = _per_account(
        due_tickets,
        due=Count("pk"),
        met=Count("pk", filter=in_time),
        # Not met: late, or no response yet on a clock whose miss is recorded. The sweep records
        # the current clock's miss and stops it pending in one step (sla.clocks.services.misses),
        # and every new clock (downgrade, upgrade, reclassify) starts pending again: an unanswered
        # ticket no longer pending is one whose current clock has a miss row, read from the row
        # itself (and the report's index), not by a join for each ticket.
        missed=Count("pk", filter=late | Q(responded_at__isnull=True, miss_pending=False)),
        # Kept in each row since work started (Ticket.work_started_after).
        durations=_Joined(F("work_started_after"), filter=Q(work_started_after__isnull=False)),
    )
    counted_misses = _per_account(
        Miss.objects.filter(account__pk__in=ids, month=month, counted=True), counted=Count("pk")
    )
    # Ratings count in the month they were given (CSAT: the share of good ones).
    ratings = _per_account(
        TicketRating.objects.filter(account__pk__in=ids, created_at__gte=start, created_at__lt=end),
        given=Count("pk"),
        good=Count("pk", filter=Q(rating=Rating.GOOD)),
    )
    lapses = _per_account(UpdateLapse.objects.filter(account__pk__in=ids, month=month), lapses=Count("pk"))
    rows = []
    for pk, name in accounts:
        due, met, missed, durations = tickets.get(pk, (0, 0, 0, None))
        given, good = ratings.get(pk, (0, 0))
        median, p90 = _work_started_percentiles(durations)
        rows.append(
            SlaReportRow(
                account=pk,
                account_name=name,
                month=month,
                tickets=due,
                met=met,
                missed=missed,
                counted_misses=counted_misses.get(pk, (0,))[0],
                compliance_percent=_compliance(met, missed),
                median_seconds_to_work_started=median,
                p90_seconds_to_work_started=p90,
                ratings=given,
                good_ratings=good,
                good_rating_percent=_compliance(good, given - good),
                update_lapses=lapses.get(pk, (0,))[0],
            )
        )
    return rows


class _Joined(Aggregate):
    """The group's values as one text, comma separated, in no particular order."""

    function = "GROUP_CONCAT"
    name = "Joined"
    output_field = TextField()

    def __init__(self, expression, **extra):
        super().__init__(Cast(expression, TextField()), Value(","), **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="STRING_AGG", **extra)


def _work_started_percentiles(durations: str | None) -> tuple[int | None, int | None]:
    """(median, p90) seconds from submission to Work Started, nearest rank, of joined durations.

    The database computes every duration exactly (microseconds) and sends an account's with its
    counts, as one text; they are sorted and ranked here. Window functions that let only the
    ranked rows out, or a query of its own reading each duration as a row, cost more on SQLite
    and PostgreSQL alike (measured with 2,000 and 5,500 started tickets over 50 accounts).
    """
    if not durations:
        return None, None
    # Whole numbers the database wrote, comma separated: a JSON array's body, read in C.
    ordered = sorted(json.loads(f"[{durations}]"))
    return _seconds_at(ordered, 50), _seconds_at(ordered, 90)


def _seconds_at(durations: list[int], percent: int) -> int:
    """The nearest-rank `percent`th of sorted durations (microseconds), in whole seconds toward zero."""
    rank = (len(durations) * percent + 99) // 100
    return int(dt.timedelta(microseconds=durations[rank - 1]).total_seconds())
