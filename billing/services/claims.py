"""Claims and vouchers: a customer applies for one miss or one uptime shortfall, a billing admin decides.

Approval of a miss's claim issues one voucher of the plan's percent of the miss month's
fee, cut so that the month's vouchers never pass its cap. Approval of an uptime claim
issues the sliding scale's credit, cut to what the month's uptime cap has left and, where
the plan's uptime terms share the cap, to what the month's voucher cap has left too (when
they do not share it, uptime vouchers do not use the response-time cap either). The claim
row is locked before it is decided, the month's row before any cap is read, and the
voucher is unique per claim, so a second approval (a retry, a double click, a second admin
at the same instant) is a 409, never a second voucher.
"""

import dataclasses
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import access, money, notifications
from billing.models import Claim, ClaimStatus, DecisionReason, Voucher
from billing.selectors import uptime_cap, vouchers_issued
from billing.services.events import billing_event
from billing.services.exclusions import exclude_for_reason, exclude_shortfall_for_reason, is_exclusion
from billing.services.months import (
    account_month,
    account_month_locked,
    claim_window_closed,
    month_label,
    shift_month,
)
from billing.services.vouchers import miss_price, voucher_issue
from helpdesk.accounts.models import User
from helpdesk.kit import roles
from helpdesk.kit.enqueue import enqueue_after_commit
from helpdesk.kit.errors import ConflictError, ValidationError, field_error
from helpdesk.kit.validation import clean_text
from helpdesk.tickets.services.events import event_record
from sla import pausing
from sla.clocks.models import Miss
from sla.clocks.services.misses import miss_record_on_review
from sla.terms.models import Compensation
from sla.terms.policies import calendar_of
from sla.uptime.models import UptimeShortfall

NOTE_MAX = 2000


def _clean_note(created_by: User, note: str) -> str:
    """Only a customer opens a claim; their note is plain text within NOTE_MAX."""
    roles.require(access.may_open_claims(created_by), "Compensation is applied for by the customer.")
    errors: dict[str, list] = {}
    note = clean_text(note, field="note", max_length=NOTE_MAX, errors=errors, required=False)
    if errors:
        raise ValidationError(errors)
    return note


def _require_window_open(*, field: str, what: str, account, month: str, now: dt.datetime) -> None:
    terms = account_month(account=account, month=month)
    if claim_window_closed(month=month, window_months=terms.claim_window_months, now=now):
        last = month_label(shift_month(month, terms.claim_window_months))
        raise field_error(
            field, f"The claim window for {what} closed at the end of {last}.", code="window_closed"
        )


def _create(*, already: ConflictError, **fields) -> Claim:
    """Insert the claim; the unique miss or shortfall turns a claim made meanwhile into the 409."""
    try:
        with transaction.atomic():
            return Claim.objects.create(**fields)
    except IntegrityError as exc:
        raise already from exc


@dataclasses.dataclass(frozen=True)
class _Ground:
    """What differs between a claim for a miss and a claim for an uptime shortfall."""

    field: str  # the API's and the form's name of what is claimed
    claim_field: str  # the Claim's foreign key to it
    model: type
    related: tuple[str, ...]
    what: str
    already: Callable[[Any], ConflictError]
    refusal: Callable[[Any], ConflictError | ValidationError | None]
    event_data: Callable[[Any], dict]
    ticket: Callable[[Any], Any]  # the ticket whose history records the claim, if any


def _paid(target) -> bool:
    ground = "shortfall" if isinstance(target, UptimeShortfall) else "miss"
    return Voucher.objects.filter(**{ground: target}).exists()


def _automatic_refusal(field: str, target):
    """On an automatic plan a recorded failure is paid when its month closes: nothing to apply for."""
    if _paid(target):
        return field_error(field, "This failure has its voucher already.", code="already_paid")
    terms = account_month(account=target.account, month=target.month)
    if terms.compensation == Compensation.AUTOMATIC:
        return field_error(
            field,
            "Your contract applies this credit automatically when the month closes: no claim is needed.",
            code="automatic",
        )
    return None


