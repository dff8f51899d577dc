"""Account months: the terms each month is billed on, and its termination flag.

sla tells billing, through the listener billing registers with sla.clocks.hooks, whenever an
account's counted failures for a month change (a miss recorded, excluded, counted again or
voided; an uptime shortfall that starts or stops counting); `counted_failures_changed` then
judges the month again, so the flag goes up the moment the
(threshold + 1)th counted miss is recorded and comes down, with an event, when an
exclusion drops the count back.
"""

import datetime as dt
import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from billing import notifications
from billing.models import AccountMonth, Subscription
from billing.services.events import billing_event
from helpdesk.accounts.models import Account
from helpdesk.accounts.services.terms import account_plan_version
from helpdesk.kit.enqueue import enqueue_after_commit
from helpdesk.kit.errors import field_error
from helpdesk.kit.months import is_month, month_bounds, month_of, support_zone
from sla.clocks.models import Miss
from sla.terms.models import PlanVersion
from sla.terms.services.versions import plan_version_current
from sla.uptime.selectors import counted_failures, counted_shortfalls_by_account

log = logging.getLogger(__name__)


# --- months as values -------------------------------------------------------------------


def shift_month(month: str, months: int) -> str:
    """'YYYY-MM' plus (or minus) a number of months."""
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + number - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def first_day(month: str) -> dt.date:
    year, number = (int(part) for part in month.split("-"))
    return dt.date(year, number, 1)


def last_day(month: str) -> dt.date:
    return first_day(shift_month(month, 1)) - dt.timedelta(days=1)


def month_label(month: str) -> str:
    return first_day(month).strftime("%B %Y")


def clean_month(value, *, field: str = "month") -> str:
    if not isinstance(value, str) or not is_month(value):
        raise field_error(field, "Give a month as YYYY-MM, between 2000-01 and 2100-12.")
    return value


def claim_window_end(*, month: str, window_months: int | None) -> dt.datetime | None:
    """The instant a miss of `month` can no longer be claimed: the end of the window's last month.

    None: the plan sets no claim deadline (seed 000), so the window never closes.
    """
    if window_months is None:
        return None
    return month_bounds(shift_month(month, window_months))[1]


def claim_window_closed(*, month: str, window_months: int | None, now: dt.datetime) -> bool:
    end = claim_window_end(month=month, window_months=window_months)
    return end is not None and now >= end


def window_closes_label(*, month: str, window_months: int | None) -> str:
    """The last month a claim may be filed in ("March 2026"), or "" when there is no deadline."""
    return "" if window_months is None else month_label(shift_month(month, window_months))


# --- the terms of a month ---------------------------------------------------------------


def term_in_force(*, account: Account, month: str) -> Subscription | None:
    """The latest subscription term started by the month's first day (None: the account's own terms)."""
    return (
        Subscription.objects.filter(account=account, starts_on__lte=first_day(month))
        .select_related("plan", "plan_version__plan")
        .order_by("-starts_on")
        .first()
    )


def term_version(term: Subscription) -> PlanVersion:
    """The plan version a term keeps; a term made before versions were kept takes its plan's current
    version, once, and keeps it from then on."""
    if term.plan_version_id is not None:
        return term.plan_version
    version = plan_version_current(plan=term.plan)
    Subscription.objects.filter(pk=term.pk, plan_version__isnull=True).update(plan_version=version)
    term.plan_version = version
    return version


def month_version(*, account: Account, month: str) -> PlanVersion:
    """The plan version `month` is billed on: its subscription term's, else the account's pin."""
    term = term_in_force(account=account, month=month)
    return term_version(term) if term is not None else account_plan_version(account=account)


def terms_for(*, account: Account, month: str) -> dict:
    """The terms `month` is billed on: the plan version of the latest subscription term started by
    its first day, else the account's pinned version, own fee and currency. AccountMonth keeps a copy."""
    term = term_in_force(account=account, month=month)
    if term is not None:
        return terms_from(version=term_version(term), monthly_fee=term.monthly_fee, currency=term.currency)
    return terms_from(
        version=account_plan_version(account=account),
        monthly_fee=account.monthly_fee,
        currency=account.currency,
    )


def terms_from(*, version: PlanVersion, monthly_fee, currency: str) -> dict:
    """A month's money terms from a plan version's snapshot (never from the plan's latest edit)."""
    terms = version.terms
    return {
        "plan": version.plan,
        "plan_version": version,
        "monthly_fee": monthly_fee,
        "currency": currency,
        "voucher_percent": Decimal(terms["voucher_percent"]),
        "monthly_cap_percent": Decimal(terms["monthly_cap_percent"]),
        "termination_threshold": terms["termination_threshold"],
        "claim_window_months": terms["claim_window_months"],
        "compensation": terms["compensation"],
        "response_penalty": terms["response_penalty"],
        "uptime_terms": terms["uptime_terms"],
    }


