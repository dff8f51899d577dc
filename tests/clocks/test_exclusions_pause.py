"""Exclusion periods pause the clocks they overlap: deadlines move, misses are judged again.

Times are passed with `now=` (pure calculation on stored rows); the real-seconds version is in
test_timers_worker.py.
"""

import datetime as dt

import pytest

from helpdesk.kit.errors import ConflictError
from helpdesk.tickets.models import Ticket
from helpdesk.tickets.services.tickets import ticket_start_work
from sla.clocks.models import ExclusionPeriod, Miss
from sla.clocks.services.exclusions import exclusion_cancel, exclusion_create, exclusion_update
from sla.clocks.services.misses import misses_record_due
from tests.factories import AccountFactory, CustomerFactory, make_ticket, plan

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)  # a Tuesday
M = dt.timedelta(minutes=1)


def _declare(admin, *, start, end, kind="force_majeure", now, account=None, note="Flood in the data centre"):
    return exclusion_create(
        created_by=admin, kind=kind, starts_at=start, ends_at=end, note=note, account=account, now=now
    )


def _late_high(customer, engineer, *, started_after: dt.timedelta) -> tuple[Ticket, Miss]:
    """A High ticket (30-minute target) at T0 whose work started `started_after` T0: a miss."""
    ticket = make_ticket(customer=customer, priority="high", now=T0)
    ticket_start_work(ticket=ticket, actor=engineer, now=T0 + started_after)
    return ticket, Miss.objects.get(ticket=ticket)


def test_a_period_declared_ahead_moves_the_deadline_by_its_overlap(customer, billing_admin):
    period = _declare(
        billing_admin, start=T0 + 10 * M, end=T0 + 20 * M, kind="scheduled_maintenance", now=T0 - M
    )
    ticket = make_ticket(customer=customer, priority="high", now=T0)

    assert ticket.work_started_deadline == T0 + 40 * M
    assert ticket.at_risk_at == T0 + 34 * M  # 80% of 30 minutes is 24, plus the 10 paused
    assert misses_record_due(now=T0 + 39 * M) == 0

    assert misses_record_due(now=T0 + 41 * M) == 1
    miss = Miss.objects.get(ticket=ticket)
    assert (miss.deadline, miss.excused_seconds, miss.counted) == (T0 + 40 * M, 600, True)
    assert miss.lateness_seconds is None  # still no response
    assert ExclusionPeriod.objects.get(pk=period.pk).events[0]["action"] == "created"


def test_a_global_one_minute_period_leaves_every_clock_it_does_not_overlap_alone(
    customer, other_customer, engineer, billing_admin
):
    before = make_ticket(customer=customer, priority="high", now=T0)  # clock T0 .. T0+30m
    stopped = make_ticket(customer=other_customer, priority="high", now=T0 + 40 * M)
    ticket_start_work(ticket=stopped, actor=engineer, now=T0 + 45 * M)  # stopped before the period
    spanning = make_ticket(customer=customer, priority="high", now=T0 + 40 * M)  # T0+40m .. T0+70m
    after = make_ticket(customer=customer, priority="high", now=T0 + 2 * dt.timedelta(hours=1))
    deadlines = dict(Ticket.objects.values_list("pk", "work_started_deadline"))

    _declare(billing_admin, start=T0 + 50 * M, end=T0 + 51 * M, kind="emergency_maintenance", now=T0 + 55 * M)

    moved = dict(Ticket.objects.values_list("pk", "work_started_deadline"))
    assert moved[before.pk] == deadlines[before.pk]
    assert moved[stopped.pk] == deadlines[stopped.pk]
    assert moved[after.pk] == deadlines[after.pk]
    assert moved[spanning.pk] == deadlines[spanning.pk] + M


