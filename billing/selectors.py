"""Billing reads: querysets and summaries tuned for each screen, user-dependent ones through access.py."""

import dataclasses
import datetime as dt
from decimal import Decimal

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.shortcuts import get_object_or_404

from billing import access, money
from billing.models import (
    AccountMonth,
    Claim,
    ClaimGround,
    ClaimStatus,
    Invoice,
    InvoiceLine,
    Subscription,
    TerminationRequest,
    TerminationStatus,
    Voucher,
)
from billing.services.months import terms_for
from helpdesk.accounts import access as accounts_access
from helpdesk.accounts.models import Account, User
from helpdesk.kit import roles
from helpdesk.kit.months import month_bounds, support_zone
from helpdesk.tickets.models import TicketEvent
from sla.clocks import access as clocks_access
from sla.clocks.models import ExclusionPeriod, Miss
from sla.uptime import access as uptime_access
from sla.uptime.models import Downtime, UptimeShortfall
from sla.uptime.selectors import counted_shortfalls, terms_for_accounts

CLAIM_LIST_RELATED = (
    "miss",
    "miss__ticket",
    "miss__exclusion_period",
    "miss__voided_by",
    "shortfall",
    "shortfall__item",
    "disputed_ticket",
    "account",
    "voucher",
    "created_by",
    "decided_by",
)
# How far around a miss's clock the review shows declared periods.
REVIEW_MARGIN = dt.timedelta(days=1)


def month_invoiced(*, account_id: int, month: str) -> bool:
    """An invoice covers the account's month: what it counted is settled (downgrades are closed)."""
    return Invoice.objects.filter(account_id=account_id, month=month).exists()


def overdue_invoices(*, today: dt.date) -> QuerySet[Invoice]:
    return Invoice.objects.filter(paid_at__isnull=True, due_on__lt=today)


def arrears_at(*, failure_at) -> QuerySet[Invoice]:
    """Invoices overdue and unpaid at the instant of a failure (a datetime, or an expression of one).

    The contract excuses a failure "while the client is in breach (e.g. late payment)": that is
    judged then, so an invoice paid since still counts, and one that fell due later does not.
    """
    if isinstance(failure_at, dt.datetime):
        failure_at = Value(failure_at, output_field=DateTimeField())
    else:
        failure_at = ExpressionWrapper(failure_at, output_field=DateTimeField())
    due_day = TruncDate(failure_at, tzinfo=support_zone())
    return Invoice.objects.filter(due_on__lt=due_day).filter(
        Q(paid_at__isnull=True) | Q(paid_at__gt=failure_at)
    )


# --- claims --------------------------------------------------------------------------------


def claims_for(
    *,
    user: User,
    now: dt.datetime,
    status: str = "",
    month: str = "",
    account: int | None = None,
    miss: int | None = None,
    ticket: int | None = None,
    uptime_shortfall: int | None = None,
    ground: str = "",
) -> QuerySet[Claim]:
    """The claims the user may see, each with `in_arrears`: an invoice of its account was overdue and
    unpaid when the failure happened (a miss's deadline; for an uptime shortfall, when it was claimed).

    Pending claims are a queue: oldest first. Any other view: newest first.
    """
    claims = access.claims_visible_to(user)
    if status:
        claims = claims.filter(status=status)
    if month:
        claims = claims.filter(month=month)
    if account is not None:
        claims = claims.filter(account_id=account)
    if miss is not None:
        claims = claims.filter(miss_id=miss)
    if ticket is not None:
        claims = claims.filter(Q(miss__ticket_id=ticket) | Q(disputed_ticket_id=ticket))
    if uptime_shortfall is not None:
        claims = claims.filter(shortfall_id=uptime_shortfall)
    if ground == ClaimGround.DISPUTE:
        claims = claims.filter(disputed_ticket__isnull=False)
    elif ground:
        claims = claims.filter(shortfall__isnull=ground != ClaimGround.UPTIME, disputed_ticket__isnull=True)
    order = ("created_at", "id") if status == ClaimStatus.PENDING else ("-created_at", "-id")
    return (
        claims.select_related(*CLAIM_LIST_RELATED)
        .annotate(
            failure_at=Coalesce("miss__deadline", "disputed_ticket__work_started_deadline", "created_at")
        )
        .annotate(
            in_arrears=Exists(
                arrears_at(failure_at=OuterRef("failure_at")).filter(account=OuterRef("account_id"))
            )
        )
        .order_by(*order)
    )


