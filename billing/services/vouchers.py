"""Vouchers: issued for an approved claim, or with no claim when a month closes on an automatic plan.

A voucher names the failure it pays for, a miss or an uptime shortfall, and each failure is paid
once, ever (database constraints). A miss is priced on its month's `response_penalty` by how late
the response came in working hours (`miss_lateness_seconds`); a shortfall by the uptime scale.
Closing a month whose terms say `compensation: "automatic"` prices every counted miss and every
final shortfall without a voucher through `money.automatic_month_vouchers`, within both caps;
the vouchers are credited on the next invoice ("the following month's fee will be reduced").
"""

import datetime as dt
from decimal import Decimal

from django.db.models import Exists, OuterRef

from billing import money, notifications
from billing.models import AccountMonth, Claim, ClaimGround, Voucher
from billing.selectors import arrears_at, vouchers_issued
from billing.services.events import billing_event
from helpdesk.accounts.models import User
from helpdesk.kit.enqueue import enqueue_after_commit
from helpdesk.tickets.services.events import event_record
from sla import pausing
from sla.clocks.models import Miss
from sla.terms.models import Compensation
from sla.terms.policies import calendar_of
from sla.uptime.models import UptimeShortfall
from sla.uptime.selectors import terms_of as uptime_terms_of
from sla.uptime.services.assessment import uptime_month_assess


def miss_lateness_seconds(miss: Miss, *, now: dt.datetime) -> int:
    """Working seconds from the miss's deadline to the response that stopped its clock.

    Measured on the ticket's stored calendar (its promise); a ticket still unanswered is late
    until `now`. (When sla.clocks stores a miss's own `lateness_seconds`, that is used instead.)
    """
    stored = getattr(miss, "lateness_seconds", None)
    if isinstance(stored, int):
        return stored
    ticket = miss.ticket
    responded = getattr(ticket, "responded_at", None) or ticket.work_started_at or now
    return pausing.lateness_seconds(
        calendar=calendar_of(ticket.promise or {}),
        deadline=miss.deadline,
        responded_at=max(responded, miss.deadline),
    )


def miss_price(
    *, miss: Miss, terms: AccountMonth, now: dt.datetime
) -> tuple[money.VoucherAmount, Decimal, int]:
    """A miss's voucher on the month's penalty scale, cut to what the month's cap has left.

    Returns (amount, percent of the fee it earns, working seconds late).
    """
    lateness = miss_lateness_seconds(miss, now=now)
    percent = money.response_penalty_percent(terms.response_penalty, lateness_seconds=lateness)
    # Uptime vouchers use this cap only where the plan says the two share it.
    shared = uptime_terms_of(terms.uptime_terms).shares_voucher_cap
    issued = vouchers_issued(
        account_id=terms.account_id, month=terms.month, ground=None if shared else ClaimGround.MISS
    )
    amount = money.response_penalty_voucher(
        terms.response_penalty,
        lateness_seconds=lateness,
        fee=terms.monthly_fee,
        cap_percent=terms.monthly_cap_percent,
        issued=issued,
        currency=terms.currency,
    )
    return amount, percent, lateness


