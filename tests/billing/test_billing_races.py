"""Races, with real threads and real transactions: two approvals, two closes, a claim beside an exclusion."""

import threading

import pytest
from django.db import OperationalError, connection

from billing.models import AccountMonth, Claim, Invoice, InvoiceLine, Voucher
from billing.services.claims import claim_approve, claim_open
from billing.services.invoices import month_close
from helpdesk.kit.errors import ConflictError, ValidationError
from helpdesk.tickets.services.tickets import ticket_start_work
from sla.clocks.models import Miss
from sla.clocks.services.exclusions import exclusion_create
from tests.billing.conftest import MIN, NOW, H, record_misses
from tests.factories import AccountFactory, BillingAdminFactory, CustomerFactory, EngineerFactory, plan

pytestmark = pytest.mark.django_db(transaction=True)
APRIL_1 = NOW.replace(month=4, day=1, hour=0, minute=5)


def race(*actions):
    """Run the actions at the same instant, each in its own thread and connection; (results, errors)."""
    barrier = threading.Barrier(len(actions))
    results, errors = [], []

    def run(action):
        try:
            barrier.wait()
            results.append(action())
        except (ConflictError, ValidationError, OperationalError) as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.mark.parametrize("attempt", range(5))
def test_two_approvals_of_one_claim_issue_one_voucher(attempt):
    customer = CustomerFactory(account__plan=plan("advanced"))
    admins = [BillingAdminFactory(), BillingAdminFactory()]
    claim = claim_open(miss=record_misses(customer, 1)[0], created_by=customer, now=NOW)

    results, errors = race(
        *(lambda a=admin: claim_approve(claim=claim, actor=a, now=NOW) for admin in admins)
    )

    assert Voucher.objects.filter(claim=claim).count() == 1
    assert Claim.objects.get(pk=claim.pk).status == "approved"
    assert len(results) == 1
    if connection.vendor == "postgresql":
        assert len(errors) == 1 and isinstance(errors[0], ConflictError)


@pytest.mark.parametrize("attempt", range(3))
def test_two_closes_of_one_month_make_one_invoice_per_account(attempt):
    customer = CustomerFactory(account__plan=plan("advanced"))
    admin = BillingAdminFactory()
    for miss in record_misses(customer, 3):
        claim_approve(claim=claim_open(miss=miss, created_by=customer, now=NOW), actor=admin, now=NOW)
    for _ in range(6):
        AccountFactory()

    results, errors = race(
        lambda: month_close(month="2026-03", now=APRIL_1, batch=2),
        lambda: month_close(month="2026-03", now=APRIL_1, batch=3),
    )

    assert Invoice.objects.filter(month="2026-03").count() == 7
    assert sum(result.issued for result in results) == 7
    assert InvoiceLine.objects.filter(kind="voucher_credit").count() == 3
    assert Voucher.objects.filter(invoice__isnull=True).count() == 0
    if connection.vendor == "postgresql":
        assert not errors and len(results) == 2


@pytest.mark.parametrize("attempt", range(3))
def test_a_claim_and_an_exclusion_at_once_leave_a_consistent_count(attempt):
    customer = CustomerFactory(account__plan=plan("advanced"))
    admin = BillingAdminFactory()
    misses = record_misses(customer, 6, step=H)  # an hour apart; a real commit: the listener flags the month
    assert AccountMonth.objects.get(account=customer.account, month="2026-03").termination_eligible
    target = misses[2]
    # Answered a minute late; the period below pauses this clock (and no other) for two minutes.
    ticket_start_work(ticket=target.ticket, actor=EngineerFactory(), now=target.deadline + MIN)

    results, errors = race(
        lambda: claim_open(miss=target, created_by=customer, now=NOW),
        lambda: exclusion_create(
            created_by=admin,
            kind="force_majeure",
            starts_at=target.clock_started_at - MIN,
            ends_at=target.clock_started_at + 2 * MIN,
            note="Flood",
        ),
    )

    target.refresh_from_db()
    counted = Miss.objects.filter(account=customer.account, month="2026-03", counted=True).count()
    row = AccountMonth.objects.get(account=customer.account, month="2026-03")
    assert target.counted is False and counted == 5
    assert row.termination_eligible is (counted > row.termination_threshold) is False
    claim = Claim.objects.filter(miss=target).first()
    if claim is None:  # the exclusion came first: the claim was refused, naming the miss
        assert (
            any("miss" in getattr(e, "message_dict", {}) for e in errors) or connection.vendor != "postgresql"
        )
    else:  # the claim came first: it waits, and the review proposes the exclusion's reason
        from billing.selectors import claims_for, proposed_reason

        assert proposed_reason(claims_for(user=admin, now=NOW).get(pk=claim.pk)) == "force_majeure"


@pytest.mark.parametrize("attempt", range(3))
def test_concurrent_uptime_approvals_share_the_uptime_cap(attempt):
    """Two items each earned the whole 50% uptime cap; approved at the same instant, they share it."""
    import datetime as dt

    from billing.services.claims import claim_open_uptime
    from sla.uptime.models import UptimeShortfall
    from sla.uptime.services.assessment import uptime_month_assess
    from sla.uptime.services.downtime import downtime_record
    from sla.uptime.services.items import item_create
    from tests.factories import EngineerFactory

    customer = CustomerFactory(account__plan=plan("advanced"))
    admins = [BillingAdminFactory(), BillingAdminFactory()]
    engineer = EngineerFactory()
    down_at = NOW.replace(day=10, hour=8, minute=0)
    claims = []
    for name in ("Shop", "API"):
        item = item_create(created_by=admins[0], account=customer.account, name=name)
        downtime_record(
            item=item, actor=engineer, starts_at=down_at, ends_at=down_at + dt.timedelta(hours=9), now=NOW
        )
    uptime_month_assess(month="2026-03", account_ids=[customer.account_id], now=APRIL_1)
    for shortfall in UptimeShortfall.objects.filter(account=customer.account).order_by("pk"):
        claims.append(claim_open_uptime(shortfall=shortfall, created_by=customer, now=APRIL_1))

    results, errors = race(
        *(
            lambda c=claim, a=admin: claim_approve(claim=c, actor=a, now=APRIL_1)
            for claim, admin in zip(claims, admins, strict=True)
        )
    )

    assert not errors and len(results) == 2
    amounts = sorted(v.amount for v in Voucher.objects.filter(claim__in=claims))
    assert amounts == [0, 500]  # one took the whole 500.00 USD cap, the other what was left: nothing
