"""Termination eligibility: flagged at a month's sixth counted miss, cleared by an exclusion, decided."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from billing.models import AccountMonth, BillingEvent, Invoice, TerminationRequest
from billing.services.invoices import month_close
from billing.services.months import termination_sweep
from billing.services.terminations import termination_confirm, termination_decline, termination_request
from helpdesk.kit.errors import ConflictError
from helpdesk.tickets.services.tickets import ticket_downgrade, ticket_start_work
from sla.clocks.services.exclusions import exclusion_cancel, exclusion_create
from tests.billing.conftest import MIN, NOW, T0, H, record_misses
from tests.factories import EngineerFactory

pytestmark = pytest.mark.django_db


def flagged(account, month="2026-03") -> bool:
    row = AccountMonth.objects.filter(account=account, month=month).first()
    return bool(row and row.termination_eligible)


@pytest.fixture
def hooked(django_capture_on_commit_callbacks):
    """Run what sla schedules after commit (its count listeners) as a real commit would."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


def test_five_counted_misses_do_not_flag_the_sixth_does_at_once(customer, hooked):
    hooked(record_misses, customer, 5)
    assert not flagged(customer.account)

    sixth_at = T0 + dt.timedelta(hours=2)
    with time_machine.travel(sixth_at + dt.timedelta(hours=1), tick=False):
        hooked(record_misses, customer, 1, start=sixth_at)

    row = AccountMonth.objects.get(account=customer.account, month="2026-03")
    assert row.termination_eligible and row.termination_threshold == 5
    assert row.eligible_since == sixth_at + dt.timedelta(hours=1)
    event = BillingEvent.objects.get(code="termination_eligible")
    assert (event.account_id, event.month, event.data["counted_misses"]) == (
        customer.account_id,
        "2026-03",
        6,
    )


def test_an_exclusion_that_drops_the_count_to_five_clears_the_flag_with_an_event(
    customer, billing_admin, hooked
):
    misses = hooked(record_misses, customer, 6)
    assert flagged(customer.account)

    # Work started on the first 10 s after its deadline; then a 30-second repair over its clock
    # (and no other) is declared: the paused deadline was met, so that miss no longer counts.
    first = misses[0]
    ticket_start_work(
        ticket=first.ticket, actor=EngineerFactory(), now=first.deadline + dt.timedelta(seconds=10)
    )
    period = hooked(
        exclusion_create,
        created_by=billing_admin,
        kind="emergency_maintenance",
        note="Emergency repair of the ticketing host",
        starts_at=first.clock_started_at - MIN,
        ends_at=first.clock_started_at + dt.timedelta(seconds=30),
    )
    assert not flagged(customer.account)
    cleared = BillingEvent.objects.get(code="termination_cleared")
    assert cleared.data == {"counted_misses": 5, "threshold": 5}

    hooked(exclusion_cancel, period=period, actor=billing_admin, reason="No repair took place")
    assert flagged(customer.account)
    assert BillingEvent.objects.filter(code="termination_eligible").count() == 2


def test_a_downgrade_that_voids_the_sixth_miss_clears_the_flag(customer, engineer, hooked):
    misses = hooked(record_misses, customer, 6)
    # Downgraded before its General deadline (6 h) has passed: the High miss is voided, none replaces it.
    hooked(ticket_downgrade, ticket=misses[-1].ticket, actor=engineer, reason="Not down", now=T0 + 2 * H)
    assert not flagged(customer.account)


def test_misses_either_side_of_midnight_in_the_support_zone_count_in_their_own_months(
    settings, customer, hooked
):
    settings.SUPPORT_TIME_ZONE = "America/New_York"
    midnight_ny = dt.datetime(2026, 4, 1, 4, 0, tzinfo=dt.UTC)  # 00:00 EDT on 1 April
    high_target = dt.timedelta(minutes=30)
    before = hooked(record_misses, customer, 6, start=midnight_ny - high_target - 6 * MIN)  # 23:54–23:59
    after = hooked(record_misses, customer, 5, start=midnight_ny - high_target)  # 00:00–00:04

    assert {m.month for m in before} == {"2026-03"} and {m.month for m in after} == {"2026-04"}
    assert flagged(customer.account, "2026-03") and not flagged(customer.account, "2026-04")


