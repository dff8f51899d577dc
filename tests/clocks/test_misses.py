"""Misses: recorded once at the deadline, voided by a downgrade; bad exclusion periods are refused."""

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from helpdesk.tickets.models import Ticket
from helpdesk.tickets.services.tickets import ticket_downgrade, ticket_start_work, ticket_upgrade
from sla.clocks.models import Miss
from sla.clocks.services.exclusions import exclusion_create
from sla.clocks.services.misses import at_risk_flag_due, misses_record_due
from tests.factories import CustomerFactory, EngineerFactory, make_ticket, plan

T0 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)
SEC = dt.timedelta(seconds=1)


def test_the_sweep_records_every_overdue_clock_once(customer):
    tickets = [make_ticket(customer=customer, priority="high", now=T0) for _ in range(7)]
    deadline = tickets[0].work_started_deadline

    assert misses_record_due(now=deadline) == 0  # at the deadline itself the promise still holds
    assert misses_record_due(now=deadline + dt.timedelta(microseconds=1), batch=3) == 7
    assert misses_record_due(now=deadline + dt.timedelta(hours=5)) == 0

    assert Miss.objects.count() == 7
    miss = Miss.objects.get(ticket=tickets[0])
    assert miss.deadline == deadline
    assert miss.counted and miss.month == "2026-03" and miss.priority == "high"
    assert tickets[0].events.filter(code="missed", actor=None).count() == 1


def test_a_second_miss_for_one_clock_is_impossible(ticket):
    misses_record_due(now=ticket.work_started_deadline + SEC)
    miss = Miss.objects.get()
    miss.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        miss.save()


def test_work_started_a_fraction_late_is_a_miss_a_fraction_early_is_met(customer, engineer):
    late = make_ticket(customer=customer, priority="high", now=T0)
    early = make_ticket(customer=customer, priority="high", now=T0)
    deadline = late.work_started_deadline

    ticket_start_work(ticket=late, actor=engineer, now=deadline + dt.timedelta(milliseconds=400))
    ticket_start_work(ticket=early, actor=engineer, now=deadline - dt.timedelta(milliseconds=100))
    misses_record_due(now=deadline + dt.timedelta(minutes=10))  # the sweep runs late

    assert Miss.objects.filter(ticket=late).count() == 1
    assert not Miss.objects.filter(ticket=early).exists()
    assert Ticket.objects.get(pk=late.pk).sla_state(deadline) == "missed"
    assert Ticket.objects.get(pk=early.pk).sla_state(deadline + dt.timedelta(days=1)) == "met"


def test_a_downgrade_voids_the_high_miss_and_keeps_it_visible(customer, engineer):
    ticket = make_ticket(customer=customer, priority="high", now=T0)
    misses_record_due(now=T0 + dt.timedelta(minutes=31))

    ticket_downgrade(
        ticket=ticket, actor=engineer, reason="Only a cosmetic bug", now=T0 + dt.timedelta(minutes=40)
    )

    voided = Miss.objects.get(ticket=ticket)
    assert voided.voided_by == engineer and voided.void_reason == "Only a cosmetic bug"
    assert voided.counted is False and "Misclassified" in voided.excluded_reason
    ticket.refresh_from_db()
    assert ticket.work_started_deadline == T0 + dt.timedelta(hours=6)
    assert ticket.previous_deadline == T0 + dt.timedelta(minutes=30)
    assert ticket.miss_pending is True
    assert ticket.events.filter(code="miss_voided").exists()


def test_a_downgrade_after_the_general_deadline_too_records_that_miss(customer, engineer):
    ticket = make_ticket(customer=customer, priority="high", now=T0)
    misses_record_due(now=T0 + dt.timedelta(minutes=31))

    ticket_downgrade(ticket=ticket, actor=engineer, reason="Misfiled", now=T0 + dt.timedelta(hours=7))

    misses = {m.deadline_version: m for m in Miss.objects.filter(ticket=ticket)}
    assert misses[1].voided and not misses[1].counted
    assert misses[2].counted and misses[2].deadline == T0 + dt.timedelta(hours=6)


def test_a_downgrade_of_a_ticket_started_within_the_general_target_is_met(customer, engineer):
    ticket = make_ticket(customer=customer, priority="high", now=T0)
    misses_record_due(now=T0 + dt.timedelta(minutes=31))
    ticket_start_work(ticket=ticket, actor=engineer, now=T0 + dt.timedelta(hours=1))

    downgraded = ticket_downgrade(
        ticket=ticket, actor=engineer, reason="Not down", now=T0 + dt.timedelta(hours=2)
    )

    assert downgraded.sla_state(T0 + dt.timedelta(days=1)) == "met"
    assert Miss.objects.filter(ticket=ticket, counted=True).count() == 0
    assert Ticket.objects.get(pk=ticket.pk).miss_pending is False


