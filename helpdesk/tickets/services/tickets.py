"""Ticket writes: creation with its promise, the status machine, start work, downgrade, upgrade."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from helpdesk.accounts.models import Account, MonitoredItem, User
from helpdesk.accounts.services.terms import account_plan_version
from helpdesk.kit import roles
from helpdesk.kit.enqueue import enqueue_after_commit
from helpdesk.kit.errors import ConflictError, ValidationError, field_error
from helpdesk.kit.validation import clean_text
from helpdesk.tickets import access, notifications, signals
from helpdesk.tickets.models import Ticket, TicketStatus
from helpdesk.tickets.services.attachments import attachments_store, validate_files
from helpdesk.tickets.services.events import event_record
from helpdesk.tickets.services.progress import progress_clock_set
from sla.terms.models import Priority, ResponseEvent, Severity
from sla.terms.policies import NoTargetError, promise_for, with_item_level
from sla.terms.versions import promise_snapshot

S = TicketStatus
TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.WORK_STARTED}),
    S.WORK_STARTED: frozenset({S.WAITING_ON_CUSTOMER, S.RESOLVED}),
    S.WAITING_ON_CUSTOMER: frozenset({S.WORK_STARTED, S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED, S.WORK_STARTED}),
    S.CLOSED: frozenset(),
}

TRANSITION_EVENT = {
    S.WORK_STARTED: "work_started",
    S.WAITING_ON_CUSTOMER: "waiting_on_customer",
    S.RESOLVED: "resolved",
    S.CLOSED: "closed",
}


def _check_transition(ticket: Ticket, to_status: str) -> None:
    if to_status not in TRANSITIONS:
        raise field_error("status", f"{to_status!r} is not a ticket status.")
    if to_status not in TRANSITIONS[ticket.status]:
        raise ConflictError(
            f"A ticket that is {ticket.get_status_display().lower()} cannot become "
            f"{TicketStatus(to_status).label.lower()}.",
            code="illegal_transition",
        )


def _locked(ticket_id: int) -> Ticket:
    return Ticket.objects.select_for_update().select_related("plan").get(pk=ticket_id)


@transaction.atomic
def ticket_create(
    *,
    account: Account,
    created_by: User,
    subject: str,
    description: str,
    priority: str = Priority.GENERAL,
    severity: str = "",
    service_unavailable: bool = False,
    affected_service: str = "",
    item: MonitoredItem | int | None = None,
    files=(),
    channel: str = "web",
    now: dt.datetime | None = None,
) -> Ticket:
    """Open a ticket; its Work Started clock starts now, on the plan version its account is pinned to.

    `channel` records how the request reached us (the web, e-mail, a phone call, a chat).
    `item` names the affected covered item (an active item of the account); its level is kept
    with the promise, and on a plan that keys targets by item level it chooses the target.
    A High ticket naming an item has that item as its affected service unless another is typed.
    """
    now = now or timezone.now()
    if not access.may_create_ticket_for(created_by, account):
        raise roles.Denied("You may not open tickets for this account.")
    errors: dict[str, list] = {}
    subject = clean_text(subject, field="subject", max_length=200, errors=errors)
    description = clean_text(description, field="description", max_length=20_000, errors=errors)
    affected_service = clean_text(
        affected_service, field="affected_service", max_length=200, errors=errors, required=False
    )
    item = _covered_item(item, account=account, errors=errors)
    if item is not None and not affected_service and priority == Priority.HIGH:
        affected_service = item.name
    if channel not in Ticket.CHANNELS:
        errors.setdefault("channel", []).append(f"Choose one of: {', '.join(Ticket.CHANNELS)}.")
    if priority not in Priority.values:
        errors.setdefault("priority", []).append(f"Choose one of: {', '.join(Priority.values)}.")
    if severity and severity not in Severity.values:
        errors.setdefault("severity", []).append(f"Choose one of: {', '.join(Severity.values)}.")
    if priority == Priority.HIGH:
        if not affected_service:
            errors.setdefault("affected_service", []).append(
                "High priority needs the service that is unavailable."
            )
        if not service_unavailable:
            errors.setdefault("service_unavailable", []).append(
                "High priority is only for a service that is down: confirm it is unavailable."
            )
    if not account.is_active:
        errors.setdefault("account", []).append("This account's subscription has ended.")
    if errors:
        raise ValidationError(errors)
    validate_files(files)

    # The promise of the plan version the account's term is pinned to, not the plan's latest edit.
    version = account_plan_version(account=account)
    plan = version.plan
    snapshot = promise_snapshot(
        terms=version.terms, plan_code=plan.code, version=version.version, today=now.date()
    )
    if item is not None:
        snapshot = with_item_level(snapshot, item.level)
    try:
        promise = promise_for(snapshot, priority=priority, severity=severity, start=now)
    except NoTargetError as exc:
        raise field_error("priority", str(exc)) from exc

    ticket = Ticket.objects.create(
        account=account,
        created_by=created_by,
        subject=subject,
        description=description,
        priority=priority,
        severity=severity,
        service_unavailable=bool(service_unavailable),
        affected_service=affected_service,
        item=item,
        created_at=now,
        clock_started_at=now,
        plan=plan,
        promise=snapshot,
        work_started_target=promise.target_seconds,
        work_started_deadline=promise.deadline,
        at_risk_at=promise.at_risk_at,
        channel=channel,
    )
    # Exclusion periods already declared may pause the new clock: the clocks move its deadline.
    signals.clock_set.send(sender=Ticket, ticket=ticket)
    attachments_store(ticket=ticket, uploaded_by=created_by, files=files)
    event_record(
        ticket=ticket,
        code="created",
        actor=created_by,
        at=now,
        priority=priority,
        severity=severity,
        **({"item": item.pk, "item_level": item.level} if item is not None else {}),
        plan=plan.code,
        plan_version=version.version,
        target_seconds=promise.target_seconds,
        deadline=ticket.work_started_deadline.isoformat(),
    )
    enqueue_after_commit(notifications.notify_ticket_received, ticket.pk)
    return ticket


def _covered_item(item, *, account: Account, errors: dict) -> MonitoredItem | None:
    """The affected item named by id (or instance): an active item of this account, else a field error.

    Another account's item, an unknown id and a retired item get the same answer.
    """
    if item is None or item == "":
        return None
    pk = item.pk if isinstance(item, MonitoredItem) else item
    if isinstance(pk, bool) or not isinstance(pk, int) or not 0 < pk < 2**63:
        errors.setdefault("item", []).append("Give the id of one of this account's covered items.")
        return None
    found = MonitoredItem.objects.filter(pk=pk, account_id=account.pk, is_active=True).first()
    if found is None:
        errors.setdefault("item", []).append("Choose an active covered item of this account.")
    return found


def _stops_at_start_work(ticket: Ticket) -> bool:
    return ticket.promise.get("response_event", ResponseEvent.WORK_STARTED) == ResponseEvent.WORK_STARTED


@transaction.atomic
def ticket_start_work(*, ticket: Ticket, actor: User, now: dt.datetime | None = None) -> Ticket:
    """Work Started, once only: a second call returns the first instant.

    On a plan whose `response_event` is work_started this also stops the response clock; on a
    first_reply plan the clock runs on until the customer is answered (`ticket_respond`).
    The instant is read after the row lock is held, so a sweep that recorded the miss first
    and this start can never disagree (never both "met" and a miss).
    """
    roles.require(access.may_work_tickets(actor), "Only support staff can start work.")
    locked = _locked(ticket.pk)
    now = now or timezone.now()
    if locked.work_started_at is not None:
        return locked
    _check_transition(locked, S.WORK_STARTED)
    stops = _stops_at_start_work(locked) and locked.responded_at is None
    if stops:
        # Late: a miss that is due, and that the sweep has not recorded yet, is recorded first.
        signals.clock_stopping.send(sender=Ticket, ticket=locked, now=now)
    # The conditional update makes "started once" hold even where row locks do not exist.
    clock = {"responded_at": now, "miss_pending": False} if stops else {}
    updated = Ticket.objects.filter(pk=locked.pk, work_started_at__isnull=True).update(
        work_started_at=now,
        work_started_after=(now - locked.created_at) // dt.timedelta(microseconds=1),
        work_started_by=actor,
        status=S.WORK_STARTED,
        updated_at=now,
        **clock,
    )
    locked.refresh_from_db()
    if updated:
        event_record(
            ticket=locked,
            code="work_started",
            actor=actor,
            at=now,
            deadline=locked.work_started_deadline.isoformat(),
            **({"met": now <= locked.work_started_deadline} if stops else {"clock": "running"}),
        )
        progress_clock_set(ticket=locked, since=now)
        enqueue_after_commit(notifications.notify_work_started, locked.pk)
    return locked


RESPONSE_HOW = ("reply", "phone")


@transaction.atomic
def ticket_respond(*, ticket: Ticket, actor: User, how: str, now: dt.datetime | None = None) -> Ticket:
    """The customer was answered (a public staff reply, or a phone call staff logged): the clock stops.

    Once only; on any plan. A reply on a new ticket also starts work (the caller does that first).
    """
    roles.require(access.may_work_tickets(actor), "Only support staff respond to the customer.")
    if how not in RESPONSE_HOW:
        raise field_error("how", f"Choose one of: {', '.join(RESPONSE_HOW)}.")
    locked = _locked(ticket.pk)
    now = now or timezone.now()
    if locked.responded_at is not None:
        return locked
    signals.clock_stopping.send(sender=Ticket, ticket=locked, now=now)
    updated = Ticket.objects.filter(pk=locked.pk, responded_at__isnull=True).update(
        responded_at=now, miss_pending=False, updated_at=now
    )
    locked.refresh_from_db()
    if updated:
        event_record(
            ticket=locked,
            code="responded",
            actor=actor,
            at=now,
            how=how,
            deadline=locked.work_started_deadline.isoformat(),
            met=now <= locked.work_started_deadline,
        )
    return locked


@transaction.atomic
def ticket_log_call(*, ticket: Ticket, actor: User, summary: str, now: dt.datetime | None = None) -> Ticket:
    """Staff log a phone call they made to the customer about this ticket: it is a response."""
    roles.require(access.may_work_tickets(actor), "Only support staff log phone calls.")
    errors: dict[str, list] = {}
    summary = clean_text(summary, field="summary", max_length=2000, errors=errors)
    if errors:
        raise ValidationError(errors)
    locked = _locked(ticket.pk)
    now = now or timezone.now()
    if locked.status == S.CLOSED:
        raise ConflictError("This ticket is closed.", code="ticket_closed")
    event_record(ticket=locked, code="call_logged", actor=actor, at=now, summary=summary)
    if locked.work_started_at is None:
        locked = ticket_start_work(ticket=locked, actor=actor, now=now)
    locked = ticket_respond(ticket=locked, actor=actor, how="phone", now=now)
    # A call to the customer is a progress report too: the next one is due from now.
    progress_clock_set(ticket=locked, since=now)
    return locked


@transaction.atomic
def ticket_transition(
    *,
    ticket: Ticket,
    actor: User,
    to_status: str,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """Move a started ticket along the status machine (resolve, wait, close, reopen)."""
    now = now or timezone.now()
    locked = _locked(ticket.pk)
    if to_status == S.WORK_STARTED and locked.status == S.NEW:
        return ticket_start_work(ticket=locked, actor=actor, now=now)
    customer_moves = {S.CLOSED, S.WORK_STARTED}
    if not access.may_work_tickets(actor):
        roles.require(
            access.may_close_or_reopen(actor, locked)
            and to_status in customer_moves
            and locked.status == S.RESOLVED,
            "Customers may only close or reopen a resolved ticket.",
        )
    _check_transition(locked, to_status)
    errors: dict[str, list] = {}
    reason = clean_text(reason, field="reason", max_length=2000, errors=errors, required=False)
    if errors:
        raise ValidationError(errors)
    previous = locked.status
    locked.status = to_status
    fields = ["status", "updated_at"]
    if to_status == S.RESOLVED:
        locked.resolved_at = now
        fields.append("resolved_at")
    elif to_status == S.CLOSED:
        locked.closed_at = now
        fields.append("closed_at")
    locked.save(update_fields=fields)
    if to_status == S.RESOLVED:
        signals.ticket_resolved.send(sender=Ticket, ticket=locked, now=now)
    code = "reopened" if previous == S.RESOLVED and to_status == S.WORK_STARTED else None
    if to_status in (S.RESOLVED, S.CLOSED) or code == "reopened":
        # Resolved: no more reports due; reopened: the problem is open again, reports are due anew.
        progress_clock_set(ticket=locked, since=now if code else None)
    code = code or ("resumed" if to_status == S.WORK_STARTED else TRANSITION_EVENT[to_status])
    event_record(
        ticket=locked,
        code=code,
        actor=actor,
        at=now,
        **{"from": previous, "to": to_status},
        **({"reason": reason} if reason else {}),
    )
    return locked


def _check_reclassifiable(ticket: Ticket) -> None:
    if ticket.status in (S.RESOLVED, S.CLOSED):
        raise ConflictError(
            f"This ticket is {ticket.get_status_display().lower()}: its classification is final.",
            code="ticket_settled",
        )


def _clean_reason(reason) -> str:
    errors: dict[str, list] = {}
    reason = clean_text(reason, field="reason", max_length=2000, errors=errors)
    if errors:
        raise ValidationError(errors)
    return reason


@transaction.atomic
def ticket_downgrade(*, ticket: Ticket, actor: User, reason: str, now: dt.datetime | None = None) -> Ticket:
    """High → General with a reason; the deadline is recounted from creation on the General target.

    The ticket keeps the High deadline on record (`previous_deadline`). Closed with the ticket:
    a 409 once it is resolved or closed, or (asked of the clocks) once an invoice covers the
    month of a miss it would void.
    """
    roles.require(access.may_work_tickets(actor), "Only support staff can downgrade a ticket.")
    now = now or timezone.now()
    reason = _clean_reason(reason)
    locked = _locked(ticket.pk)
    _check_reclassifiable(locked)
    if locked.priority != Priority.HIGH:
        raise field_error("priority", "Only a High priority ticket can be downgraded.", "not_high")
    signals.clock_replacing.send(sender=Ticket, ticket=locked, actor=actor, reason=reason, now=now)
    promise = promise_for(
        locked.promise, priority=Priority.GENERAL, severity=locked.severity, start=locked.created_at
    )
    old_deadline = locked.work_started_deadline
    locked.priority = Priority.GENERAL
    locked.downgraded_from = Priority.HIGH
    locked.downgrade_reason = reason
    locked.previous_deadline = old_deadline
    locked.work_started_target = promise.target_seconds
    locked.work_started_deadline = promise.deadline
    locked.at_risk_at = promise.at_risk_at
    locked.clock_started_at = locked.created_at
    locked.deadline_version += 1
    locked.miss_pending = True
    locked.at_risk_notified = False
    locked.save(
        update_fields=[
            "priority",
            "downgraded_from",
            "downgrade_reason",
            "previous_deadline",
            "work_started_target",
            "work_started_deadline",
            "at_risk_at",
            "deadline_version",
            "clock_started_at",
            "miss_pending",
            "at_risk_notified",
            "updated_at",
        ]
    )
    signals.clock_set.send(sender=Ticket, ticket=locked)
    # The General clock may be over already: met, or missed (then that is the miss).
    signals.clock_recounted.send(sender=Ticket, ticket=locked, now=now)
    event_record(
        ticket=locked,
        code="downgraded",
        actor=actor,
        at=now,
        reason=reason,
        **{"from": Priority.HIGH, "to": Priority.GENERAL},
        previous_deadline=old_deadline.isoformat(),
        deadline=locked.work_started_deadline.isoformat(),
    )
    enqueue_after_commit(notifications.notify_downgraded, locked.pk)
    return locked


@transaction.atomic
def ticket_upgrade(
    *,
    ticket: Ticket,
    actor: User,
    reason: str,
    affected_service: str = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """General → High (staff only): the new deadline is now plus the High target."""
    roles.require(access.may_work_tickets(actor), "Only support staff can upgrade a ticket.")
    now = now or timezone.now()
    reason = _clean_reason(reason)
    locked = _locked(ticket.pk)
    if locked.priority != Priority.GENERAL:
        raise field_error("priority", "Only a General priority ticket can be upgraded.", "not_general")
    errors: dict[str, list] = {}
    service = clean_text(
        affected_service or locked.affected_service,
        field="affected_service",
        max_length=200,
        errors=errors,
        required=False,
    )
    if not service:
        errors.setdefault("affected_service", []).append(
            "High priority needs the service that is unavailable."
        )
    if errors:
        raise ValidationError(errors)
    promise = promise_for(locked.promise, priority=Priority.HIGH, severity=locked.severity, start=now)
    old_deadline = locked.work_started_deadline
    locked.priority = Priority.HIGH
    # The ticket is High again; the downgrade stays in its history, not in its current state.
    locked.downgraded_from = ""
    locked.downgrade_reason = ""
    locked.affected_service = service
    locked.service_unavailable = True
    locked.previous_deadline = old_deadline
    locked.work_started_target = promise.target_seconds
    locked.work_started_deadline = promise.deadline
    locked.at_risk_at = promise.at_risk_at
    locked.clock_started_at = now
    locked.deadline_version += 1
    locked.miss_pending = locked.responded_at is None
    locked.at_risk_notified = False
    locked.save(
        update_fields=[
            "priority",
            "downgraded_from",
            "downgrade_reason",
            "affected_service",
            "service_unavailable",
            "previous_deadline",
            "work_started_target",
            "work_started_deadline",
            "at_risk_at",
            "deadline_version",
            "clock_started_at",
            "miss_pending",
            "at_risk_notified",
            "updated_at",
        ]
    )
    signals.clock_set.send(sender=Ticket, ticket=locked)
    event_record(
        ticket=locked,
        code="upgraded",
        actor=actor,
        at=now,
        reason=reason,
        **{"from": Priority.GENERAL, "to": Priority.HIGH},
        previous_deadline=old_deadline.isoformat(),
        deadline=locked.work_started_deadline.isoformat(),
    )
    return locked


@transaction.atomic
def ticket_auto_close(*, ticket_id: int, after: dt.timedelta, now: dt.datetime | None = None) -> bool:
    """Close a ticket Resolved `after` ago or longer with no reply since (a reply reopens it). Idempotent."""
    now = now or timezone.now()
    locked = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    cutoff = now - after
    if (
        locked is None
        or locked.status != S.RESOLVED
        or locked.resolved_at is None
        or locked.resolved_at >= cutoff
    ):
        return False
    locked.status, locked.closed_at = S.CLOSED, now
    locked.save(update_fields=["status", "closed_at", "updated_at"])
    event_record(
        ticket=locked,
        code="closed",
        actor=None,
        at=now,
        auto=True,
        after_seconds=after.total_seconds(),
        **{"from": S.RESOLVED, "to": S.CLOSED},
    )
    return True
