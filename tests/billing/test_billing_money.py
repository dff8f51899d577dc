"""billing.money: half-up rounding to the minor unit, the monthly cap, invoice totals and carry-forward."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing import money

CURRENCIES = ["USD", "EUR", "GBP", "JPY", "KWD", "BHD", "XYZ"]
fees = st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2)
percents = st.decimals(min_value=0, max_value=100, places=2)
currencies = st.sampled_from(CURRENCIES)
amounts = st.decimals(min_value=0, max_value=Decimal("100000"), places=3)


@pytest.mark.parametrize(
    ("currency", "units", "smallest"),
    [("USD", 2, "0.01"), ("JPY", 0, "1"), ("KWD", 3, "0.001"), ("BHD", 3, "0.001"), ("ABC", 2, "0.01")],
)
def test_minor_units_come_from_the_table_and_unknown_codes_are_two(currency, units, smallest):
    assert money.minor_units(currency) == units
    assert money.quantum(currency) == Decimal(smallest)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("2.345", "USD", "2.35"),
        ("2.344", "USD", "2.34"),
        ("-2.345", "USD", "-2.35"),
        ("0.5", "JPY", "1"),
        ("1.5", "JPY", "2"),
        ("2.5", "JPY", "3"),
        ("1.0005", "KWD", "1.001"),
    ],
)
def test_quantize_rounds_half_up_never_to_even(amount, currency, expected):
    assert money.quantize(Decimal(amount), currency) == Decimal(expected)
    assert str(money.quantize(Decimal(amount), currency)) == expected


def test_a_float_is_refused():
    with pytest.raises(TypeError):
        money.quantize(0.1, "USD")
    with pytest.raises(TypeError):
        money.voucher_amount(fee=1000.0, voucher_percent=5, cap_percent=100, issued=0, currency="USD")


def test_five_percent_of_the_fee_until_the_cap_then_the_remainder_then_zero():
    fee = Decimal("1000.00")
    issued, vouchers = Decimal(0), []
    for _ in range(22):
        voucher = money.voucher_amount(
            fee=fee, voucher_percent=5, cap_percent=100, issued=issued, currency="USD"
        )
        vouchers.append(voucher)
        issued += voucher.amount
    assert [v.amount for v in vouchers[:20]] == [Decimal("50.00")] * 20
    assert not any(v.capped for v in vouchers[:20])
    assert vouchers[20].amount == 0 and vouchers[20].capped and vouchers[20].requested == Decimal("50.00")
    assert issued == fee


def test_the_seed_004_cap_of_half_the_fee_gives_a_partial_remainder():
    voucher = money.voucher_amount(
        fee=Decimal("999.99"),
        voucher_percent=Decimal("7.00"),
        cap_percent=50,
        issued=Decimal("460.00"),
        currency="USD",
    )
    assert voucher.requested == Decimal("70.00")  # 69.9993 half-up
    assert voucher.amount == Decimal("40.00") and voucher.capped  # cap 500.00 (499.995 half-up)


@settings(max_examples=300, deadline=None)
@given(fee=fees, percent=percents, cap=percents, currency=currencies, claims=st.integers(1, 40))
def test_a_months_vouchers_never_exceed_its_cap(fee, percent, cap, currency, claims):
    issued = Decimal(0)
    for _ in range(claims):
        voucher = money.voucher_amount(
            fee=fee, voucher_percent=percent, cap_percent=cap, issued=issued, currency=currency
        )
        assert 0 <= voucher.amount <= voucher.requested
        assert voucher.amount == money.quantize(voucher.amount, currency)
        assert voucher.capped == (voucher.amount < voucher.requested)
        issued += voucher.amount
    assert issued <= money.monthly_cap(fee=fee, cap_percent=cap, currency=currency)


@settings(max_examples=300, deadline=None)
@given(amount=st.decimals(min_value=-(10**9), max_value=10**9, places=6), currency=currencies)
def test_rounding_is_half_up_to_the_minor_unit(amount, currency):
    rounded = money.quantize(amount, currency)
    step = money.quantum(currency)
    assert rounded.as_tuple().exponent == -money.minor_units(currency)
    assert abs(rounded - amount) <= step / 2
    if abs(rounded - amount) == step / 2:  # a tie goes away from zero
        assert abs(rounded) > abs(amount)


@settings(max_examples=300, deadline=None)
@given(fee=fees, credits=st.lists(amounts, max_size=30), carried=amounts, currency=currencies)
def test_totals_never_go_negative_and_credit_is_conserved(fee, credits, carried, currency):
    totals = money.invoice_totals(fee=fee, voucher_credits=credits, carried_in=carried, currency=currency)
    assert totals.total >= 0 and totals.carried_out >= 0 and totals.credit_applied >= 0
    assert totals.total == totals.subscription - totals.credit_applied
    assert totals.credit_applied + totals.carried_out == totals.voucher_credits + totals.carried_in
    assert totals.carried_out == 0 or totals.total == 0


@settings(max_examples=200, deadline=None)
@given(
    months=st.lists(st.tuples(fees, st.lists(amounts, max_size=8)), min_size=1, max_size=12),
    currency=currencies,
)
def test_carry_forward_conserves_money_over_many_invoices(months, currency):
    """Sum of credits applied on every invoice + what the last one carries = sum of every voucher."""
    carried, applied, vouchers = Decimal(0), Decimal(0), Decimal(0)
    for fee, credits in months:
        totals = money.invoice_totals(fee=fee, voucher_credits=credits, carried_in=carried, currency=currency)
        applied += totals.credit_applied
        vouchers += totals.voucher_credits
        carried = totals.carried_out
    assert applied + carried == vouchers


def test_money_strings_use_the_currencys_minor_unit():
    assert money.format_amount(Decimal("1000"), "USD") == "1000.00"
    assert money.format_amount(Decimal("1000.4"), "JPY") == "1000"
    assert money.format_amount(Decimal("1.25"), "KWD") == "1.250"
