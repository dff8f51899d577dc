"""billing.money: the response_penalty term, per miss or by started hours late, priced within the cap."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing import money

PROPERTY = settings(max_examples=200, deadline=None, database=None)
HOUR = 3600

PER_MISS = {"basis": "per_miss", "percent": "5.00"}
HOURS_LATE = {
    "basis": "hours_late",
    "tiers": [
        {"up_to_hours": 4, "percent_per_hour": "2.50"},
        {"up_to_hours": None, "percent_per_hour": "5.00"},
    ],
}


@pytest.mark.parametrize(
    ("lateness", "hours"),
    [(0, 0), (1, 1), (HOUR - 1, 1), (HOUR, 1), (HOUR + 1, 2), (6 * HOUR, 6), (HOUR * 10**36 + 1, 10**36 + 1)],
)
def test_every_started_hour_late_counts_whole(lateness, hours):
    assert money.started_hours_late(lateness) == hours


@pytest.mark.parametrize("lateness", [0, 1, HOUR, 100 * HOUR, 10**40])
def test_per_miss_is_its_percent_whatever_the_lateness(lateness):
    assert money.response_penalty_percent(PER_MISS, lateness_seconds=lateness) == Decimal("5.00")


@pytest.mark.parametrize(
    ("lateness", "percent"),
    [
        (0, "0.00"),
        (1, "2.50"),
        (HOUR, "2.50"),
        (HOUR + 1, "5.00"),
        (4 * HOUR, "10.00"),
        (4 * HOUR + 1, "15.00"),
        (5 * HOUR + 1, "20.00"),
        (6 * HOUR, "20.00"),
        (22 * HOUR, "100.00"),
        (23 * HOUR, "100.00"),
        (10**40, "100.00"),
    ],
)
def test_hours_late_tiers_are_marginal_over_started_hours_and_stop_at_the_whole_fee(lateness, percent):
    result = money.response_penalty_percent(HOURS_LATE, lateness_seconds=lateness)

    assert result == Decimal(percent)
    assert str(result) == percent


@pytest.mark.parametrize("lateness", [-1, 1.5, True, "3600", None])
def test_lateness_must_be_whole_non_negative_seconds(lateness):
    with pytest.raises((TypeError, ValueError)):
        money.response_penalty_percent(HOURS_LATE, lateness_seconds=lateness)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ({"basis": "per_miss", "percent": 5}, PER_MISS),
        ({"basis": "per_miss", "percent": Decimal("5")}, PER_MISS),
        ({"basis": "per_miss", "percent": "0"}, {"basis": "per_miss", "percent": "0.00"}),
        ({"basis": "per_miss", "percent": "100"}, {"basis": "per_miss", "percent": "100.00"}),
        (
            {
                "basis": "hours_late",
                "tiers": [
                    {"up_to_hours": 4, "percent_per_hour": "2.5"},
                    {"up_to_hours": None, "percent_per_hour": 5},
                ],
            },
            HOURS_LATE,
        ),
        (
            {"basis": "hours_late", "tiers": [{"up_to_hours": None, "percent_per_hour": "1"}]},
            {"basis": "hours_late", "tiers": [{"up_to_hours": None, "percent_per_hour": "1.00"}]},
        ),
    ],
)
def test_a_good_penalty_comes_back_in_canonical_form(raw, clean):
    assert money.clean_response_penalty(raw) == clean
    assert money.clean_response_penalty(clean) == clean


def tiers(*pairs):
    return {"basis": "hours_late", "tiers": [{"up_to_hours": h, "percent_per_hour": p} for h, p in pairs]}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, "basis"),
        ("per_miss", "basis"),
        ({}, "basis must be"),
        ({"basis": "per_day", "percent": "5"}, "basis must be"),
        ({"basis": "per_miss"}, "percent: give a decimal"),
        ({"basis": "per_miss", "percent": "5", "tiers": []}, "unknown key"),
        ({"basis": "per_miss", "percent": 5.0}, "not 5.0"),
        ({"basis": "per_miss", "percent": True}, "give a decimal"),
        ({"basis": "per_miss", "percent": "five"}, "not a decimal"),
        ({"basis": "per_miss", "percent": "NaN"}, "from 0 to 100"),
        ({"basis": "per_miss", "percent": "Infinity"}, "from 0 to 100"),
        ({"basis": "per_miss", "percent": "-0.01"}, "from 0 to 100"),
        ({"basis": "per_miss", "percent": "100.01"}, "from 0 to 100"),
        ({"basis": "per_miss", "percent": "1E+999999999"}, "from 0 to 100"),
        ({"basis": "per_miss", "percent": "1E-999999999"}, "two decimal places"),
        ({"basis": "per_miss", "percent": "2.505"}, "two decimal places"),
        ({"basis": "per_miss", "percent": "9" * 100}, "too long"),
        ({"basis": "hours_late"}, "tiers: give a list"),
        ({"basis": "hours_late", "tiers": []}, "tiers: give a list"),
        ({"basis": "hours_late", "tiers": "2.50"}, "tiers: give a list"),
        (tiers(*[(h, "1") for h in range(1, 21)], (None, "1")), "at most 20"),
        ({"basis": "hours_late", "tiers": [["4", "2.50"]]}, "tier 1: give an object"),
        ({"basis": "hours_late", "tiers": [{"up_to_hours": None}]}, "tier 1: give both"),
        (
            {"basis": "hours_late", "tiers": [{"up_to_hours": None, "percent_per_hour": "1", "x": 1}]},
            "unknown key",
        ),
        (tiers((4, "2.50")), "last tier must be open-ended"),
        (tiers((4, "2.50"), (8, "5.00")), "tier 2: the last tier must be open-ended"),
        (tiers((None, "2.50"), (None, "5.00")), "tier 1: only the last"),
        (
            tiers((4, "2.50"), (4, "3.00"), (None, "5.00")),
            "tier 2: up_to_hours must be a whole number above 4",
        ),
        (tiers((8, "2.50"), (4, "3.00"), (None, "5.00")), "tiers ascend"),
        (tiers((0, "2.50"), (None, "5.00")), "above 0"),
        (tiers((-4, "2.50"), (None, "5.00")), "above 0"),
        (tiers(("4", "2.50"), (None, "5.00")), "whole number"),
        (tiers((4.0, "2.50"), (None, "5.00")), "whole number"),
        (tiers((True, "2.50"), (None, "5.00")), "whole number"),
        (tiers((10**12, "2.50"), (None, "5.00")), "at most 8784"),
        (tiers((4, "-2.50"), (None, "5.00")), "tier 1 percent_per_hour: must be from 0 to 100"),
        (tiers((4, "2.50"), (None, "500")), "tier 2 percent_per_hour: must be from 0 to 100"),
        (tiers((4, 2.5), (None, "5.00")), "tier 1 percent_per_hour: give a decimal"),
    ],
)
def test_a_bad_penalty_is_refused_naming_what_is_wrong(raw, message):
    with pytest.raises(ValueError, match=message):
        money.clean_response_penalty(raw)
    with pytest.raises(ValueError, match=message):
        money.response_penalty_percent(raw, lateness_seconds=HOUR)


def test_a_penalty_voucher_is_its_percent_of_the_fee():
    voucher = money.response_penalty_voucher(
        HOURS_LATE, lateness_seconds=6 * HOUR, fee="1000.00", cap_percent=50, issued=0, currency="USD"
    )

    assert voucher == money.VoucherAmount(amount=Decimal("200.00"), requested=Decimal("200.00"), capped=False)


def test_a_penalty_voucher_gets_what_the_cap_has_left_and_says_so():
    voucher = money.response_penalty_voucher(
        HOURS_LATE, lateness_seconds=6 * HOUR, fee="1000.00", cap_percent=50, issued="400.00", currency="USD"
    )

    assert voucher == money.VoucherAmount(amount=Decimal("100.00"), requested=Decimal("200.00"), capped=True)


def test_a_penalty_voucher_rounds_half_up_to_the_minor_unit():
    # 2.50% of 999 JPY is 24.975: 25 yen.
    voucher = money.response_penalty_voucher(
        HOURS_LATE, lateness_seconds=1, fee=999, cap_percent=50, issued=0, currency="JPY"
    )

    assert voucher.amount == Decimal("25")


# Properties.

percents = st.decimals(min_value=0, max_value=100, places=2)
fees = st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2)
currencies = st.sampled_from(["USD", "EUR", "JPY", "KWD"])
latenesses = st.integers(min_value=0, max_value=10 * 366 * 24 * HOUR)


@st.composite
def penalties(draw):
    if draw(st.booleans()):
        return {"basis": "per_miss", "percent": str(draw(percents))}
    bounds = sorted(draw(st.sets(st.integers(min_value=1, max_value=money.MAX_TIER_HOURS), max_size=5)))
    return {
        "basis": "hours_late",
        "tiers": [{"up_to_hours": b, "percent_per_hour": str(draw(percents))} for b in [*bounds, None]],
    }


@PROPERTY
@given(penalties(), latenesses, latenesses)
def test_more_lateness_never_earns_less(penalty, first, second):
    low, high = sorted((first, second))

    assert money.response_penalty_percent(penalty, lateness_seconds=low) <= money.response_penalty_percent(
        penalty, lateness_seconds=high
    )
    assert Decimal(0) <= money.response_penalty_percent(penalty, lateness_seconds=high) <= Decimal(100)


@PROPERTY
@given(percents, latenesses)
def test_per_miss_ignores_lateness(percent, lateness):
    penalty = {"basis": "per_miss", "percent": str(percent)}

    assert money.response_penalty_percent(penalty, lateness_seconds=lateness) == percent


@PROPERTY
@given(penalties(), latenesses, fees, percents, fees, currencies)
def test_a_voucher_never_exceeds_its_tier_price_and_more_lateness_never_pays_less(
    penalty, lateness, fee, cap_percent, issued, currency
):
    percent = money.response_penalty_percent(penalty, lateness_seconds=lateness)
    arguments = {"fee": fee, "cap_percent": cap_percent, "issued": issued, "currency": currency}

    voucher = money.response_penalty_voucher(penalty, lateness_seconds=lateness, **arguments)
    later = money.response_penalty_voucher(penalty, lateness_seconds=lateness + HOUR, **arguments)

    assert voucher.requested == money.percent_of(fee, percent, currency)
    assert Decimal(0) <= voucher.amount <= voucher.requested
    assert voucher.capped == (voucher.amount < voucher.requested)
    assert later.amount >= voucher.amount


@PROPERTY
@given(penalties(), st.lists(latenesses, max_size=30), fees, percents, currencies)
def test_a_months_penalty_vouchers_never_pass_the_cap(penalty, misses, fee, cap_percent, currency):
    cap = money.monthly_cap(fee=fee, cap_percent=cap_percent, currency=currency)
    issued = Decimal(0)
    for lateness in misses:
        voucher = money.response_penalty_voucher(
            penalty,
            lateness_seconds=lateness,
            fee=fee,
            cap_percent=cap_percent,
            issued=issued,
            currency=currency,
        )
        issued += voucher.amount
        assert voucher.amount == money.quantize(voucher.amount, currency)

    assert issued <= cap
