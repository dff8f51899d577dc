"""Whether each miss or uptime shortfall may be claimed now, as the pages show it: reads only."""

from __future__ import annotations

import dataclasses
import datetime as dt

from billing import access
from billing.models import AccountMonth, Claim
from billing.selectors import AccountMonthSummary
from billing.services.months import claim_window_closed
from helpdesk.accounts.models import Account, User
from sla.clocks.models import Miss
from sla.terms.models import Compensation
from sla.uptime.models import UptimeShortfall


def shortfall_claim_state(
    shortfall: UptimeShortfall, *, window_months: int | None, now: dt.datetime, automatic: bool = False
) -> ClaimState:
    """Whether a shortfall (fetched with its claim) may be claimed now, as the misses' ClaimState says."""
    try:
        claim = shortfall.claim
    except Claim.DoesNotExist:
        claim = None
    return _state(
        claim,
        month=shortfall.month,
        window_months=window_months,
        now=now,
        earns=shortfall.claimable,
        automatic=automatic,
    )


@dataclasses.dataclass(frozen=True)
class ClaimState:
    """What the misses page says about claiming one miss."""

    claim: Claim | None
    claimable: bool
    window_closed: bool
    automatic: bool = False  # the plan pays recorded failures when the month closes: nothing to claim


def claim_states(*, user: User, misses, now: dt.datetime) -> dict[int, ClaimState]:
    """Per miss on a page: its claim, or whether it may be claimed now. Customers only; three queries."""
    if not access.may_open_claims(user):
        return {}
    misses = list(misses)
    if not misses:
        return {}
    claims = {
        claim.miss_id: claim
        for claim in access.claims_visible_to(user).filter(miss_id__in=[m.pk for m in misses])
    }
    default = Account.objects.filter(pk=user.account_id).values_list(
        "plan__claim_window_months", "plan__compensation"
    )
    terms = {
        month: (window, compensation)
        for month, window, compensation in AccountMonth.objects.filter(
            account_id=user.account_id, month__in={m.month for m in misses}
        ).values_list("month", "claim_window_months", "compensation")
    }
    fallback = default.first() or (None, Compensation.CLAIM)
    states = {}
    for miss in misses:
        window, compensation = terms.get(miss.month, fallback)
        states[miss.pk] = _claim_state(
            miss, claims.get(miss.pk), window, now, automatic=compensation == Compensation.AUTOMATIC
        )
    return states


def month_claim_states(*, user: User, misses, summary: AccountMonthSummary, now: dt.datetime) -> dict:
    """claim_states for one month's misses fetched with their claims (month_misses): no query."""
    if not access.may_open_claims(user):
        return {}
    states = {}
    for miss in misses:
        try:
            claim = miss.claim
        except Claim.DoesNotExist:
            claim = None
        states[miss.pk] = _claim_state(
            miss,
            claim,
            summary.claim_window_months,
            now,
            automatic=summary.compensation == Compensation.AUTOMATIC,
        )
    return states


def _claim_state(
    miss: Miss, claim: Claim | None, window_months: int | None, now: dt.datetime, *, automatic: bool = False
) -> ClaimState:
    earns = miss.counted or miss.voided
    # On an automatic plan a counted miss is paid at close; an uncounted one may still be disputed.
    automatic = automatic and miss.counted
    return _state(
        claim, month=miss.month, window_months=window_months, now=now, earns=earns, automatic=automatic
    )


def _state(
    claim: Claim | None,
    *,
    month: str,
    window_months: int | None,
    now: dt.datetime,
    earns: bool,
    automatic: bool = False,
) -> ClaimState:
    """Claimable: nothing claimed yet, the month's claim window still open, something to earn, and
    a plan that does not pay it by itself."""
    closed = claim_window_closed(month=month, window_months=window_months, now=now)
    claimable = claim is None and not closed and earns and not automatic
    return ClaimState(claim=claim, claimable=claimable, window_closed=closed, automatic=automatic)