def test_an_upgrade_starts_a_new_high_clock_and_keeps_the_old_miss(customer, engineer):
    ticket = make_ticket(customer=customer, now=T0)
    misses_record_due(now=T0 + dt.timedelta(hours=6, seconds=1))
    later = T0 + dt.timedelta(hours=7)

    ticket_upgrade(ticket=ticket, actor=engineer, reason="Checkout down", affected_service="Shop", now=later)
    misses_record_due(now=later + dt.timedelta(minutes=31))

    # Recorded and shown, but one request counts one failure: the first.
    assert sorted(
        Miss.objects.filter(ticket=ticket).values_list("deadline", "counted", "excluded_reason")
    ) == [
        (T0 + dt.timedelta(hours=6), True, ""),
        (later + dt.timedelta(minutes=30), False, "superseded"),
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "alien_invasion"}, "kind"),
        ({"kind": "cloud_provider", "provider": ""}, "provider"),
        ({"ends_at": T0 - dt.timedelta(hours=1)}, "ends_at"),
        ({"starts_at": dt.datetime(9999, 1, 1, tzinfo=dt.UTC)}, "starts_at"),
        ({"ends_at": T0 + dt.timedelta(days=4000)}, "ends_at"),
        ({"starts_at": dt.datetime(2026, 3, 10, 10)}, "starts_at"),
        ({"note": "x" * 2001}, "note"),
        ({"provider_sla_url": "javascript:alert(1)"}, "provider_sla_url"),
    ],
)
def test_bad_periods_are_refused_naming_the_field(billing_admin, changes, field):
    from django.core.exceptions import ValidationError

    from sla.clocks.models import ExclusionPeriod

    fields = {"kind": "emergency_maintenance", "starts_at": T0, "ends_at": T0 + dt.timedelta(hours=1)}
    with pytest.raises(ValidationError) as error:
        exclusion_create(created_by=billing_admin, **{**fields, **changes})
    assert field in error.value.message_dict
    assert ExclusionPeriod.objects.count() == 0


def test_at_risk_is_flagged_once_at_80_percent(customer):
    ticket = make_ticket(customer=customer, priority="high", now=T0)  # 30 min target

    assert at_risk_flag_due(now=T0 + dt.timedelta(minutes=23, seconds=59)) == []
    assert at_risk_flag_due(now=T0 + dt.timedelta(minutes=24)) == [ticket.pk]
    assert at_risk_flag_due(now=T0 + dt.timedelta(minutes=25)) == []
    assert ticket.events.filter(code="at_risk").count() == 1


def test_at_risk_and_missed_emails_reach_engineers_and_contacts(customer, engineer, mailoutbox):
    from sla.clocks.notifications import notify_at_risk, notify_missed

    ticket = make_ticket(customer=customer, priority="high", now=timezone.now() - dt.timedelta(minutes=25))
    notify_at_risk([ticket.pk])
    misses_record_due(now=ticket.work_started_deadline + SEC)
    notify_missed([Miss.objects.get().pk])

    assert mailoutbox[0].to == [engineer.email] and "at risk" in mailoutbox[0].subject
    assert set(mailoutbox[1].to) == {customer.email, engineer.email}
    assert "missed" in mailoutbox[1].subject and "claim compensation" in mailoutbox[1].body


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(20))
def test_start_work_racing_the_sweep_is_never_both_met_and_missed(attempt):
    customer = CustomerFactory(account__plan=plan("premium"))
    engineer = EngineerFactory()
    now = timezone.now()
    ticket = make_ticket(customer=customer, priority="high", now=now - dt.timedelta(minutes=10))
    Ticket.objects.filter(pk=ticket.pk).update(work_started_deadline=now + dt.timedelta(milliseconds=5))
    barrier = threading.Barrier(2)

    def start():
        barrier.wait()
        try:
            ticket_start_work(ticket=ticket, actor=engineer)
        finally:
            connection.close()

    def sweep():
        barrier.wait()
        try:
            for _ in range(5):
                misses_record_due()
        finally:
            connection.close()

    threads = [threading.Thread(target=start), threading.Thread(target=sweep)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    misses_record_due()

    ticket.refresh_from_db()
    misses = Miss.objects.filter(ticket=ticket).count()
    state = ticket.sla_state(timezone.now())
    assert (state, misses) in {("met", 0), ("missed", 1)}
    assert ticket.miss_pending is False