def _miss_refusal(miss: Miss):
    automatic = _automatic_refusal("miss", miss) if miss.counted else None
    if automatic is not None:
        return automatic
    if not miss.counted and not miss.voided:  # a voided miss may be claimed: the admin decides
        return field_error(
            "miss",
            f"This miss is not counted ({miss.excluded_reason}), so it earns no compensation.",
            code="not_counted",
        )
    return None


def _shortfall_refusal(shortfall: UptimeShortfall):
    automatic = _automatic_refusal("uptime_shortfall", shortfall)
    if automatic is not None:
        return automatic
    month = month_label(shortfall.month)
    if not shortfall.active:
        return field_error(
            "uptime_shortfall",
            f"{shortfall.item.name} is no longer below its guarantee in {month}.",
            code="not_claimable",
        )
    if not shortfall.final:
        return field_error(
            "uptime_shortfall",
            f"{month} has not ended: its uptime credit is claimed once the month is over.",
            code="month_running",
        )
    if shortfall.credit_amount_requested <= 0:
        return field_error(
            "uptime_shortfall", "This shortfall earns no credit on the plan's scale.", code="not_claimable"
        )
    return None


MISS = _Ground(
    field="miss",
    claim_field="miss",
    model=Miss,
    related=("account", "account__plan", "ticket"),
    what="this miss",
    already=lambda miss: ConflictError(
        f"The miss on ticket #{miss.ticket_id} already has a claim.", code="already_claimed"
    ),
    refusal=_miss_refusal,
    event_data=lambda miss: {"miss": miss.pk},
    ticket=lambda miss: miss.ticket,
)
SHORTFALL = _Ground(
    field="uptime_shortfall",
    claim_field="shortfall",
    model=UptimeShortfall,
    related=("account", "account__plan", "item"),
    what="this shortfall",
    already=lambda shortfall: ConflictError(
        f"The uptime shortfall of {shortfall.item.name} in {month_label(shortfall.month)} "
        "already has a claim.",
        code="already_claimed",
    ),
    refusal=_shortfall_refusal,
    event_data=lambda shortfall: {"uptime_shortfall": shortfall.pk, "item": shortfall.item_id},
    ticket=lambda shortfall: None,
)


def _claim_open(ground: _Ground, target, *, created_by: User, note: str, now: dt.datetime | None) -> Claim:
    """One claim path for both grounds: the customer's own, not claimed yet, claimable, in the window."""
    now = now or timezone.now()
    note = _clean_note(created_by, note)
    # The row is locked: an exclusion or a reassessment judging it again waits for this claim,
    # or the reverse.
    target = (
        ground.model.objects.select_for_update(of=("self",)).select_related(*ground.related).get(pk=target.pk)
    )
    if target.account_id != created_by.account_id:
        raise field_error(
            ground.field, f"This {ground.what.split()[-1]} is not on your account.", code="not_yours"
        )
    if Claim.objects.filter(**{ground.claim_field: target}).exists():
        raise ground.already(target)
    refusal = ground.refusal(target)
    if refusal is not None:
        raise refusal
    _require_window_open(
        field=ground.field, what=ground.what, account=target.account, month=target.month, now=now
    )
    claim = _create(
        already=ground.already(target),
        **{ground.claim_field: target},
        account_id=target.account_id,
        month=target.month,
        note=note,
        created_by=created_by,
        created_at=now,
    )
    if ground is MISS:
        event_record(
            ticket=target.ticket,
            code="claim_opened",
            actor=created_by,
            at=now,
            claim=claim.pk,
            miss=target.pk,
        )
    billing_event(
        code="claim_opened",
        at=now,
        actor=created_by,
        account_id=target.account_id,
        month=target.month,
        claim=claim,
        **ground.event_data(target),
    )
    enqueue_after_commit(notifications.notify_claim_received, claim.pk)
    return claim


@transaction.atomic
def claim_open(*, miss: Miss, created_by: User, note: str = "", now: dt.datetime | None = None) -> Claim:
    """Apply for compensation for one miss of the customer's own account.

    Refused: another account's miss, an excluded miss (a voided one may be claimed: the
    admin decides), a miss whose claim window has closed, a miss already claimed.
    """
    return _claim_open(MISS, miss, created_by=created_by, note=note, now=now)


