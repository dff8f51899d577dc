"""The account page, the engineer page and the list of accounts (reads only).

They gather what tickets, clocks, uptime, chat and billing know about one account or one
engineer, so they live in billing, the top app layer that may read them all. Every read is a
fixed number of queries whatever the number of tickets (lists are cut to their newest rows).
"""

import dataclasses
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from billing import selectors
from billing.models import Subscription, Voucher
from billing.selectors import AccountMonthSummary
from billing.services.months import first_day, shift_month
from helpdesk.accounts import access as accounts_access
from helpdesk.accounts.models import Account, User
from helpdesk.chat import selectors as chat_selectors
from helpdesk.chat.models import ChatSession
from helpdesk.kit import roles
from helpdesk.kit.months import month_bounds
from helpdesk.kit.roles import Role
from helpdesk.tickets import access as tickets_access
from helpdesk.tickets.models import OPEN_STATUSES, Rating, Ticket, TicketRating, TicketStatus
from sla.clocks.models import Miss
from sla.terms.models import Plan
from sla.uptime import selectors as uptime_selectors
from sla.uptime.models import MonitoredItem

OPEN_SHOWN = 25
RECENT_SHOWN = 10
PEOPLE_SHOWN = 50
CHATS_SHOWN = 10
MISSES_SHOWN = 50
ITEMS_SHOWN = 50
COMMENTS_SHOWN = 5
RATING_MONTHS = 6
DONE_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


@dataclasses.dataclass(frozen=True)
class RatingShare:
    """How many ratings a month had, and how many were good."""

    month: str
    ratings: int
    good: int

    @property
    def good_percent(self) -> int | None:
        return round(self.good * 100 / self.ratings) if self.ratings else None


def rating_shares(ratings: QuerySet[TicketRating], months: list[str]) -> list[RatingShare]:
    """Per month (the month a rating was given, support time zone): one query for all of them."""
    counts = {}
    for index, month in enumerate(months):
        start, end = month_bounds(month)
        given = Q(created_at__gte=start, created_at__lt=end)
        counts[f"n{index}"] = Count("pk", filter=given)
        counts[f"g{index}"] = Count("pk", filter=given & Q(rating=Rating.GOOD))
    row = ratings.aggregate(**counts)
    return [RatingShare(month, row[f"n{i}"], row[f"g{i}"]) for i, month in enumerate(months)]


def latest_comments(ratings: QuerySet[TicketRating]) -> list[TicketRating]:
    return list(
        ratings.exclude(comment="")
        .select_related("ticket", "rated_by")
        .order_by("-created_at", "-id")[:COMMENTS_SHOWN]
    )


def _months_up_to(month: str) -> list[str]:
    """The RATING_MONTHS months ending with `month`, latest first."""
    return [shift_month(month, -back) for back in range(RATING_MONTHS)]


# --- the account page ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AccountPage:
    account: Account
    month: str
    plan: Plan
    plan_version: int  # the version of the plan the month's term is pinned to
    monthly_fee: Decimal
    currency: str
    term: Subscription | None
    people: list[User]
    ticket_counts: dict
    open_tickets: list[Ticket]
    recent_tickets: list[Ticket]
    summary: AccountMonthSummary
    misses: list[Miss]
    vouchers: list[Voucher]
    items: list[MonitoredItem]
    chats: list[ChatSession]
    ratings: RatingShare
    comments: list[TicketRating]


def account_for(*, user: User, pk: int) -> Account:
    """An account the user may see (staff: any; a customer: their own), or 404."""
    return get_object_or_404(
        accounts_access.accounts_visible_to(user).select_related("plan", "plan_version"), pk=pk
    )


def current_term(*, account: Account, month: str) -> Subscription | None:
    """The subscription term `month` is billed on (None: the account's own plan and fee)."""
    return (
        Subscription.objects.filter(account=account, starts_on__lte=first_day(month))
        .select_related("plan", "plan_version")
        .order_by("-starts_on")
        .first()
    )


def _pinned_version(*, account: Account, term: Subscription | None) -> int:
    """The plan version number the term (or, with none, the account) is pinned to; the plan's
    current one while nothing is pinned yet."""
    if term is not None and term.plan_version_id:
        return term.plan_version.version
    if term is None and account.plan_version_id:
        return account.plan_version.version
    return (term.plan if term else account.plan).version