def claim_for(*, user: User, pk: int, now: dt.datetime) -> Claim:
    """One claim the user may see, or 404."""
    return get_object_or_404(claims_for(user=user, now=now), pk=pk)


def voucher_of(claim: Claim) -> Voucher | None:
    try:
        return claim.voucher
    except Voucher.DoesNotExist:
        return None


def proposed_reason(claim: Claim) -> str | None:
    """The denial reason the review suggests, if any (on a claim from claims_for).

    An overdue unpaid invoice proposes "account in arrears"; a miss excused by a declared
    period since it was claimed proposes that period's kind.
    """
    if claim.status != ClaimStatus.PENDING:
        return None
    if getattr(claim, "in_arrears", False):
        return "account_in_arrears"
    miss = claim.miss
    if miss is not None and not miss.counted and not miss.voided and miss.exclusion_period_id:
        return miss.exclusion_period.kind
    return None


def claimable_misses(*, user: User) -> QuerySet[Miss]:
    """Misses a user may open a claim on (their own account's)."""
    return clocks_access.misses_visible_to(user) if access.may_open_claims(user) else Miss.objects.none()


def claimable_shortfalls(*, user: User) -> QuerySet[UptimeShortfall]:
    """Uptime shortfalls a user may open a claim on (their own account's)."""
    if not access.may_open_claims(user):
        return UptimeShortfall.objects.none()
    return uptime_access.shortfalls_visible_to(user)


def month_shortfalls(*, account: Account, month: str) -> QuerySet[UptimeShortfall]:
    """The month's uptime shortfalls (still below guarantee), with their item and claim."""
    return (
        UptimeShortfall.objects.filter(account=account, month=month, active=True)
        .select_related("item", "claim")
        .order_by("item__name", "id")
    )


@dataclasses.dataclass(frozen=True)
class ClaimReview:
    claim: Claim
    events: list
    periods: list
    month: "AccountMonthSummary"
    proposed_reason: str | None
    overdue: list
    downtimes: list = dataclasses.field(default_factory=list)
    uptime_cap: "UptimeCap | None" = None


def claim_review(*, claim: Claim, now: dt.datetime) -> ClaimReview:
    """What a billing admin weighs: the ticket's timeline (or the item's downtime in the month),
    the declared periods around it, the month so far, overdue invoices."""
    events, downtimes = [], []
    if claim.miss_id:
        miss = claim.miss
        events = list(
            TicketEvent.objects.filter(ticket_id=miss.ticket_id).select_related("actor").order_by("at", "id")
        )
        start, end = miss.clock_started_at - REVIEW_MARGIN, miss.deadline + REVIEW_MARGIN
    elif claim.disputed_ticket_id:  # a dispute not upheld yet: the ticket's own timeline
        ticket = claim.disputed_ticket
        events = list(
            TicketEvent.objects.filter(ticket_id=ticket.pk).select_related("actor").order_by("at", "id")
        )
        start, end = ticket.clock_started_at - REVIEW_MARGIN, ticket.work_started_deadline + REVIEW_MARGIN
    else:
        start, end = month_bounds(claim.month)
        downtimes = list(
            Downtime.objects.filter(item_id=claim.shortfall.item_id, starts_at__lt=end)
            .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=start))
            .prefetch_related("tickets")
            .order_by("starts_at", "id")
        )
    periods = list(
        ExclusionPeriod.objects.filter(starts_at__lt=end, ends_at__gt=start)
        .filter(Q(account__isnull=True) | Q(account_id=claim.account_id))
        .order_by("starts_at", "id")
    )
    if claim.miss_id:
        failure_at = claim.miss.deadline
    elif claim.disputed_ticket_id:
        failure_at = claim.disputed_ticket.work_started_deadline
    else:
        failure_at = claim.created_at
    overdue = list(arrears_at(failure_at=failure_at).filter(account_id=claim.account_id).order_by("due_on"))
    month = account_month_summary(account=claim.account, month=claim.month)
    return ClaimReview(
        claim=claim,
        events=events,
        periods=periods,
        month=month,
        proposed_reason=proposed_reason(claim),
        overdue=overdue,
        downtimes=downtimes,
        uptime_cap=uptime_cap(
            account_id=claim.account_id, month=claim.month, fee=month.monthly_fee, currency=month.currency
        )
        if claim.shortfall_id
        else None,
    )


