"""Termination without penalty: the customer of a flagged month asks, a billing admin decides.

Confirmed, the subscription ends at the end of the current period (the month now running
in the support time zone): that month is invoiced as usual and nothing after it, with no
early termination fee. The close of that month stops the account.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import access, notifications
from billing.models import AccountMonth, TerminationRequest, TerminationStatus
from billing.services.events import billing_event
from billing.services.months import clean_month, last_day, month_label
from helpdesk.accounts.models import Account, User
from helpdesk.kit import roles
from helpdesk.kit.enqueue import enqueue_after_commit
from helpdesk.kit.errors import ConflictError, ValidationError, field_error
from helpdesk.kit.months import month_of
from helpdesk.kit.validation import clean_text

NOTE_MAX = 2000


def _notify_decided(request_id: int) -> None:

    enqueue_after_commit(notifications.notify_termination_decided, request_id)


def _already_open(account: Account) -> ConflictError:
    return ConflictError(
        f"{account.name} already has a termination request open.", code="termination_already_requested"
    )


@transaction.atomic
def termination_request(
    *, account: Account, month: str, requested_by: User, note: str = "", now: dt.datetime | None = None
) -> TerminationRequest:
    """Ask to terminate without penalty, on the ground of a month flagged as eligible."""
    now = now or timezone.now()
    roles.require(
        access.may_request_termination(requested_by, account), "Only the account's customer may ask for this."
    )
    month = clean_month(month)
    errors: dict[str, list] = {}
    note = clean_text(note, field="note", max_length=NOTE_MAX, errors=errors, required=False)
    if errors:
        raise ValidationError(errors)
    flagged = AccountMonth.objects.select_for_update().filter(account=account, month=month).first()
    if flagged is None or not flagged.termination_eligible:
        raise field_error(
            "month", f"{month_label(month)} does not allow termination without penalty.", code="not_eligible"
        )
    if TerminationRequest.objects.filter(
        account=account, status__in=[TerminationStatus.REQUESTED, TerminationStatus.CONFIRMED]
    ).exists():
        raise _already_open(account)
    try:
        with transaction.atomic():
            request = TerminationRequest.objects.create(
                account=account, month=month, note=note, requested_by=requested_by, requested_at=now
            )
    except IntegrityError as exc:
        raise _already_open(account) from exc
    billing_event(
        code="termination_requested",
        at=now,
        actor=requested_by,
        account_id=account.pk,
        month=month,
        termination=request.pk,
    )
    return request


def _locked_open(request: TerminationRequest) -> TerminationRequest:
    request = TerminationRequest.objects.select_for_update().select_related("account").get(pk=request.pk)
    if request.status != TerminationStatus.REQUESTED:
        raise ConflictError(
            f"This request was already {request.get_status_display().lower()}.", code="already_decided"
        )
    return request


@transaction.atomic
def termination_confirm(
    *, request: TerminationRequest, actor: User, note: str = "", now: dt.datetime | None = None
) -> TerminationRequest:
    """Confirm: the subscription ends at the end of the current period, with no fee for leaving."""
    now = now or timezone.now()
    roles.require(access.may_decide_terminations(actor), "Only billing admins decide terminations.")
    errors: dict[str, list] = {}
    note = clean_text(note, field="note", max_length=NOTE_MAX, errors=errors, required=False)
    if errors:
        raise ValidationError(errors)
    request = _locked_open(request)
    request.status = TerminationStatus.CONFIRMED
    request.decided_by, request.decided_at, request.decision_note = actor, now, note
    request.ends_on = last_day(month_of(now))
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "ends_on"])
    billing_event(
        code="termination_confirmed",
        at=now,
        actor=actor,
        account_id=request.account_id,
        month=request.month,
        termination=request.pk,
        ends_on=request.ends_on.isoformat(),
    )
    _notify_decided(request.pk)
    return request


@transaction.atomic
def termination_decline(
    *, request: TerminationRequest, actor: User, note: str, now: dt.datetime | None = None
) -> TerminationRequest:
    """Decline, saying why (for instance: an exclusion took the month back under the threshold)."""
    now = now or timezone.now()
    roles.require(access.may_decide_terminations(actor), "Only billing admins decide terminations.")
    errors: dict[str, list] = {}
    note = clean_text(note, field="note", max_length=NOTE_MAX, errors=errors)
    if errors:
        raise ValidationError(errors)
    request = _locked_open(request)
    request.status = TerminationStatus.DECLINED
    request.decided_by, request.decided_at, request.decision_note = actor, now, note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    billing_event(
        code="termination_declined",
        at=now,
        actor=actor,
        account_id=request.account_id,
        month=request.month,
        termination=request.pk,
        note=note,
    )
    _notify_decided(request.pk)
    return request