def voucher_issue(
    *,
    terms: AccountMonth,
    amount: money.VoucherAmount,
    now: dt.datetime,
    miss: Miss | None = None,
    shortfall: UptimeShortfall | None = None,
    claim: Claim | None = None,
    actor: User | None = None,
    percent: Decimal | None = None,
    lateness_seconds: int | None = None,
) -> Voucher:
    """Write one voucher with its event; the customer is told after commit. The caller locks the month."""
    voucher = Voucher.objects.create(
        claim=claim,
        miss=miss,
        shortfall=shortfall,
        account_id=terms.account_id,
        month=terms.month,
        amount=amount.amount,
        requested_amount=amount.requested,
        percent=percent,
        lateness_seconds=lateness_seconds,
        currency=terms.currency,
        capped=amount.capped,
        issued_at=now,
    )
    shown = money.format_amount(amount.amount, terms.currency)
    if miss is not None:
        event_record(
            ticket=miss.ticket,
            code="voucher_issued" if claim is None else "claim_approved",
            actor=actor,
            at=now,
            claim=claim.pk if claim else None,
            voucher=voucher.pk,
            amount=shown,
            currency=terms.currency,
            capped=amount.capped,
        )
    billing_event(
        code="voucher_issued",
        at=now,
        actor=actor,
        account_id=terms.account_id,
        month=terms.month,
        claim=claim,
        voucher=voucher.pk,
        miss=miss.pk if miss else None,
        uptime_shortfall=shortfall.pk if shortfall else None,
        automatic=claim is None,
        lateness_seconds=lateness_seconds,
        amount=shown,
        requested=money.format_amount(amount.requested, terms.currency),
        currency=terms.currency,
        capped=amount.capped,
    )
    enqueue_after_commit(notifications.notify_voucher_issued, voucher.pk)
    return voucher


def automatic_vouchers_issue(*, terms: AccountMonth, now: dt.datetime) -> list[Voucher]:
    """Every counted miss and final uptime shortfall of an automatic month that has no voucher yet.

    Idempotent: a failure already paid (automatically or on a claim) is skipped, so a second
    close issues nothing. The caller holds the account's lock; the month's row is locked here.
    """
    if terms.compensation != Compensation.AUTOMATIC:
        return []
    terms = AccountMonth.objects.select_for_update().get(account_id=terms.account_id, month=terms.month)
    account_id, month = terms.account_id, terms.month
    uptime_month_assess(month=month, account_ids=[account_id], now=now)
    misses = list(
        Miss.objects.filter(account_id=account_id, month=month, counted=True, voucher__isnull=True)
        # The same exclusion as a claim's review: no compensation for a failure while in arrears.
        .exclude(
            Exists(arrears_at(failure_at=OuterRef("deadline")).filter(account_id=OuterRef("account_id")))
        )
        .select_related("ticket")
        .order_by("deadline", "id")
    )
    shortfalls = list(
        UptimeShortfall.objects.filter(
            account_id=account_id,
            month=month,
            active=True,
            final=True,
            credit_percent_requested__gt=0,
            voucher__isnull=True,
            decision_reason="",  # excluded on review: no credit
        )
        .select_related("item")
        .order_by("id")
    )
    if not misses and not shortfalls:
        return []
    uptime_terms = uptime_terms_of(terms.uptime_terms, month_cap_percent=terms.monthly_cap_percent)
    latenesses = [miss_lateness_seconds(miss, now=now) for miss in misses]
    priced = money.automatic_month_vouchers(
        penalty=terms.response_penalty,
        lateness_seconds=latenesses,
        uptime_percents=[s.credit_percent_requested for s in shortfalls],
        fee=terms.monthly_fee,
        currency=terms.currency,
        month_cap_percent=terms.monthly_cap_percent,
        uptime_cap_percent=uptime_terms.cap_percent,
        shares_voucher_cap=uptime_terms.shares_voucher_cap,
        issued_misses=vouchers_issued(account_id=account_id, month=month, ground=ClaimGround.MISS),
        issued_uptime=vouchers_issued(account_id=account_id, month=month, ground=ClaimGround.UPTIME),
    )
    issued = [
        voucher_issue(
            terms=terms,
            amount=amount,
            now=now,
            miss=miss,
            percent=money.response_penalty_percent(terms.response_penalty, lateness_seconds=lateness),
            lateness_seconds=lateness,
        )
        for miss, lateness, amount in zip(misses, latenesses, priced.misses, strict=True)
    ]
    issued += [
        voucher_issue(
            terms=terms,
            amount=amount,
            now=now,
            shortfall=shortfall,
            percent=min(shortfall.credit_percent_requested, 100),
        )
        for shortfall, amount in zip(shortfalls, priced.uptime, strict=True)
    ]
    return issued
