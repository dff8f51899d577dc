"""Contract exclusions found on review: a failure the contract does not count stops counting.

SPEC's exclusions that only a review can establish (the customer's environment, custom code, an
unauthorised change, prevented maintenance, ...) and the declared kinds (maintenance, force
majeure, a cloud provider) make a miss uncounted when a claim is denied for them, or when a
billing admin excludes the failure directly; an uptime claim denied for one makes its shortfall
uncounted the same way. `account_in_arrears` and `other` refuse a claim without changing what the
month counts. The miss is changed by sla.clocks (which tells billing's
listener, so the month's termination flag is judged again after commit).
"""

import datetime as dt

from django.utils import timezone

from billing import access
from billing.models import Claim, DecisionReason, Voucher
from billing.services.events import billing_event
from helpdesk.accounts.models import User
from helpdesk.kit import roles
from helpdesk.kit.errors import ConflictError, ValidationError
from helpdesk.kit.validation import clean_text
from sla.clocks.models import Miss
from sla.clocks.services.misses import miss_exclude
from sla.uptime.models import UptimeShortfall
from sla.uptime.services.exclusions import shortfall_exclude

NOTE_MAX = 2000
# Reasons that only refuse the money: the failure itself still counts.
NOT_EXCLUSIONS = frozenset({DecisionReason.ACCOUNT_IN_ARREARS, DecisionReason.OTHER})
EXCLUSION_REASONS = tuple(reason for reason in DecisionReason.values if reason not in NOT_EXCLUSIONS)


def is_exclusion(reason: str) -> bool:
    return reason in EXCLUSION_REASONS


def exclude_for_reason(*, miss: Miss, actor: User | None, reason: str, now: dt.datetime) -> Miss:
    """Make the miss uncounted for a contract exclusion (the caller has checked who and why)."""
    return miss_exclude(
        miss=miss,
        actor=actor,
        reason=reason,
        reason_text=f"Excluded on review: {DecisionReason(reason).label}",
        now=now,
    )


def exclude_shortfall_for_reason(
    *, shortfall: UptimeShortfall, actor: User | None, reason: str, claim: Claim | None, now: dt.datetime
) -> UptimeShortfall:
    """Make an uptime shortfall uncounted for a contract exclusion, with a billing event saying so."""
    shortfall, was_counted = shortfall_exclude(
        shortfall=shortfall,
        actor=actor,
        reason=reason,
        reason_text=f"Excluded on review: {DecisionReason(reason).label}",
        now=now,
    )
    billing_event(
        code="shortfall_excluded",
        at=now,
        actor=actor,
        account_id=shortfall.account_id,
        month=shortfall.month,
        shortfall=shortfall.pk,
        item=shortfall.item.name,
        reason=reason,
        claim=claim,
        was_counted=was_counted,
    )
    return shortfall


def failure_exclude(
    *, miss: Miss, actor: User, reason: str, note: str = "", now: dt.datetime | None = None
) -> Miss:
    """A billing admin excludes a miss directly, without a claim, for one of the contract's reasons."""
    now = now or timezone.now()
    roles.require(access.may_decide_claims(actor), "Only billing admins exclude failures.")
    errors: dict[str, list] = {}
    if not isinstance(reason, str) or reason not in EXCLUSION_REASONS:
        errors["reason"] = [f"Choose one of: {', '.join(EXCLUSION_REASONS)}."]
    note = clean_text(note, field="note", max_length=NOTE_MAX, errors=errors, required=False)
    if errors:
        raise ValidationError(errors)
    if miss.voided:
        raise ConflictError(
            "This miss was voided (misclassified): it counts already for nothing.", code="voided"
        )
    if Voucher.objects.filter(miss=miss).exists():
        raise ConflictError(
            "This miss has its voucher already: it cannot be excluded now.", code="already_paid"
        )
    miss = exclude_for_reason(miss=miss, actor=actor, reason=reason, now=now)
    billing_event(
        code="miss_excluded",
        at=now,
        actor=actor,
        account_id=miss.account_id,
        month=miss.month,
        miss=miss.pk,
        reason=reason,
        note=note,
    )
    return miss