# --- vouchers and invoices ---------------------------------------------------------------------


def vouchers_issued(*, account_id: int, month: str, ground: str | None = None) -> Decimal:
    """What the vouchers of an account's month add up to: the part of its cap already used.

    `ground` ("miss" or "uptime") counts only the vouchers of claims of that kind: a cap
    that uptime credits do not share is used by response-time vouchers alone, and the other
    way round; without it every voucher counts (a shared cap).
    """
    vouchers = Voucher.objects.filter(account_id=account_id, month=month)
    if ground == ClaimGround.MISS:
        vouchers = vouchers.filter(shortfall__isnull=True)
    elif ground == ClaimGround.UPTIME:
        vouchers = vouchers.filter(shortfall__isnull=False)
    total = vouchers.aggregate(total=Sum("amount"))["total"]
    return total or money.ZERO


@dataclasses.dataclass(frozen=True)
class UptimeCap:
    """A month's uptime credit cap and what its uptime vouchers have used of it."""

    cap: Decimal
    used: Decimal
    currency: str
    shared: bool  # the plan's uptime credits also count against the month's voucher cap

    @property
    def remaining(self) -> Decimal:
        return max(money.ZERO, self.cap - self.used)


def uptime_cap(*, account_id: int, month: str, fee: Decimal, currency: str) -> UptimeCap:
    """The uptime cap of an account's month (its plan's uptime terms, the month's fee). Three queries."""
    terms = terms_for_accounts([account_id], month=month)[account_id]
    return UptimeCap(
        cap=money.percent_of(fee, terms.cap_percent, currency),
        used=money.quantize(
            vouchers_issued(account_id=account_id, month=month, ground=ClaimGround.UPTIME), currency
        ),
        currency=currency,
        shared=terms.shares_voucher_cap,
    )


def response_time_vouchers_issued(*, account_id: int, month: str) -> Decimal:
    """The response-time vouchers of a month (billing.pricing reads them for uptime's shared cap).

    The uptime assessment takes these from the shared cap to show what a shortfall may still earn.
    """
    return vouchers_issued(account_id=account_id, month=month, ground=ClaimGround.MISS)


def vouchers_for(
    *,
    user: User,
    month: str = "",
    account: int | None = None,
    credited: bool | None = None,
) -> QuerySet[Voucher]:
    vouchers = access.vouchers_visible_to(user)
    if month:
        vouchers = vouchers.filter(month=month)
    if account is not None:
        vouchers = vouchers.filter(account_id=account)
    if credited is not None:
        vouchers = vouchers.filter(invoice__isnull=not credited)
    return vouchers.select_related("account", "claim", "miss").order_by("-issued_at", "-id")