def test_the_sweep_puts_right_a_flag_the_listener_missed(customer):
    record_misses(customer, 6)  # no commit in this test: the listener never ran
    assert not flagged(customer.account)

    assert termination_sweep(month="2026-03", now=NOW) == 1
    assert flagged(customer.account)
    assert termination_sweep(month="2026-03", now=NOW) == 0


def test_a_listener_failure_never_breaks_the_sweep(customer, hooked, monkeypatch, caplog):
    def boom(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("billing.services.months.termination_reassess", boom)
    misses = hooked(record_misses, customer, 6)

    assert len(misses) == 6 and "could not judge termination eligibility" in caplog.text


def test_the_customer_is_told_with_the_misses(customer, billing_admin, hooked, mailoutbox):
    from billing import notifications

    misses = hooked(record_misses, customer, 6)
    notifications.notify_termination_eligible(AccountMonth.objects.get().pk)

    email = mailoutbox[0]
    assert set(email.to) == {customer.email, billing_admin.email}
    assert "may terminate without penalty" in email.subject
    assert all(f"ticket #{miss.ticket_id}" in email.body for miss in misses)


def test_request_confirm_and_the_subscription_ends_at_the_end_of_the_period(customer, billing_admin, hooked):
    hooked(record_misses, customer, 6)
    request = termination_request(account=customer.account, month="2026-03", requested_by=customer, now=NOW)
    with pytest.raises(ConflictError):
        termination_request(account=customer.account, month="2026-03", requested_by=customer, now=NOW)

    confirmed = termination_confirm(request=request, actor=billing_admin, now=NOW)
    assert confirmed.ends_on == dt.date(2026, 3, 31)
    with pytest.raises(ConflictError):
        termination_decline(request=request, actor=billing_admin, note="changed my mind", now=NOW)

    month_close(month="2026-03", now=dt.datetime(2026, 4, 1, 1, tzinfo=dt.UTC))
    march = Invoice.objects.get(month="2026-03")
    assert [line.kind for line in march.lines.all()] == ["subscription"]  # no termination fee
    customer.account.refresh_from_db()
    assert customer.account.is_active is False
    month_close(month="2026-04", now=dt.datetime(2026, 5, 1, 1, tzinfo=dt.UTC))
    assert not Invoice.objects.filter(month="2026-04").exists()
    assert BillingEvent.objects.filter(code="subscription_ended", account=customer.account).exists()


def test_no_request_without_a_flag_and_a_decline_needs_a_note(customer, billing_admin, hooked):
    with pytest.raises(ValidationError) as error:
        termination_request(account=customer.account, month="2026-03", requested_by=customer, now=NOW)
    assert "month" in error.value.message_dict
    hooked(record_misses, customer, 6)
    request = termination_request(account=customer.account, month="2026-03", requested_by=customer, now=NOW)

    with pytest.raises(ValidationError) as error:
        termination_decline(request=request, actor=billing_admin, note="", now=NOW)
    assert "note" in error.value.message_dict
    termination_decline(request=request, actor=billing_admin, note="The March outage was excluded.", now=NOW)
    assert TerminationRequest.objects.get().status == "declined"
    # declined, the customer may ask again
    termination_request(account=customer.account, month="2026-03", requested_by=customer, now=NOW)


def test_only_the_accounts_customer_requests_and_only_billing_admins_decide(
    customer, other_customer, engineer, hooked
):
    from helpdesk.kit.roles import Denied

    hooked(record_misses, customer, 6)
    for user in (other_customer, engineer):
        with pytest.raises(Denied):
            termination_request(account=customer.account, month="2026-03", requested_by=user, now=NOW)
    request = termination_request(account=customer.account, month="2026-03", requested_by=customer, now=NOW)
    for user in (customer, engineer):
        with pytest.raises(Denied):
            termination_confirm(request=request, actor=user, now=NOW)