MONTH_TERM_FIELDS = [
    "plan",
    "plan_version",
    "monthly_fee",
    "currency",
    "voucher_percent",
    "monthly_cap_percent",
    "termination_threshold",
    "claim_window_months",
    "compensation",
    "response_penalty",
    "uptime_terms",
]


def account_month(*, account: Account, month: str) -> AccountMonth:
    """The account's month, its terms copied from the subscription on first use."""
    found = AccountMonth.objects.filter(account=account, month=month).first()
    if found is not None:
        return found
    created, _ = AccountMonth.objects.get_or_create(
        account=account, month=month, defaults=terms_for(account=account, month=month)
    )
    return created


def account_month_locked(*, account: Account, month: str) -> AccountMonth:
    """account_month, with its row locked until the transaction ends (the cap and the flag live here)."""
    account_month(account=account, month=month)
    return AccountMonth.objects.select_for_update().get(account=account, month=month)


# --- termination eligibility --------------------------------------------------------------


def counted_misses(*, account_id: int, month: str) -> int:
    """Every failure the month counts toward termination: counted misses and counted uptime shortfalls.

    Seed 004 counts any failure to meet its service levels; a plan whose uptime terms say
    otherwise has no counted shortfalls (sla decides that when it assesses the month).
    """
    return counted_failures(account_id=account_id, month=month)


@transaction.atomic
def termination_reassess(*, account_id: int, month: str, now: dt.datetime | None = None) -> AccountMonth:
    """Flag the month when its counted misses pass the threshold; clear the flag when they drop back.

    The month's row is locked before counting, so two judgements of one month take turns
    and the later one counts everything the earlier one did.
    """
    now = now or timezone.now()
    account = Account.objects.select_related("plan").get(pk=account_id)
    month_row = account_month_locked(account=account, month=month)
    count = counted_misses(account_id=account_id, month=month)
    threshold = month_row.termination_threshold
    eligible = threshold is not None and count > threshold
    if eligible == month_row.termination_eligible:
        return month_row
    month_row.termination_eligible = eligible
    month_row.eligible_since = now if eligible else None
    month_row.save(update_fields=["termination_eligible", "eligible_since"])
    billing_event(
        code="termination_eligible" if eligible else "termination_cleared",
        at=now,
        account_id=account_id,
        month=month,
        counted_misses=count,
        threshold=month_row.termination_threshold,
    )
    if eligible:
        enqueue_after_commit(notifications.notify_termination_eligible, month_row.pk)
    return month_row


def counted_failures_changed(*, account_id: int, month: str) -> None:
    """sla's hook (registered in BillingConfig.ready()), called after sla's commit.

    It must never fail the sweep that recorded the miss: a failure is logged, and the hourly
    `termination_sweep` puts the flag right.
    """
    try:
        termination_reassess(account_id=account_id, month=month)
    except Exception:
        log.exception("could not judge termination eligibility of account %s for %s", account_id, month)


def termination_sweep(*, month: str, now: dt.datetime | None = None) -> int:
    """The safety net: judge again every account whose stored flag disagrees with its count."""
    counts = dict(
        Miss.objects.filter(month=month, counted=True)
        .order_by()
        .values("account_id")
        .annotate(n=Count("pk"))
        .values_list("account_id", "n")
    )
    for account_id, shortfalls in counted_shortfalls_by_account(month=month).items():
        counts[account_id] = counts.get(account_id, 0) + shortfalls
    months = {
        row.account_id: row
        for row in AccountMonth.objects.filter(month=month).only(
            "account_id", "termination_threshold", "termination_eligible"
        )
    }
    thresholds = {  # a month not opened yet: the threshold of the version it would be billed on
        account.pk: terms_for(account=account, month=month)["termination_threshold"]
        for account in Account.objects.filter(pk__in=set(counts) - set(months)).order_by("pk")
    }
    wrong = []
    for account_id in sorted(set(counts) | {a for a, row in months.items() if row.termination_eligible}):
        row = months.get(account_id)
        threshold = row.termination_threshold if row else thresholds.get(account_id)
        if threshold is None:
            continue
        if (counts.get(account_id, 0) > threshold) != (row.termination_eligible if row else False):
            wrong.append(account_id)
    for account_id in wrong:
        termination_reassess(account_id=account_id, month=month, now=now)
    return len(wrong)


def current_month(now: dt.datetime | None = None) -> str:
    return month_of(now or timezone.now())


def support_today(now: dt.datetime | None = None) -> dt.date:
    """Today's date in the support time zone (due dates and overdue invoices are reckoned in it)."""
    return (now or timezone.now()).astimezone(support_zone()).date()