@transaction.atomic
def claim_open_uptime(
    *, shortfall: UptimeShortfall, created_by: User, note: str = "", now: dt.datetime | None = None
) -> Claim:
    """Apply for the credit of one item's month below its guarantee.

    Refused: another account's shortfall, a month still running (its credit may still
    grow), a month lifted back to its guarantee or with nothing to credit, a claim window
    that has closed, a shortfall already claimed.
    """
    return _claim_open(SHORTFALL, shortfall, created_by=created_by, note=note, now=now)


def _locked_pending(claim: Claim) -> Claim:
    claim = (
        Claim.objects.select_for_update(of=("self",))  # its miss or shortfall is an outer join
        .select_related("miss", "miss__ticket", "shortfall", "shortfall__item", "account", "disputed_ticket")
        .get(pk=claim.pk)
    )
    if claim.status != ClaimStatus.PENDING:
        raise ConflictError(
            f"This claim was already {claim.get_status_display().lower()} on "
            f"{timezone.localtime(claim.decided_at):%Y-%m-%d %H:%M}.",
            code="already_decided",
        )
    return claim


def _miss_voucher(claim: Claim, terms, now: dt.datetime) -> tuple[money.VoucherAmount, Decimal, int]:
    """The month's penalty scale on the miss's lateness, within what the month's voucher cap has left."""
    miss = claim.miss
    if not miss.counted and not miss.voided:
        raise ConflictError(
            f"The miss is excluded now ({miss.excluded_reason}): deny the claim with that reason.",
            code="miss_excluded",
        )
    return miss_price(miss=miss, terms=terms, now=now)


def _uptime_voucher(claim: Claim, terms) -> money.VoucherAmount:
    """The sliding scale's percent of the month's fee, within the uptime cap (and the shared cap)."""
    shortfall = claim.shortfall
    if not shortfall.active:
        raise ConflictError(
            f"{shortfall.item.name} is no longer below its guarantee in {month_label(claim.month)} "
            "(its downtime was corrected): deny the claim.",
            code="shortfall_lifted",
        )
    fee, currency = terms.monthly_fee, terms.currency
    requested = money.percent_of(fee, min(shortfall.credit_percent_requested, money.HUNDRED), currency)
    cap = uptime_cap(account_id=claim.account_id, month=claim.month, fee=fee, currency=currency)
    uptime_left = cap.cap - cap.used
    month_left = None
    if cap.shared:
        month_cap = money.monthly_cap(fee=fee, cap_percent=terms.monthly_cap_percent, currency=currency)
        month_left = month_cap - vouchers_issued(account_id=claim.account_id, month=claim.month)
    amount, capped = money.credit_within_caps(
        requested=requested, uptime_cap_left=uptime_left, month_cap_left=month_left, currency=currency
    )
    return money.VoucherAmount(amount=amount, requested=requested, capped=capped)


MAX_LATENESS_SECONDS = 366 * 24 * 3600


def _uphold_dispute(claim: Claim, *, actor: User, lateness_seconds, now: dt.datetime) -> None:
    """Record the failure the dispute names: the ticket's miss, `lateness_seconds` late (working
    seconds, as the review found it; by default Pledge's own measure to the response, or to now)."""
    if lateness_seconds is not None and (
        not isinstance(lateness_seconds, int)
        or isinstance(lateness_seconds, bool)
        or not 0 <= lateness_seconds <= MAX_LATENESS_SECONDS
    ):
        raise field_error("lateness_seconds", f"A whole number of seconds from 0 to {MAX_LATENESS_SECONDS}.")
    ticket = claim.disputed_ticket
    if lateness_seconds is None:
        responded = ticket.responded_at or now
        lateness_seconds = pausing.lateness_seconds(
            calendar=calendar_of(ticket.promise or {}),
            deadline=ticket.work_started_deadline,
            responded_at=max(responded, ticket.work_started_deadline),
        )
    claim.miss = miss_record_on_review(ticket=ticket, actor=actor, lateness_seconds=lateness_seconds, now=now)
    claim.save(update_fields=["miss"])


