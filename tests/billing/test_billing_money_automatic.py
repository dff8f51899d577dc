"""billing.money.automatic_month_vouchers: what a closing month pays with no claim, within both caps."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from billing import money

PROPERTY = settings(max_examples=200, deadline=None, database=None)
HOUR = 3600

SEED_004 = {
    "basis": "hours_late",
    "tiers": [
        {"up_to_hours": 4, "percent_per_hour": "2.50"},
        {"up_to_hours": None, "percent_per_hour": "5.00"},
    ],
}

tiers = st.lists(
    st.tuples(st.integers(1, 50), st.decimals(min_value=0, max_value=100, places=2)), min_size=1, max_size=5
).map(
    lambda rows: {
        "basis": "hours_late",
        "tiers": [
            {"up_to_hours": bound, "percent_per_hour": str(rate)}
            for bound, (_, rate) in zip(
                [sum(step for step, _ in rows[: i + 1]) for i in range(len(rows) - 1)] + [None],
                rows,
                strict=True,
            )
        ],
    }
)
penalties = st.one_of(
    st.just(SEED_004),
    st.decimals(min_value=0, max_value=100, places=2).map(lambda p: {"basis": "per_miss", "percent": str(p)}),
    tiers,
)
fees = st.decimals(min_value=0, max_value=10**9, places=2)
percents = st.decimals(min_value=0, max_value=100, places=2)
latenesses = st.lists(st.integers(0, 400 * HOUR), max_size=30)
uptime_requests = st.lists(st.decimals(min_value=0, max_value=300, places=4), max_size=10)


def close(penalty, lateness, uptime, fee, month_cap, uptime_cap, shares, **issued):
    return money.automatic_month_vouchers(
        penalty=penalty,
        lateness_seconds=lateness,
        uptime_percents=uptime,
        fee=fee,
        currency="USD",
        month_cap_percent=month_cap,
        uptime_cap_percent=uptime_cap,
        shares_voucher_cap=shares,
        **issued,
    )


@PROPERTY
@given(penalties, latenesses, uptime_requests, fees, percents, percents, st.booleans())
def test_a_voucher_is_never_above_its_tier_price(
    penalty, lateness, uptime, fee, month_cap, uptime_cap, shares
):
    result = close(penalty, lateness, uptime, fee, month_cap, uptime_cap, shares)

    for seconds, voucher in zip(lateness, result.misses, strict=True):
        price = money.percent_of(
            fee, money.response_penalty_percent(penalty, lateness_seconds=seconds), "USD"
        )
        assert Decimal(0) <= voucher.amount <= voucher.requested == price
    for voucher in result.uptime:
        assert Decimal(0) <= voucher.amount <= voucher.requested


@PROPERTY
@given(
    penalties,
    latenesses,
    uptime_requests,
    fees,
    percents,
    percents,
    st.booleans(),
    st.decimals(min_value=0, max_value=10**6, places=2),
)
def test_a_month_never_passes_either_cap(
    penalty, lateness, uptime, fee, month_cap, uptime_cap, shares, before
):
    # `before`: what claims already paid this month (of each kind) before it closed
    result = close(
        penalty,
        lateness,
        uptime,
        fee,
        month_cap,
        uptime_cap,
        shares,
        issued_misses=before,
        issued_uptime=before,
    )

    misses = sum((v.amount for v in result.misses), Decimal(0))
    uptime_paid = sum((v.amount for v in result.uptime), Decimal(0))
    month_limit = money.monthly_cap(fee=fee, cap_percent=month_cap, currency="USD")
    uptime_limit = money.percent_of(fee, uptime_cap, "USD")
    shared_before = before * 2 if shares else before
    assert misses + (uptime_paid if shares else 0) <= max(Decimal(0), month_limit - shared_before)
    assert uptime_paid <= max(Decimal(0), uptime_limit - before)


@PROPERTY
@given(penalties, st.integers(0, 400 * HOUR), st.integers(0, 400 * HOUR), fees, percents)
def test_a_later_lateness_never_pays_less(penalty, a, b, fee, month_cap):
    sooner, later = sorted((a, b))

    paid_sooner = close(penalty, [sooner], [], fee, month_cap, Decimal(50), False).misses[0].amount
    paid_later = close(penalty, [later], [], fee, month_cap, Decimal(50), False).misses[0].amount

    assert paid_later >= paid_sooner


def test_seed_004_pays_by_started_working_hours_up_to_half_the_fee():
    result = close(
        SEED_004, [9000, 6 * HOUR, 100 * HOUR], [], Decimal("1000.00"), Decimal(50), Decimal(50), False
    )

    assert [v.amount for v in result.misses] == [Decimal("75.00"), Decimal("200.00"), Decimal("225.00")]
    assert [v.capped for v in result.misses] == [False, False, True]


def test_a_shared_cap_leaves_uptime_what_the_misses_did_not_use():
    result = close(SEED_004, [6 * HOUR], [Decimal("40")], Decimal("1000.00"), Decimal(50), Decimal(50), True)

    assert result.misses[0].amount == Decimal("200.00")
    assert (result.uptime[0].amount, result.uptime[0].capped) == (Decimal("300.00"), True)
