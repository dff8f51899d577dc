"""Shortfalls and their credit: the sliding scale, the 50% cap, the cap shared with vouchers, termination.

March 2026 (UTC support zone) has 44,640 minutes; at 99.9% the permitted downtime is 44.64
minutes. Accounts pay 1000.00 USD a month. The default scale: hours 1-4 at 5% of the fee each,
5-8 at 7.5%, then 10%; a month's uptime credits never pass 50% of the fee.
"""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db.models import Sum

from billing.pricing import UptimePricing
from sla.clocks import hooks
from sla.terms.services.plans import plan_update
from sla.uptime import providers, selectors
from sla.uptime.models import UptimeShortfall
from sla.uptime.services.assessment import uptime_month_assess
from sla.uptime.services.downtime import downtime_correct, downtime_record, downtime_void
from sla.uptime.services.items import item_create
from sla.uptime.services.maintenance import maintenance_schedule
from tests.factories import (
    AccountFactory,
    BillingAdminFactory,
    CustomerFactory,
    EngineerFactory,
    set_uptime_terms,
)

pytestmark = pytest.mark.django_db

MARCH = dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
APRIL = dt.datetime(2026, 4, 2, 9, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
H = dt.timedelta(hours=1)


HEARD: list[tuple[int, str]] = []


def hear_count_change(*, account_id: int, month: str) -> None:
    """A stand-in for billing's listener (billing registers its own in BillingConfig.ready)."""
    HEARD.append((account_id, month))


def vouchers_issued(*, account_id: int, month: str) -> Decimal:
    """Every voucher of the month, whatever it pays for."""
    from billing.models import Voucher

    total = Voucher.objects.filter(account_id=account_id, month=month).aggregate(total=Sum("amount"))["total"]
    return total or Decimal(0)


@pytest.fixture(autouse=True)
def heard(monkeypatch):
    HEARD.clear()
    monkeypatch.setattr(hooks, "_listeners", [hear_count_change])
    with time_machine.travel(NOW, tick=False):
        yield HEARD


@pytest.fixture
def vouchers_reader(monkeypatch):
    """Billing's pricing, reading the month's response-time vouchers from the test's reader."""
    monkeypatch.setattr(providers, "_pricing", [])
    return lambda reader: providers.provide_pricing(UptimePricing(vouchers_issued=reader))


@pytest.fixture
def engineer(db):
    return EngineerFactory()


@pytest.fixture
def admin(db):
    return BillingAdminFactory()


@pytest.fixture
def account(plans):
    return AccountFactory(plan=plans["advanced"])


@pytest.fixture
def item(account, admin):
    return item_create(created_by=admin, account=account, name="Web shop")


def down(item, engineer, minutes: int, *, start=MARCH, now=NOW):
    return downtime_record(item=item, actor=engineer, starts_at=start, ends_at=start + minutes * MIN, now=now)


def shortfall(item, month="2026-03"):
    return UptimeShortfall.objects.get(item=item, month=month)


# --- the sliding scale ------------------------------------------------------------------------------


def test_within_the_permitted_downtime_there_is_no_shortfall(
    item, engineer, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        down(item, engineer, 44)

    assert not UptimeShortfall.objects.exists()
    assert heard == []


@pytest.mark.parametrize(
    ("minutes", "hours", "percent", "amount"),
    [
        (45, 1, "5", "50.00"),  # 0.36 min beyond: one started hour
        (44 + 60, 1, "5", "50.00"),  # 59.36 min beyond
        (45 + 60, 2, "10", "100.00"),  # 60.36 beyond: two
        (45 + 4 * 60, 5, "27.5", "275.00"),  # the fifth hour is in the 7.5% tier
        (45 + 7 * 60, 8, "50", "500.00"),  # exactly the cap
    ],
)
def test_each_started_hour_beyond_the_permitted_downtime_earns_its_tier(
    item, engineer, minutes, hours, percent, amount
):
    down(item, engineer, minutes)

    row = shortfall(item)
    assert (row.started_hours, row.credit_percent) == (hours, Decimal(percent))
    assert row.credit_amount == Decimal(amount)
    assert row.active and row.counted and not row.capped and not row.final
    assert row.permitted_minutes == Decimal("44.64")
    assert row.downtime_minutes == minutes and row.month_minutes == 44_640


def test_the_credit_is_capped_at_50_percent_of_the_fee(item, engineer):
    down(item, engineer, 20 * 60)

    row = shortfall(item)
    assert row.credit_percent_requested == Decimal("170")  # 4×5 + 4×7.5 + 12×10
    assert row.credit_percent == Decimal("50")
    assert row.credit_amount == Decimal("500.00") and row.capped


def test_a_plans_own_terms_replace_the_default_scale(item, engineer, account):
    account.plan = set_uptime_terms(
        account.plan,
        cap_percent=Decimal("30"),
        credit_tiers=[
            {"up_to_hours": 1, "percent_per_hour": "2"},
            {"up_to_hours": None, "percent_per_hour": "4"},
        ],
    )

    down(item, engineer, 45 + 2 * 60)  # three started hours: 2 + 4 + 4

    assert shortfall(item).credit_percent == Decimal("10")
    assert shortfall(item).credit_amount == Decimal("100.00")


def test_the_items_of_an_account_share_the_months_cap_in_item_order(account, admin, engineer):
    first = item_create(created_by=admin, account=account, name="Shop")
    second = item_create(created_by=admin, account=account, name="API")
    third = item_create(created_by=admin, account=account, name="Mail")

    down(first, engineer, 45 + 5 * 60)  # 6 hours: 35%
    down(second, engineer, 45 + 5 * 60)  # 35%, but only 15% left
    down(third, engineer, 45)  # 5%, nothing left

    rows = [shortfall(i) for i in (first, second, third)]
    assert [r.credit_amount for r in rows] == [Decimal("350.00"), Decimal("150.00"), Decimal("0.00")]
    assert [r.capped for r in rows] == [False, True, True]
    assert sum(r.credit_amount for r in rows) == Decimal("500.00")
    assert all(r.counted for r in rows)  # each item's month is a failure of its own


def test_the_cap_of_one_account_is_not_another_accounts(plans, admin, engineer):
    items = [
        item_create(created_by=admin, account=AccountFactory(plan=plans["advanced"]), name="Shop")
        for _ in range(2)
    ]
    for each in items:
        down(each, engineer, 20 * 60)

    assert [shortfall(i).credit_amount for i in items] == [Decimal("500.00")] * 2


def test_the_amount_follows_the_accounts_fee_and_currency(plans, admin, engineer):
    account = AccountFactory(plan=plans["advanced"], monthly_fee=Decimal("99999"), currency="JPY")
    each = item_create(created_by=admin, account=account, name="Shop")

    down(each, engineer, 45 + 4 * 60)  # 27.5% of 99,999 = 27,499.725 -> 27,500 yen

    assert shortfall(each).credit_amount == Decimal("27500")
    assert shortfall(each).currency == "JPY"


# --- the cap shared with response-time vouchers ------------------------------------------------------


def test_where_the_terms_share_the_months_cap_vouchers_leave_less_for_uptime(
    item, engineer, account, vouchers_reader
):
    vouchers_reader(fixed_vouchers)
    account.plan = set_uptime_terms(
        account.plan,
        credit_tiers=[{"up_to_hours": None, "percent_per_hour": "10"}],
        shares_voucher_cap=True,
    )
    # the month's cap: 400.00, vouchers used 350.00 (an edit through the plan service: a new version)
    account.plan = plan_update(plan=account.plan, monthly_cap_percent=Decimal("40"))

    down(item, engineer, 45 + 3 * 60)  # 4 hours: 40% = 400.00 requested

    row = shortfall(item)
    assert row.credit_amount_requested == Decimal("400.00")
    assert row.credit_amount == Decimal("50.00") and row.capped and row.shares_voucher_cap


def fixed_vouchers(*, account_id: int, month: str) -> Decimal:
    return Decimal("350.00")


def test_where_the_caps_are_separate_vouchers_do_not_touch_the_uptime_credit(item, engineer, vouchers_reader):
    vouchers_reader(fixed_vouchers)

    down(item, engineer, 45 + 3 * 60)

    assert shortfall(item).credit_amount == Decimal("200.00")  # seed 004: each cap is its own 50%


def test_the_shared_cap_counts_real_vouchers_issued_by_billing(
    item, engineer, account, customer, admin, vouchers_reader
):
    """As far as billing allows today: a real voucher, read by the reader billing is to provide."""
    from billing.services.claims import claim_approve, claim_open
    from sla.clocks.services.misses import misses_record_due
    from tests.factories import make_ticket

    vouchers_reader(vouchers_issued)
    account.plan = set_uptime_terms(
        account.plan,
        credit_tiers=[{"up_to_hours": None, "percent_per_hour": "10"}],
        shares_voucher_cap=True,
    )
    account.plan = plan_update(plan=account.plan, monthly_cap_percent=Decimal("20"))  # 200.00 a month, in all
    ticket = make_ticket(customer=customer, priority="high", now=MARCH)
    misses_record_due(now=MARCH + 2 * H)
    claim = claim_open(miss=ticket.misses.get(), created_by=customer)
    claim_approve(claim=claim, actor=admin)  # a 5% voucher: 50.00

    down(item, engineer, 45 + 3 * 60)  # 40% requested; 150.00 of the month's cap is left

    assert vouchers_issued(account_id=account.pk, month="2026-03") == Decimal("50.00")
    assert shortfall(item).credit_amount == Decimal("150.00")


# --- exclusions -----------------------------------------------------------------------------------


def test_agreed_maintenance_takes_its_minutes_out_of_the_month(item, engineer, account):
    with time_machine.travel(MARCH - 2 * H, tick=False):
        maintenance_schedule(
            created_by=engineer,
            account=account,
            item=item,
            kind="scheduled",
            starts_at=MARCH,
            ends_at=MARCH + H,
            now=MARCH - 2 * H,
        )

    down(item, engineer, 60 + 44)  # the first hour was the agreed maintenance

    assert not UptimeShortfall.objects.exists()
    report = selectors.item_month(item=item, month="2026-03", now=NOW)
    assert (report.downtime_minutes, report.excluded_minutes) == (44, 60)
    assert report.permitted_minutes == Decimal("44.58")  # 0.1% of the 44,580 counted minutes


def test_an_emergency_window_after_the_fact_excludes_the_downtime_it_covers(item, engineer, admin, account):
    down(item, engineer, 3 * 60)
    assert shortfall(item).active

    window = maintenance_schedule(
        created_by=admin,
        account=account,
        kind="emergency",
        starts_at=MARCH,
        ends_at=MARCH + 3 * H,
        note="Kernel patch",
        now=NOW,
    )

    assert window.exclusion_period.kind == "emergency_maintenance"
    assert window.exclusion_period.account_id == account.pk
    row = shortfall(item)
    assert not row.active and not row.counted and row.credit_amount == 0


# --- the month ends ----------------------------------------------------------------------------------


def test_a_shortfall_is_provisional_until_the_month_ends_then_claimable(item, engineer):
    down(item, engineer, 2 * 60)
    assert not shortfall(item).claimable

    with time_machine.travel(APRIL, tick=False):
        uptime_month_assess(month="2026-03")

    row = shortfall(item)
    assert row.final and row.claimable


def test_downtime_across_the_month_boundary_counts_in_each_month(item, engineer):
    with time_machine.travel(APRIL, tick=False):
        downtime_record(
            item=item,
            actor=engineer,
            starts_at=dt.datetime(2026, 3, 31, 23, 0, tzinfo=dt.UTC),
            ends_at=dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC),
            now=APRIL,
        )

    assert shortfall(item, "2026-03").downtime_minutes == 60
    assert shortfall(item, "2026-04").downtime_minutes == 60  # April: 43,200 minutes, 43.2 permitted
    assert shortfall(item, "2026-03").final and not shortfall(item, "2026-04").final


def test_assessing_twice_changes_nothing(item, engineer):
    down(item, engineer, 2 * 60)
    before = list(UptimeShortfall.objects.values())

    summary = uptime_month_assess(month="2026-03", now=NOW)

    assert (summary.created, summary.updated) == (0, 0)
    assert list(UptimeShortfall.objects.values()) == before


def test_an_open_downtime_becomes_a_shortfall_at_the_hourly_assessment(item, engineer):
    downtime_record(item=item, actor=engineer, starts_at=NOW - 2 * H, now=NOW)

    later = NOW + 3 * H
    uptime_month_assess(month="2026-03", now=later)

    assert shortfall(item).downtime_minutes == 5 * 60


# --- termination -----------------------------------------------------------------------------------


def test_a_shortfall_counts_toward_termination_and_stops_when_voided(
    item, engineer, account, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record = down(item, engineer, 2 * 60)
    assert heard == [(account.pk, "2026-03")]
    assert selectors.counted_shortfalls(account_id=account.pk, month="2026-03") == 1

    with django_capture_on_commit_callbacks(execute=True):
        downtime_void(downtime=record, actor=engineer, reason="Our monitoring, not their service", now=NOW)

    assert heard == [(account.pk, "2026-03")] * 2
    assert selectors.counted_shortfalls(account_id=account.pk, month="2026-03") == 0
    assert not shortfall(item).active


def test_a_correction_that_keeps_the_shortfall_does_not_tell_billing_again(
    item, engineer, heard, django_capture_on_commit_callbacks
):
    record = down(item, engineer, 2 * 60)
    heard.clear()

    with django_capture_on_commit_callbacks(execute=True):
        downtime_correct(
            downtime=record, actor=engineer, reason="It lasted longer", ends_at=MARCH + 5 * H, now=NOW
        )

    assert heard == []
    assert shortfall(item).credit_percent == Decimal("27.5")


def test_where_the_terms_say_so_a_shortfall_does_not_count(item, engineer, account, heard):
    account.plan = set_uptime_terms(
        account.plan,
        credit_tiers=[{"up_to_hours": None, "percent_per_hour": "5"}],
        counts_toward_termination=False,
    )

    down(item, engineer, 2 * 60)

    row = shortfall(item)
    assert row.active and not row.counted
    assert heard == []


def test_five_misses_and_one_shortfall_are_six_failures_past_seed_004s_threshold(
    item, engineer, customer, account
):
    from sla.clocks.services.misses import misses_record_due
    from tests.factories import make_ticket

    for n in range(5):
        make_ticket(customer=customer, priority="high", now=MARCH + n * MIN)
    misses_record_due(now=MARCH + 2 * H)
    down(item, engineer, 2 * 60)

    failures = selectors.counted_failures(account_id=account.pk, month="2026-03")

    assert failures == 6 > account.plan.termination_threshold == 5
    assert selectors.counted_shortfalls_by_account(month="2026-03") == {account.pk: 1}


@pytest.fixture
def customer(account):
    return CustomerFactory(account=account)
