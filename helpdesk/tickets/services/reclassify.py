"""Reclassifying a ticket's severity: the deadline is recounted from creation on the new target."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from helpdesk.accounts.models import User
from helpdesk.kit import roles
from helpdesk.kit.errors import field_error
from helpdesk.tickets import access, signals
from helpdesk.tickets.models import Ticket
from helpdesk.tickets.services.events import event_record
from helpdesk.tickets.services.tickets import _check_reclassifiable, _clean_reason, _locked
from sla.terms.models import Severity
from sla.terms.policies import NoTargetError, promise_for


@transaction.atomic
def ticket_reclassify(
    *, ticket: Ticket, actor: User, severity: str, reason: str, now: dt.datetime | None = None
) -> Ticket:
    """Staff set the severity with a written reason; the clock is recounted from creation.

    Both deadlines stay on record (`previous_deadline` and the event); a miss of the old clock
    is voided like a downgrade's, and it is a 409 once the ticket is resolved or closed, or an
    invoice covers that miss's month. The customer sees the reason in the ticket's history.
    """
    roles.require(access.may_work_tickets(actor), "Only support staff can reclassify a ticket.")
    now = now or timezone.now()
    reason = _clean_reason(reason)
    if severity not in Severity.values:
        raise field_error("severity", f"Choose one of: {', '.join(Severity.values)}.")
    locked = _locked(ticket.pk)
    _check_reclassifiable(locked)
    if locked.severity == severity:
        raise field_error("severity", "The ticket already has this severity.", "unchanged")
    try:
        promise = promise_for(
            locked.promise, priority=locked.priority, severity=severity, start=locked.created_at
        )
    except NoTargetError as exc:
        raise field_error("severity", str(exc)) from exc
    signals.clock_replacing.send(sender=Ticket, ticket=locked, actor=actor, reason=reason, now=now)
    old_deadline, old_severity = locked.work_started_deadline, locked.severity
    locked.severity = severity
    locked.previous_deadline = old_deadline
    locked.work_started_target = promise.target_seconds
    locked.work_started_deadline = promise.deadline
    locked.at_risk_at = promise.at_risk_at
    locked.clock_started_at = locked.created_at
    locked.deadline_version += 1
    locked.miss_pending = locked.responded_at is None or locked.responded_at > promise.deadline
    locked.at_risk_notified = False
    locked.save(
        update_fields=[
            "severity",
            "previous_deadline",
            "work_started_target",
            "work_started_deadline",
            "at_risk_at",
            "clock_started_at",
            "deadline_version",
            "miss_pending",
            "at_risk_notified",
            "updated_at",
        ]
    )
    signals.clock_set.send(sender=Ticket, ticket=locked)
    signals.clock_recounted.send(sender=Ticket, ticket=locked, now=now)
    event_record(
        ticket=locked,
        code="reclassified",
        actor=actor,
        at=now,
        reason=reason,
        **{"from": old_severity, "to": severity},
        previous_deadline=old_deadline.isoformat(),
        deadline=locked.work_started_deadline.isoformat(),
    )
    return locked
