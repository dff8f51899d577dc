"""The ticket services: promise at creation, the status machine, start work, downgrade, upgrade."""

import datetime as dt
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from helpdesk.kit.errors import ConflictError
from helpdesk.kit.roles import Denied
from helpdesk.tickets.models import Ticket, TicketEvent, TicketStatus
from helpdesk.tickets.services.messages import message_create
from helpdesk.tickets.services.tickets import (
    TRANSITIONS,
    ticket_create,
    ticket_downgrade,
    ticket_start_work,
    ticket_transition,
    ticket_upgrade,
)
from sla.terms.services.plans import plan_update
from tests.factories import AccountFactory, CustomerFactory, make_ticket

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)

PLAN_TARGETS = {
    ("standard", "general"): dt.timedelta(hours=12),
    ("standard", "high"): dt.timedelta(hours=3),
    ("advanced", "general"): dt.timedelta(hours=6),
    ("advanced", "high"): dt.timedelta(minutes=30),
    ("premium", "general"): dt.timedelta(hours=2),
    ("premium", "high"): dt.timedelta(minutes=10),
}


@pytest.mark.parametrize(("plan_code", "priority"), PLAN_TARGETS)
def test_deadline_is_created_at_plus_the_plans_target(plans, plan_code, priority):
    customer = CustomerFactory(account=AccountFactory(plan=plans[plan_code]))

    ticket = make_ticket(customer=customer, priority=priority, now=NOW)

    assert ticket.created_at == NOW
    assert ticket.work_started_deadline == NOW + PLAN_TARGETS[(plan_code, priority)]
    assert ticket.work_started_target == PLAN_TARGETS[(plan_code, priority)].total_seconds()
    assert ticket.at_risk_at == NOW + PLAN_TARGETS[(plan_code, priority)] * 0.8
    assert ticket.promise["plan"] == plan_code
    assert list(ticket.events.values_list("code", flat=True)) == ["created"]


def test_a_plan_edit_never_moves_an_existing_deadline(customer):
    ticket = make_ticket(customer=customer, priority="high", now=NOW)
    plan = customer.account.plan
    plan_update(plan=plan, response_targets={"general": 6 * 3600, "high": 60})

    fresh = make_ticket(customer=customer, priority="high", now=NOW)
    newcomer = make_ticket(
        customer=CustomerFactory(account=AccountFactory(plan=plan)), priority="high", now=NOW
    )
    downgraded = ticket_downgrade(ticket=ticket, actor=_engineer(), reason="Not an outage")

    # the account's term keeps its version (30 min); a term that starts after the edit takes it
    assert fresh.work_started_deadline == NOW + dt.timedelta(minutes=30)
    assert newcomer.work_started_deadline == NOW + dt.timedelta(seconds=60)
    assert Ticket.objects.get(pk=ticket.pk).previous_deadline == NOW + dt.timedelta(minutes=30)
    assert downgraded.work_started_deadline == NOW + dt.timedelta(hours=6)


def _engineer():
    from tests.factories import EngineerFactory

    return EngineerFactory()


