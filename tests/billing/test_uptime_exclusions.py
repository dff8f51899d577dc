"""An uptime claim denied for a contract exclusion uncounts its shortfall, as a denied miss claim
uncounts the miss: an event says so, the month's termination flag is judged again, and later
assessments of the month never count it again (nor credit it automatically)."""

import pytest

from billing.models import AccountMonth, BillingEvent, Voucher
from billing.services.claims import claim_deny, claim_open_uptime
from billing.services.months import account_month, counted_misses
from billing.services.vouchers import automatic_vouchers_issue
from sla.uptime.models import UptimeShortfall
from sla.uptime.services.assessment import uptime_month_assess
from tests.billing.conftest import record_misses
from tests.billing.test_uptime_claims import APRIL, TWO_HOURS_BEYOND, shortfall_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def hooked(django_capture_on_commit_callbacks):
    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


def flagged(account, month="2026-03") -> bool:
    row = AccountMonth.objects.filter(account=account, month=month).first()
    return bool(row and row.termination_eligible)


@pytest.fixture
def flagged_month(customer, billing_admin, engineer, hooked):
    """Five counted misses and one counted uptime shortfall in March: six failures, above five."""
    hooked(record_misses, customer, 5)
    shortfall = hooked(shortfall_of, customer.account, billing_admin, engineer, TWO_HOURS_BEYOND)
    assert shortfall.counted and counted_misses(account_id=customer.account_id, month="2026-03") == 6
    assert flagged(customer.account)
    return shortfall


@pytest.mark.parametrize("reason", ["customer_environment", "unauthorised_change", "scheduled_maintenance"])
def test_an_uptime_claim_denied_for_an_exclusion_uncounts_the_shortfall_and_clears_the_flag(
    customer, billing_admin, hooked, flagged_month, reason
):
    claim = claim_open_uptime(shortfall=flagged_month, created_by=customer, now=APRIL)

    hooked(claim_deny, claim=claim, actor=billing_admin, reason=reason, now=APRIL)

    shortfall = UptimeShortfall.objects.get(pk=flagged_month.pk)
    assert not shortfall.counted and shortfall.decision_reason == reason
    assert shortfall.excluded_reason.startswith("Excluded on review")
    assert counted_misses(account_id=customer.account_id, month="2026-03") == 5
    assert not flagged(customer.account)
    event = BillingEvent.objects.get(code="shortfall_excluded")
    assert (event.actor, event.data["shortfall"], event.claim_id, event.data["was_counted"]) == (
        billing_admin,
        shortfall.pk,
        claim.pk,
        True,
    )
    assert BillingEvent.objects.filter(code="termination_cleared", month="2026-03").exists()


@pytest.mark.parametrize("reason", ["account_in_arrears", "other"])
def test_arrears_or_another_reason_refuses_the_credit_but_the_shortfall_still_counts(
    customer, billing_admin, hooked, flagged_month, reason
):
    claim = claim_open_uptime(shortfall=flagged_month, created_by=customer, now=APRIL)

    hooked(claim_deny, claim=claim, actor=billing_admin, reason=reason, note="Why", now=APRIL)

    assert UptimeShortfall.objects.get(pk=flagged_month.pk).counted
    assert flagged(customer.account)
    assert not BillingEvent.objects.filter(code="shortfall_excluded").exists()


def test_a_later_assessment_never_counts_an_excluded_shortfall_again(
    customer, billing_admin, hooked, flagged_month
):
    claim = claim_open_uptime(shortfall=flagged_month, created_by=customer, now=APRIL)
    hooked(claim_deny, claim=claim, actor=billing_admin, reason="custom_code", now=APRIL)

    hooked(uptime_month_assess, month="2026-03", account_ids=[customer.account_id], now=APRIL)

    shortfall = UptimeShortfall.objects.get(pk=flagged_month.pk)
    assert shortfall.active and not shortfall.counted and not shortfall.claimable
    assert not flagged(customer.account)


def test_an_excluded_shortfall_earns_no_automatic_credit(customer, billing_admin, hooked, flagged_month):
    claim = claim_open_uptime(shortfall=flagged_month, created_by=customer, now=APRIL)
    hooked(claim_deny, claim=claim, actor=billing_admin, reason="maintenance_prevented", now=APRIL)
    terms = account_month(account=customer.account, month="2026-03")
    AccountMonth.objects.filter(pk=terms.pk).update(compensation="automatic")
    terms.refresh_from_db()

    automatic_vouchers_issue(terms=terms, now=APRIL)

    assert not Voucher.objects.filter(shortfall=flagged_month).exists()