@transaction.atomic
def claim_approve(
    *, claim: Claim, actor: User, lateness_seconds: int | None = None, now: dt.datetime | None = None
) -> Claim:
    """Approve the claim and issue its voucher, capped so the month stays within its caps.

    A dispute is upheld: its ticket's miss is recorded first (`lateness_seconds` late, given by
    the reviewer, or measured), then paid like any miss. `lateness_seconds` is for disputes only.
    """
    now = now or timezone.now()
    roles.require(access.may_decide_claims(actor), "Only billing admins decide claims.")
    claim = _locked_pending(claim)
    if lateness_seconds is not None and not claim.disputed_ticket_id:
        raise field_error("lateness_seconds", "Only a dispute's lateness is set on review.")
    # The month's row is the lock every voucher of the month takes before reading a cap.
    terms = account_month_locked(account=claim.account, month=claim.month)
    if claim.disputed_ticket_id and claim.miss_id is None:
        _uphold_dispute(claim, actor=actor, lateness_seconds=lateness_seconds, now=now)
    percent, lateness = None, None
    if claim.shortfall_id:
        amount = _uptime_voucher(claim, terms)
        percent = min(claim.shortfall.credit_percent_requested, money.HUNDRED)
    else:
        amount, percent, lateness = _miss_voucher(claim, terms, now)
    claim.status = ClaimStatus.APPROVED
    claim.decided_by, claim.decided_at = actor, now
    claim.save(update_fields=["status", "decided_by", "decided_at"])
    billing_event(
        code="claim_approved",
        at=now,
        actor=actor,
        account_id=claim.account_id,
        month=claim.month,
        claim=claim,
    )
    voucher_issue(
        terms=terms,
        amount=amount,
        now=now,
        miss=claim.miss,
        shortfall=claim.shortfall,
        claim=claim,
        actor=actor,
        percent=percent,
        lateness_seconds=lateness,
    )
    enqueue_after_commit(notifications.notify_claim_decided, claim.pk)
    return claim


@transaction.atomic
def claim_deny(
    *, claim: Claim, actor: User, reason: str, note: str = "", now: dt.datetime | None = None
) -> Claim:
    """Deny the claim with one of SPEC's exclusion reasons; `other` needs a note saying why.

    A contract exclusion (anything but `account_in_arrears` and `other`) also makes the miss, or
    the uptime shortfall, uncounted, so the month's termination flag is judged again.
    """
    now = now or timezone.now()
    roles.require(access.may_decide_claims(actor), "Only billing admins decide claims.")
    errors: dict[str, list] = {}
    if reason not in DecisionReason.values:
        errors.setdefault("reason", []).append(f"Choose one of: {', '.join(DecisionReason.values)}.")
    note = clean_text(note, field="note", max_length=NOTE_MAX, errors=errors, required=reason == "other")
    if reason == DecisionReason.OTHER and "note" in errors:
        errors["note"] = ["Say why: a denial for another reason needs a note."]
    if errors:
        raise ValidationError(errors)
    claim = _locked_pending(claim)
    claim.status = ClaimStatus.DENIED
    claim.decided_by, claim.decided_at = actor, now
    claim.decision_reason, claim.decision_note = reason, note
    claim.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", "decision_note"])
    if claim.miss_id and is_exclusion(reason) and not claim.miss.decision_reason and not claim.miss.voided:
        # The contract does not count this failure: it stops counting toward termination too.
        exclude_for_reason(miss=claim.miss, actor=actor, reason=reason, now=now)
    if claim.shortfall_id and is_exclusion(reason) and not claim.shortfall.decision_reason:
        exclude_shortfall_for_reason(
            shortfall=claim.shortfall, actor=actor, reason=reason, claim=claim, now=now
        )
    if claim.miss_id:
        event_record(
            ticket=claim.miss.ticket,
            code="claim_denied",
            actor=actor,
            at=now,
            claim=claim.pk,
            reason=claim.get_decision_reason_display(),
        )
    billing_event(
        code="claim_denied",
        at=now,
        actor=actor,
        account_id=claim.account_id,
        month=claim.month,
        claim=claim,
        reason=reason,
        note=note,
    )
    enqueue_after_commit(notifications.notify_claim_decided, claim.pk)
    return claim