def test_high_needs_the_incident_declaration(customer):
    with pytest.raises(ValidationError) as error:
        ticket_create(
            account=customer.account,
            created_by=customer,
            subject="Slow",
            description="Hm",
            priority="high",
            service_unavailable=False,
            affected_service="",
        )
    assert set(error.value.message_dict) == {"service_unavailable", "affected_service"}
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("subject", "", "required"),
        ("subject", "x" * 201, "no more than 200"),
        ("description", "x" * 20_001, "no more than 20000"),
        ("subject", "bad\x00byte", "control characters"),
        ("subject", 12, "Must be text"),
        ("priority", "urgent", "Choose one of"),
        ("severity", "apocalyptic", "Choose one of"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(customer, field, value, message):
    fields = {"subject": "Subject", "description": "Body", "priority": "general", field: value}

    with pytest.raises(ValidationError) as error:
        ticket_create(account=customer.account, created_by=customer, **fields)

    assert message in " ".join(error.value.message_dict[field])
    assert Ticket.objects.count() == 0
    assert TicketEvent.objects.count() == 0


def test_hostile_text_is_stored_verbatim(customer):
    hostile = "<script>alert(1)</script>'; DROP TABLE helpdesk_ticket; --"

    ticket = make_ticket(customer=customer, subject=hostile[:200], description=hostile)

    assert Ticket.objects.get(pk=ticket.pk).description == hostile


def test_a_customer_cannot_open_a_ticket_for_another_account(customer, other_account):
    with pytest.raises(Denied):
        ticket_create(account=other_account, created_by=customer, subject="S", description="D")
    assert Ticket.objects.count() == 0


def test_start_work_is_once_and_returns_the_first_instant(ticket, engineer):
    first = ticket_start_work(ticket=ticket, actor=engineer, now=NOW)
    second = ticket_start_work(ticket=ticket, actor=engineer, now=NOW + dt.timedelta(hours=1))

    assert first.work_started_at == second.work_started_at == NOW
    assert first.status == TicketStatus.WORK_STARTED
    assert ticket.events.filter(code="work_started").count() == 1


def test_customers_cannot_start_work(ticket, customer):
    with pytest.raises(Denied):
        ticket_start_work(ticket=ticket, actor=customer)
    assert Ticket.objects.get(pk=ticket.pk).work_started_at is None


def test_the_first_public_staff_reply_is_work_started(ticket, engineer):
    message_create(ticket=ticket, author=engineer, body="Internal", public=False)
    assert Ticket.objects.get(pk=ticket.pk).work_started_at is None

    reply_at = timezone.now()
    message_create(ticket=ticket, author=engineer, body="Looking at it", now=reply_at)

    ticket.refresh_from_db()
    assert ticket.work_started_at == reply_at
    assert ticket.status == TicketStatus.WORK_STARTED
    assert ticket.sla_state(reply_at) == "met"


def test_a_customer_reply_does_not_start_work_and_cannot_be_internal(ticket, customer):
    message_create(ticket=ticket, author=customer, body="More details")
    with pytest.raises(Denied):
        message_create(ticket=ticket, author=customer, body="Secret", public=False)

    assert Ticket.objects.get(pk=ticket.pk).work_started_at is None
    assert ticket.messages.count() == 1


def test_a_customer_reply_wakes_a_ticket_waiting_on_them(ticket, engineer, customer):
    ticket_start_work(ticket=ticket, actor=engineer)
    ticket_transition(ticket=ticket, actor=engineer, to_status=TicketStatus.WAITING_ON_CUSTOMER)

    message_create(ticket=ticket, author=customer, body="Here are the logs")

    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.WORK_STARTED
    assert ticket.events.filter(code="customer_replied").exists()


STATUSES = list(TicketStatus)


def _ticket_in(status, customer, engineer):
    ticket = make_ticket(customer=customer)
    if status != TicketStatus.NEW:
        now = timezone.now()
        Ticket.objects.filter(pk=ticket.pk).update(
            status=status,
            work_started_at=now,
            work_started_after=(now - ticket.created_at) // dt.timedelta(microseconds=1),
            work_started_by=engineer,
        )
    return Ticket.objects.get(pk=ticket.pk)


@pytest.mark.parametrize(
    ("source", "target"),
    [(s, t) for s, t in itertools.product(STATUSES, STATUSES) if (s, t) != ("new", "new")],
)
def test_every_transition_is_legal_or_refused(customer, engineer, source, target):
    ticket = _ticket_in(source, customer, engineer)

    if target in TRANSITIONS[source]:
        moved = ticket_transition(ticket=ticket, actor=engineer, to_status=target)
        assert moved.status == target
        assert ticket.events.exclude(code="created").count() == 1
    else:
        with pytest.raises(ConflictError) as error:
            ticket_transition(ticket=ticket, actor=engineer, to_status=target)
        assert "cannot become" in error.value.message
        assert Ticket.objects.get(pk=ticket.pk).status == source
        assert ticket.events.exclude(code="created").count() == 0


def test_an_unknown_status_names_the_field(ticket, engineer):
    with pytest.raises(ValidationError) as error:
        ticket_transition(ticket=ticket, actor=engineer, to_status="exploded")
    assert "status" in error.value.message_dict


def test_customers_may_only_close_or_reopen_a_resolved_ticket(customer, engineer):
    resolved = _ticket_in(TicketStatus.RESOLVED, customer, engineer)
    started = _ticket_in(TicketStatus.WORK_STARTED, customer, engineer)

    with pytest.raises(Denied):
        ticket_transition(ticket=started, actor=customer, to_status=TicketStatus.RESOLVED)
    reopened = ticket_transition(ticket=resolved, actor=customer, to_status=TicketStatus.WORK_STARTED)

    assert reopened.status == TicketStatus.WORK_STARTED
    assert resolved.events.filter(code="reopened").exists()


def test_a_closed_ticket_takes_no_replies(customer, engineer):
    closed = _ticket_in(TicketStatus.CLOSED, customer, engineer)
    with pytest.raises(ConflictError):
        message_create(ticket=closed, author=customer, body="Hello?")


def test_downgrade_recounts_from_creation_and_keeps_both_deadlines(customer, engineer):
    ticket = make_ticket(customer=customer, priority="high", now=NOW)

    downgraded = ticket_downgrade(
        ticket=ticket, actor=engineer, reason="The site is up; one page is slow", now=NOW
    )

    assert downgraded.priority == "general"
    assert downgraded.downgraded_from == "high"
    assert downgraded.work_started_deadline == NOW + dt.timedelta(hours=6)
    assert downgraded.previous_deadline == NOW + dt.timedelta(minutes=30)
    assert downgraded.deadline_version == 2
    event = downgraded.events.get(code="downgraded")
    assert event.actor == engineer
    assert event.data["reason"] == "The site is up; one page is slow"


@pytest.mark.parametrize("reason", ["", "   ", None, "x" * 2001])
def test_downgrade_needs_a_reason(high_ticket, engineer, reason):
    with pytest.raises(ValidationError) as error:
        ticket_downgrade(ticket=high_ticket, actor=engineer, reason=reason)
    assert "reason" in error.value.message_dict
    assert Ticket.objects.get(pk=high_ticket.pk).priority == "high"


def test_only_high_can_be_downgraded_and_only_by_staff(ticket, high_ticket, engineer, customer):
    with pytest.raises(ValidationError):
        ticket_downgrade(ticket=ticket, actor=engineer, reason="why")
    with pytest.raises(Denied):
        ticket_downgrade(ticket=high_ticket, actor=customer, reason="why")
    with pytest.raises(Denied):
        ticket_upgrade(ticket=ticket, actor=customer, reason="raise it back")


def test_upgrade_counts_the_high_target_from_now(customer, engineer):
    ticket = make_ticket(customer=customer, now=NOW)
    later = NOW + dt.timedelta(hours=1)

    upgraded = ticket_upgrade(
        ticket=ticket,
        actor=engineer,
        reason="Checkout is down",
        affected_service="Checkout",
        now=later,
    )

    assert upgraded.priority == "high"
    assert upgraded.work_started_deadline == later + dt.timedelta(minutes=30)
    assert upgraded.previous_deadline == NOW + dt.timedelta(hours=6)
    assert upgraded.service_unavailable is True


def test_upgrade_without_a_named_service_is_refused(customer, engineer):
    ticket = make_ticket(customer=customer)
    with pytest.raises(ValidationError) as error:
        ticket_upgrade(ticket=ticket, actor=engineer, reason="Feels urgent")
    assert "affected_service" in error.value.message_dict


def test_sla_state_reads_the_stored_promise(customer):
    ticket = make_ticket(customer=customer, priority="high", now=NOW)
    deadline = ticket.work_started_deadline

    assert ticket.sla_state(NOW) == "running"
    assert ticket.sla_state(ticket.at_risk_at) == "at_risk"
    assert ticket.sla_state(deadline) == "at_risk"
    assert ticket.sla_state(deadline + dt.timedelta(microseconds=1)) == "missed"
    ticket.responded_at = deadline
    assert ticket.sla_state(deadline + dt.timedelta(days=1)) == "met"
    ticket.responded_at = deadline + dt.timedelta(milliseconds=400)
    assert ticket.sla_state(deadline) == "missed"


def test_an_upgrade_after_a_downgrade_clears_the_downgrade_but_keeps_its_history(customer, engineer):
    ticket = make_ticket(customer=customer, priority="high", now=NOW)
    ticket_downgrade(ticket=ticket, actor=engineer, reason="Misfiled", now=NOW)

    upgraded = ticket_upgrade(ticket=ticket, actor=engineer, reason="It is down after all", now=NOW)

    assert (upgraded.priority, upgraded.downgraded_from, upgraded.downgrade_reason) == ("high", "", "")
    assert list(upgraded.events.values_list("code", flat=True)) == ["created", "downgraded", "upgraded"]