def invoices_for(
    *,
    user: User,
    month: str = "",
    account: int | None = None,
    status: str = "",
    today: dt.date | None = None,
) -> QuerySet[Invoice]:
    """Invoices the user may see with their lines; status: paid, unpaid or overdue."""
    invoices = access.invoices_visible_to(user)
    if month:
        invoices = invoices.filter(month=month)
    if account is not None:
        invoices = invoices.filter(account_id=account)
    if status == "paid":
        invoices = invoices.filter(paid_at__isnull=False)
    elif status == "unpaid":
        invoices = invoices.filter(paid_at__isnull=True)
    elif status == "overdue":
        invoices = invoices.filter(paid_at__isnull=True, due_on__lt=today)
    return (
        invoices.select_related("account")
        .prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.order_by("position")))
        .order_by("-month", "account__name", "id")
    )


def invoice_for(*, user: User, pk: int) -> Invoice:
    """One invoice with its lines and their vouchers (for the page and the PDF), or 404."""
    lines = InvoiceLine.objects.select_related("voucher").order_by("position")
    return get_object_or_404(
        access.invoices_visible_to(user)
        .select_related("account")
        .prefetch_related(Prefetch("lines", queryset=lines)),
        pk=pk,
    )


# --- the account's month --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AccountMonthSummary:
    account: Account
    month: str
    plan_name: str
    monthly_fee: Decimal
    currency: str
    misses: int
    counted_misses: int
    counted_shortfalls: int
    termination_threshold: int | None
    termination_eligible: bool
    eligible_since: dt.datetime | None
    vouchers_total: Decimal
    cap: Decimal
    cap_percent: Decimal
    voucher_percent: Decimal
    claim_window_months: int | None
    compensation: str
    claims_pending: int
    claims_approved: int
    claims_denied: int

    @property
    def counted_failures(self) -> int:
        """What termination eligibility counts: counted misses and counted uptime shortfalls."""
        return self.counted_misses + self.counted_shortfalls

    @property
    def cap_used(self) -> Decimal:
        return self.vouchers_total

    @property
    def cap_remaining(self) -> Decimal:
        return max(money.ZERO, self.cap - self.vouchers_total)

    @property
    def cap_used_percent(self) -> int:
        if not self.cap:
            return 0
        return min(100, int(self.vouchers_total * 100 / self.cap))