def account_page(*, account: Account, user: User, month: str) -> AccountPage:
    """What staff (and the account's own customers) see about one account in `month`.

    Customers get no tags and no assignees: who works a ticket is the support team's business.
    """
    staff = roles.is_staff(user)
    term = current_term(account=account, month=month)
    tickets = tickets_access.tickets_visible_to(user).filter(account=account)
    related = ("plan", "assignee") if staff else ("plan",)
    open_rows = tickets.filter(status__in=OPEN_STATUSES).select_related(*related)
    if staff:
        open_rows = open_rows.prefetch_related("tags")
    ratings = TicketRating.objects.filter(account=account)
    return AccountPage(
        account=account,
        month=month,
        plan=term.plan if term else account.plan,
        plan_version=_pinned_version(account=account, term=term),
        monthly_fee=term.monthly_fee if term else account.monthly_fee,
        currency=term.currency if term else account.currency,
        term=term,
        people=list(
            account.users.filter(is_active=True).order_by("last_name", "first_name", "pk")[:PEOPLE_SHOWN]
        ),
        ticket_counts=tickets.aggregate(
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            waiting=Count("pk", filter=Q(status=TicketStatus.WAITING_ON_CUSTOMER)),
            done=Count("pk", filter=Q(status__in=DONE_STATUSES)),
        ),
        open_tickets=list(open_rows.order_by("work_started_deadline", "id")[:OPEN_SHOWN]),
        recent_tickets=list(
            tickets.filter(status__in=DONE_STATUSES)
            .select_related(*related)
            .order_by("-created_at", "-id")[:RECENT_SHOWN]
        ),
        summary=selectors.account_month_summary(account=account, month=month),
        misses=list(selectors.month_misses(account=account, month=month)[:MISSES_SHOWN]),
        vouchers=list(selectors.month_vouchers(account=account, month=month)),
        items=list(uptime_selectors.items_for(user=user, account=account.pk)[:ITEMS_SHOWN]),
        chats=list(chat_selectors.chat_history(user=user, account=account.pk)[:CHATS_SHOWN]),
        ratings=rating_shares(ratings, [month])[0],
        comments=latest_comments(ratings),
    )


# --- the engineer page --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class EngineerPage:
    engineer: User
    month: str
    open_count: int
    open_tickets: list[Ticket]
    resolved_tickets: list[Ticket]
    ratings: list[RatingShare]
    comments: list[TicketRating]
    misses: list[Miss]
    misses_total: int
    misses_counted: int


def staff_member_for(*, pk: int) -> User:
    """A member of the support staff (engineer, billing admin or superuser), or 404."""
    staff = User.objects.filter(Q(role__in=[Role.ENGINEER, Role.BILLING_ADMIN]) | Q(is_superuser=True))
    return get_object_or_404(staff, pk=pk)


def engineer_page(*, engineer: User, user: User, month: str) -> EngineerPage:
    """An engineer's open tickets, what they resolved lately, their ratings and this month's misses.

    A ticket's rating and miss count for whoever is its assignee now.
    """
    tickets = tickets_access.tickets_visible_to(user).filter(assignee=engineer)
    misses = Miss.objects.filter(ticket__assignee=engineer, month=month)
    miss_counts = misses.aggregate(total=Count("pk"), counted=Count("pk", filter=Q(counted=True)))
    ratings = TicketRating.objects.filter(ticket__assignee=engineer)
    return EngineerPage(
        engineer=engineer,
        month=month,
        open_count=tickets.filter(status__in=OPEN_STATUSES).count(),
        open_tickets=list(
            tickets.filter(status__in=OPEN_STATUSES)
            .select_related("account", "plan")
            .order_by("work_started_deadline", "id")[:OPEN_SHOWN]
        ),
        resolved_tickets=list(
            tickets.filter(status__in=DONE_STATUSES)
            .select_related("account", "rating")
            .order_by("-resolved_at", "-id")[:RECENT_SHOWN]
        ),
        ratings=rating_shares(ratings, _months_up_to(month)),
        comments=latest_comments(ratings),
        misses=list(misses.select_related("ticket", "account").order_by("deadline", "id")[:MISSES_SHOWN]),
        misses_total=miss_counts["total"],
        misses_counted=miss_counts["counted"],
    )


# --- the list of accounts -----------------------------------------------------------------------


def _count(queryset: QuerySet) -> Coalesce:
    return Coalesce(
        Subquery(queryset.order_by().values("account").annotate(n=Count("pk")).values("n")[:1]),
        0,
        output_field=IntegerField(),
    )


def accounts_list(*, user: User, month: str, name: str = "") -> QuerySet[Account]:
    """Accounts by name, each with its open tickets and the month's misses (one query a page)."""
    accounts = accounts_access.accounts_visible_to(user).select_related("plan")
    if name:
        accounts = accounts.filter(name__icontains=name)
    return accounts.annotate(
        open_tickets=_count(Ticket.objects.filter(account=OuterRef("pk"), status__in=OPEN_STATUSES)),
        month_misses=_count(Miss.objects.filter(account=OuterRef("pk"), month=month)),
        people=_count(User.objects.filter(account=OuterRef("pk"), is_active=True)),
    ).order_by("name", "pk")