def test_a_period_declared_after_a_miss_whose_extended_deadline_was_met_uncounts_it(
    customer, engineer, billing_admin
):
    ticket, miss = _late_high(customer, engineer, started_after=35 * M)
    assert (miss.counted, miss.lateness_seconds) == (True, 300)

    period = _declare(billing_admin, start=T0 + 5 * M, end=T0 + 15 * M, now=T0 + 60 * M)

    miss.refresh_from_db()
    assert miss.counted is False
    assert miss.exclusion_period_id == period.pk
    assert miss.excluded_reason == f"Force majeure #{period.pk}"
    assert (miss.deadline, miss.excused_seconds, miss.lateness_seconds) == (T0 + 40 * M, 600, 0)
    ticket.refresh_from_db()
    assert ticket.work_started_deadline == T0 + 40 * M and ticket.sla_state(T0 + 60 * M) == "met"
    event = ticket.events.get(code="miss_excluded")
    assert (event.actor, event.data["period"]) == (billing_admin, period.pk)


def test_a_period_that_does_not_cover_the_lateness_keeps_the_miss_counted_and_less_late(
    customer, engineer, billing_admin
):
    _, miss = _late_high(customer, engineer, started_after=50 * M)

    _declare(billing_admin, start=T0 + 5 * M, end=T0 + 15 * M, now=T0 + 60 * M)

    miss.refresh_from_db()
    assert (miss.counted, miss.excluded_reason, miss.exclusion_period_id) == (True, "", None)
    assert (miss.deadline, miss.excused_seconds, miss.lateness_seconds) == (T0 + 40 * M, 600, 600)


def test_a_cancelled_period_restores_the_miss(customer, engineer, billing_admin):
    ticket, miss = _late_high(customer, engineer, started_after=35 * M)
    period = _declare(billing_admin, start=T0 + 5 * M, end=T0 + 15 * M, now=T0 + 60 * M)

    exclusion_cancel(period=period, actor=billing_admin, reason="The flood was next door", now=T0 + 90 * M)

    miss.refresh_from_db()
    assert (miss.counted, miss.excluded_reason, miss.exclusion_period_id) == (True, "", None)
    assert (miss.deadline, miss.excused_seconds, miss.lateness_seconds) == (T0 + 30 * M, 0, 300)
    ticket.refresh_from_db()
    assert ticket.work_started_deadline == T0 + 30 * M
    period.refresh_from_db()
    assert period.cancelled and period.cancel_reason == "The flood was next door"
    assert [e["action"] for e in period.events] == ["created", "cancelled"]
    assert list(ticket.events.filter(code__startswith="miss_").values_list("code", flat=True)) == [
        "miss_excluded",
        "miss_counted",
    ]
    assert ExclusionPeriod.objects.filter(pk=period.pk).exists()


def test_cancelling_a_period_that_kept_a_late_start_met_records_the_miss(customer, engineer, billing_admin):
    period = _declare(
        billing_admin, start=T0 + 10 * M, end=T0 + 20 * M, kind="scheduled_maintenance", now=T0 - M
    )
    ticket = make_ticket(customer=customer, priority="high", now=T0)
    ticket_start_work(ticket=ticket, actor=engineer, now=T0 + 35 * M)
    assert not Miss.objects.exists()

    exclusion_cancel(period=period, actor=billing_admin, reason="Maintenance called off", now=T0 + 9 * M)

    miss = Miss.objects.get(ticket=ticket)
    assert (miss.counted, miss.deadline, miss.lateness_seconds) == (True, T0 + 30 * M, 300)


def test_a_miss_excused_while_the_clock_still_runs_is_judged_again_at_the_extended_deadline(
    customer, billing_admin
):
    ticket = make_ticket(customer=customer, priority="high", now=T0)
    misses_record_due(now=T0 + 31 * M)
    miss = Miss.objects.get(ticket=ticket)

    _declare(billing_admin, start=T0 + 20 * M, end=T0 + 32 * M, kind="emergency_maintenance", now=T0 + 32 * M)

    miss.refresh_from_db()
    ticket.refresh_from_db()
    assert miss.counted is False and ticket.miss_pending and ticket.work_started_deadline == T0 + 42 * M
    assert misses_record_due(now=T0 + 41 * M) == 0

    assert misses_record_due(now=T0 + 43 * M) == 1
    miss.refresh_from_db()
    assert (miss.counted, miss.deadline, miss.excused_seconds) == (True, T0 + 42 * M, 720)
    assert Miss.objects.filter(ticket=ticket).count() == 1


