"""Claims and vouchers: a customer applies for one miss, a billing admin approves or denies.

Approval issues one voucher of the plan's percent of the miss month's fee, cut so that the
month's vouchers never pass its cap. The claim row is locked before it is decided and the
voucher is unique per claim, so a second approval (a retry, a double click, a second
admin at the same instant) is a 409, never a second voucher.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import money
from billing.models import Claim, ClaimStatus, DecisionReason, Voucher
from billing.selectors import vouchers_issued
from billing.services.events import billing_event
from billing.services.months import (
    account_month,
    account_month_locked,
    claim_window_end,
    month_label,
    shift_month,
)
from helpdesk import access
from helpdesk.models import User
from helpdesk.services.errors import ConflictError, ValidationError, field_error
from helpdesk.services.events import event_record
from helpdesk.services.validation import clean_text
from sla.models import Miss
from sla.tasks import send_safely

NOTE_MAX = 2000


def _notify(task_name: str, *args) -> None:
    from billing import tasks

    task = getattr(tasks, task_name)
    transaction.on_commit(lambda: send_safely(task, *args))


def _already_claimed(miss: Miss) -> ConflictError:
    return ConflictError(f"The miss on ticket #{miss.ticket_id} already has a claim.", code="already_claimed")


@transaction.atomic
def claim_open(*, miss: Miss, created_by: User, note: str = "", now: dt.datetime | None = None) -> Claim:
    """Apply for compensation for one miss of the customer's own account.

    Refused: another account's miss, an excluded miss (a voided one may be claimed: the
    admin decides), a miss whose claim window has closed, a miss already claimed.
    """
    now = now or timezone.now()
    access.require(access.may_open_claims(created_by), "Compensation is applied for by the customer.")
    errors: dict[str, list] = {}
    note = clean_text(note, field="note", max_length=NOTE_MAX, errors=errors, required=False)
    if errors:
        raise ValidationError(errors)
    # The miss row is locked: an exclusion judging it again waits for this claim, or the reverse.
    miss = Miss.objects.select_for_update().select_related("account", "account__plan").get(pk=miss.pk)
    if miss.account_id != created_by.account_id:
        raise field_error("miss", "This miss is not on your account.", code="not_yours")
    if Claim.objects.filter(miss=miss).exists():
        raise _already_claimed(miss)
    if not miss.counted and not miss.voided:
        raise field_error(
            "miss",
            f"This miss is not counted ({miss.excluded_reason}), so it earns no compensation.",
            code="not_counted",
        )
    terms = account_month(account=miss.account, month=miss.month)
    if now >= claim_window_end(month=miss.month, window_months=terms.claim_window_months):
        last = month_label(shift_month(miss.month, terms.claim_window_months))
        raise field_error(
            "miss", f"The claim window for this miss closed at the end of {last}.", code="window_closed"
        )
    try:
        with transaction.atomic():
            claim = Claim.objects.create(
                miss=miss,
                account_id=miss.account_id,
                month=miss.month,
                note=note,
                created_by=created_by,
                created_at=now,
            )
    except IntegrityError as exc:
        raise _already_claimed(miss) from exc
    event_record(
        ticket=miss.ticket, code="claim_opened", actor=created_by, at=now, claim=claim.pk, miss=miss.pk
    )
    billing_event(
        code="claim_opened",
        at=now,
        actor=created_by,
        account_id=miss.account_id,
        month=miss.month,
        claim=claim,
        miss=miss.pk,
    )
    _notify("notify_claim_received", claim.pk)
    return claim


def _locked_pending(claim: Claim) -> Claim:
    claim = (
        Claim.objects.select_for_update().select_related("miss", "miss__ticket", "account").get(pk=claim.pk)
    )
    if claim.status != ClaimStatus.PENDING:
        raise ConflictError(
            f"This claim was already {claim.get_status_display().lower()} on "
            f"{timezone.localtime(claim.decided_at):%Y-%m-%d %H:%M}.",
            code="already_decided",
        )
    return claim


@transaction.atomic
def claim_approve(*, claim: Claim, actor: User, now: dt.datetime | None = None) -> Claim:
    """Approve the claim and issue its voucher, capped so the month stays within its cap."""
    now = now or timezone.now()
    access.require(access.may_decide_claims(actor), "Only billing admins decide claims.")
    claim = _locked_pending(claim)
    miss = claim.miss
    if not miss.counted and not miss.voided:
        raise ConflictError(
            f"The miss is excluded now ({miss.excluded_reason}): deny the claim with that reason.",
            code="miss_excluded",
        )
    # The month's row is the lock every voucher of the month takes before reading the cap.
    terms = account_month_locked(account=claim.account, month=claim.month)
    issued = vouchers_issued(account_id=claim.account_id, month=claim.month)
    amount = money.voucher_amount(
        fee=terms.monthly_fee,
        voucher_percent=terms.voucher_percent,
        cap_percent=terms.monthly_cap_percent,
        issued=issued,
        currency=terms.currency,
    )
    claim.status = ClaimStatus.APPROVED
    claim.decided_by, claim.decided_at = actor, now
    claim.save(update_fields=["status", "decided_by", "decided_at"])
    voucher = Voucher.objects.create(
        claim=claim,
        account_id=claim.account_id,
        month=claim.month,
        amount=amount.amount,
        requested_amount=amount.requested,
        currency=terms.currency,
        capped=amount.capped,
        issued_at=now,
    )
    shown = money.format_amount(amount.amount, terms.currency)
    event_record(
        ticket=miss.ticket,
        code="claim_approved",
        actor=actor,
        at=now,
        claim=claim.pk,
        voucher=voucher.pk,
        amount=shown,
        currency=terms.currency,
        capped=amount.capped,
    )
    billing_event(
        code="claim_approved",
        at=now,
        actor=actor,
        account_id=claim.account_id,
        month=claim.month,
        claim=claim,
    )
    billing_event(
        code="voucher_issued",
        at=now,
        actor=actor,
        account_id=claim.account_id,
        month=claim.month,
        claim=claim,
        voucher=voucher.pk,
        amount=shown,
        requested=money.format_amount(amount.requested, terms.currency),
        currency=terms.currency,
        capped=amount.capped,
    )
    _notify("notify_claim_decided", claim.pk)
    _notify("notify_voucher_issued", voucher.pk)
    return claim


@transaction.atomic
def claim_deny(
    *, claim: Claim, actor: User, reason: str, note: str = "", now: dt.datetime | None = None
) -> Claim:
    """Deny the claim with one of SPEC's exclusion reasons; `other` needs a note saying why."""
    now = now or timezone.now()
    access.require(access.may_decide_claims(actor), "Only billing admins decide claims.")
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
    _notify("notify_claim_decided", claim.pk)
    return claim
