"""Uptime credits in money: percents of the fee within the caps, rounded by billing's one rule."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing import money
from sla.uptime import measure as uptime

DEFAULT_TIERS = uptime.parse_tiers(
    [
        {"up_to_hours": 4, "percent_per_hour": "5"},
        {"up_to_hours": 8, "percent_per_hour": "7.5"},
        {"up_to_hours": None, "percent_per_hour": "10"},
    ]
)
MARCH = uptime.month_span(2026, 3, "UTC")
guarantees = st.decimals(min_value=Decimal("90"), max_value=Decimal("100"), places=3)
minor_units = st.integers(min_value=-100_000, max_value=10**11)


def test_the_months_credits_share_the_50_percent_cap_in_item_order():
    credits = money.month_credits(
        requested_percents=[Decimal("30"), Decimal("30"), Decimal("10")],
        fee=Decimal("1000.00"),
        currency="USD",
        cap_percent=Decimal("50"),
    )

    assert [c.percent for c in credits] == [Decimal("30"), Decimal("20"), Decimal("0")]
    assert [c.amount for c in credits] == [Decimal("300.00"), Decimal("200.00"), Decimal("0.00")]
    assert [c.capped for c in credits] == [False, True, True]


def test_a_shared_cap_also_holds_the_credits_within_what_vouchers_left():
    credits = money.month_credits(
        requested_percents=[Decimal("20"), Decimal("20")],
        fee=Decimal("1000"),
        currency="USD",
        cap_percent=Decimal("50"),
        shared_cap_left=Decimal("250.00"),
    )

    assert [c.amount for c in credits] == [Decimal("200.00"), Decimal("50.00")]
    assert [c.capped for c in credits] == [False, True]


def test_money_rounds_half_up_to_the_currencys_minor_unit():
    assert money.percent_of(Decimal("999.99"), Decimal("7.5"), "USD") == Decimal("75.00")  # 74.99925
    assert money.percent_of(Decimal("1001"), Decimal("5"), "JPY") == Decimal("50")  # 50.05
    assert money.percent_of(Decimal("1.001"), Decimal("50"), "KWD") == Decimal("0.501")  # 0.5005
    with pytest.raises(TypeError):
        money.quantize(0.1, "USD")


def test_credit_within_caps_is_what_billing_gives_at_approval():
    amount, capped = money.credit_within_caps(
        requested=Decimal("200"),
        uptime_cap_left=Decimal("500"),
        month_cap_left=Decimal("120"),
        currency="USD",
    )
    assert (amount, capped) == (Decimal("120.00"), True)
    assert money.credit_within_caps(
        requested=Decimal("200"), uptime_cap_left=Decimal("500"), month_cap_left=None, currency="USD"
    ) == (Decimal("200.00"), False)
    assert money.credit_within_caps(
        requested=Decimal("200"), uptime_cap_left=Decimal("-5"), month_cap_left=None, currency="USD"
    ) == (Decimal("0.00"), True)


@settings(max_examples=200, deadline=None)
@given(
    minutes=st.lists(st.integers(0, 44_640), min_size=2, max_size=2).map(sorted),
    guarantee=guarantees,
    cap=st.decimals(min_value=0, max_value=100, places=2),
)
def test_the_credit_grows_with_downtime_and_never_passes_the_cap(minutes, guarantee, cap):
    def credit(down_minutes):
        report = uptime.month_uptime(
            span=MARCH, downtime=[(MARCH[0], MARCH[0] + down_minutes)], guarantee_percent=guarantee
        )
        requested = uptime.credit_percent(report.started_hours, DEFAULT_TIERS)
        return money.month_credits(
            requested_percents=[requested], fee=Decimal("1000"), currency="USD", cap_percent=cap
        )[0]

    less, more = credit(minutes[0]), credit(minutes[1])

    assert less.percent_requested <= more.percent_requested
    assert less.amount <= more.amount <= money.percent_of(Decimal("1000"), cap, "USD")


@given(
    requested=st.integers(min_value=0, max_value=10**11),
    uptime_left=minor_units,
    month_left=st.none() | minor_units,
    currency=st.sampled_from(["USD", "JPY", "KWD"]),
)
def test_an_uptime_voucher_never_passes_a_cap_nor_the_request(requested, uptime_left, month_left, currency):
    """Amounts as billing has them: whole minor units of the currency (caps and vouchers are rounded)."""
    unit = money.quantum(currency)
    requested, uptime_left = requested * unit, uptime_left * unit
    month_left = None if month_left is None else month_left * unit

    amount, capped = money.credit_within_caps(
        requested=requested, uptime_cap_left=uptime_left, month_cap_left=month_left, currency=currency
    )

    assert Decimal(0) <= amount <= requested and amount == amount.quantize(unit)
    limits = [requested, max(Decimal(0), uptime_left)]
    if month_left is not None:
        limits.append(max(Decimal(0), month_left))
    assert amount == min(limits)
    assert capped == (amount < requested)