def test_moving_a_period_judges_the_miss_again(customer, engineer, billing_admin):
    _, miss = _late_high(customer, engineer, started_after=35 * M)
    period = _declare(billing_admin, start=T0 + 5 * M, end=T0 + 15 * M, now=T0 + 60 * M)

    exclusion_update(period=period, actor=billing_admin, ends_at=T0 + 7 * M, now=T0 + 61 * M)

    miss.refresh_from_db()
    assert (miss.counted, miss.lateness_seconds, miss.excused_seconds) == (True, 180, 120)
    period.refresh_from_db()
    assert period.events[-1]["action"] == "changed"
    assert period.events[-1]["detail"] == {"ends_at": [(T0 + 15 * M).isoformat(), (T0 + 7 * M).isoformat()]}


def test_an_accounts_own_period_does_not_pause_another_accounts_clock(
    customer, other_customer, billing_admin
):
    _declare(billing_admin, start=T0, end=T0 + 60 * M, account=customer.account, now=T0 + 2 * 60 * M)
    mine = make_ticket(customer=customer, priority="high", now=T0)
    theirs = make_ticket(customer=other_customer, priority="high", now=T0)

    assert mine.work_started_deadline == T0 + 90 * M
    assert theirs.work_started_deadline == T0 + dt.timedelta(seconds=theirs.work_started_target)


def test_on_working_hours_only_working_time_inside_a_period_counts(billing_admin):
    customer = CustomerFactory(account=AccountFactory(plan=plan("business")))
    # Monday 16:30 local; a period from 16:45 to Tuesday 09:15 covers 15 + 15 working minutes.
    start = dt.datetime(2026, 3, 9, 16, 30)
    ticket = make_ticket(customer=customer, now=_local(start))
    before = ticket.work_started_deadline

    _declare(
        billing_admin,
        start=_local(start + 15 * M),
        end=_local(dt.datetime(2026, 3, 10, 9, 15)),
        now=_local(start + 20 * M),
    )

    ticket.refresh_from_db()
    assert ticket.work_started_deadline - before == 30 * M


def _local(naive: dt.datetime) -> dt.datetime:
    from zoneinfo import ZoneInfo

    from django.conf import settings

    return naive.replace(tzinfo=ZoneInfo(settings.SUPPORT_TIME_ZONE))


# --- periods are records ----------------------------------------------------------------------


def test_scheduled_maintenance_created_after_it_started_is_refused(billing_admin):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        _declare(billing_admin, start=T0, end=T0 + M, kind="scheduled_maintenance", now=T0)

    assert "starts_at" in error.value.message_dict
    assert not ExclusionPeriod.objects.exists()


def test_a_period_declared_after_it_began_needs_a_note(billing_admin):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        _declare(billing_admin, start=T0, end=T0 + M, note="", now=T0 + M)

    assert "note" in error.value.message_dict
    assert not ExclusionPeriod.objects.exists()


def test_scheduled_maintenance_that_has_begun_cannot_be_changed(billing_admin):
    period = _declare(billing_admin, start=T0 + M, end=T0 + 60 * M, kind="scheduled_maintenance", now=T0)

    with pytest.raises(ConflictError):
        exclusion_update(period=period, actor=billing_admin, ends_at=T0 + 90 * M, now=T0 + 2 * M)

    period.refresh_from_db()
    assert period.ends_at == T0 + 60 * M and len(period.events) == 1


def test_a_cancelled_period_cannot_be_cancelled_or_changed_again(billing_admin):
    period = _declare(billing_admin, start=T0, end=T0 + M, now=T0 + M)
    exclusion_cancel(period=period, actor=billing_admin, reason="Mistake", now=T0 + 2 * M)

    with pytest.raises(ConflictError):
        exclusion_cancel(period=period, actor=billing_admin, reason="Again", now=T0 + 3 * M)
    with pytest.raises(ConflictError):
        exclusion_update(period=period, actor=billing_admin, note="Changed", now=T0 + 3 * M)

    period.refresh_from_db()
    assert [e["action"] for e in period.events] == ["created", "cancelled"]