def account_month_summary(*, account: Account, month: str) -> AccountMonthSummary:
    """The month's numbers, the same on the page and in the API. Reads only (six queries)."""
    row = AccountMonth.objects.filter(account=account, month=month).select_related("plan").first()
    if row is not None:
        terms = {
            "plan": row.plan,
            "monthly_fee": row.monthly_fee,
            "currency": row.currency,
            "termination_threshold": row.termination_threshold,
            "monthly_cap_percent": row.monthly_cap_percent,
            "voucher_percent": row.voucher_percent,
            "claim_window_months": row.claim_window_months,
            "compensation": row.compensation,
        }
    else:
        terms = terms_for(account=account, month=month)
    fee, currency, cap_percent = terms["monthly_fee"], terms["currency"], terms["monthly_cap_percent"]
    misses = Miss.objects.filter(account=account, month=month).aggregate(
        total=Count("pk"), counted=Count("pk", filter=Q(counted=True))
    )
    vouchers = vouchers_issued(account_id=account.pk, month=month)
    shortfalls = counted_shortfalls(account_id=account.pk, month=month)
    claims = dict(
        Claim.objects.filter(account=account, month=month)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return AccountMonthSummary(
        account=account,
        month=month,
        plan_name=terms["plan"].name,
        monthly_fee=fee,
        currency=currency,
        misses=misses["total"],
        counted_misses=misses["counted"],
        counted_shortfalls=shortfalls,
        termination_threshold=terms["termination_threshold"],
        termination_eligible=bool(row and row.termination_eligible),
        eligible_since=row.eligible_since if row else None,
        vouchers_total=money.quantize(vouchers, currency),
        cap=money.monthly_cap(fee=fee, cap_percent=cap_percent, currency=currency),
        cap_percent=cap_percent,
        voucher_percent=terms["voucher_percent"],
        claim_window_months=terms["claim_window_months"],
        compensation=terms["compensation"],
        claims_pending=claims.get(ClaimStatus.PENDING, 0),
        claims_approved=claims.get(ClaimStatus.APPROVED, 0),
        claims_denied=claims.get(ClaimStatus.DENIED, 0),
    )


def account_for(*, user: User, pk: int) -> Account:
    """An account whose months the user may read, or 404."""
    return get_object_or_404(accounts_access.accounts_visible_to(user).select_related("plan"), pk=pk)


def month_misses(*, account: Account, month: str) -> QuerySet[Miss]:
    """The month's misses with their claim and voucher, earliest deadline first."""
    return (
        Miss.objects.filter(account=account, month=month)
        .select_related("ticket", "claim", "voucher", "voided_by")
        .order_by("deadline", "id")
    )


def month_vouchers(*, account: Account, month: str) -> QuerySet[Voucher]:
    return (
        Voucher.objects.filter(account=account, month=month)
        .select_related("claim", "miss", "shortfall__item", "invoice")
        .order_by("issued_at", "id")
    )


def month_invoice(*, account: Account, month: str) -> Invoice | None:
    return Invoice.objects.filter(account=account, month=month).first()


def open_termination(*, account: Account) -> TerminationRequest | None:
    """The account's termination request still in play (asked or confirmed), else the latest one."""
    requests = list(TerminationRequest.objects.filter(account=account).order_by("-requested_at", "-id")[:10])
    in_play = [r for r in requests if r.status in (TerminationStatus.REQUESTED, TerminationStatus.CONFIRMED)]
    return (in_play or requests or [None])[0]


# --- termination --------------------------------------------------------------------------------


def flagged_months(*, user: User) -> QuerySet[AccountMonth]:
    """Months that allow termination without penalty (billing admins), latest first, with their count."""
    if not access.may_decide_terminations(user):
        return AccountMonth.objects.none()
    counted = (
        Miss.objects.filter(account=OuterRef("account_id"), month=OuterRef("month"), counted=True)
        .order_by()
        .values("account")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    shortfalls = (
        UptimeShortfall.objects.filter(account=OuterRef("account_id"), month=OuterRef("month"), counted=True)
        .order_by()
        .values("account")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return (
        AccountMonth.objects.filter(termination_eligible=True)
        .select_related("account")
        .annotate(
            counted_misses=Coalesce(Subquery(counted, output_field=IntegerField()), 0),
            counted_shortfalls=Coalesce(Subquery(shortfalls, output_field=IntegerField()), 0),
        )
        .order_by("-month", "account__name", "id")
    )


def termination_requests_for(*, user: User, status: str = "") -> QuerySet[TerminationRequest]:
    requests = access.termination_requests_visible_to(user)
    if status:
        requests = requests.filter(status=status)
    return requests.select_related("account", "requested_by", "decided_by").order_by("-requested_at", "-id")


def termination_request_for(*, user: User, pk: int) -> TerminationRequest:
    return get_object_or_404(termination_requests_for(user=user), pk=pk)


# --- subscriptions ------------------------------------------------------------------------------


def subscriptions_for(*, user: User, account: int | None = None) -> QuerySet[Subscription]:
    """Subscription terms the user may read: every account's for billing admins, a customer's own
    account's, none for anyone else. Per account, the latest start first."""
    if access.may_manage_subscriptions(user):
        terms = Subscription.objects.all()
    elif roles.is_customer(user):
        terms = Subscription.objects.filter(account__in=accounts_access.accounts_visible_to(user))
    else:
        return Subscription.objects.none()
    if account is not None:
        terms = terms.filter(account_id=account)
    return terms.select_related("plan_version").order_by("account_id", "-starts_on", "-id")
