"""Money arithmetic of compensation and invoices. Pure: plain Decimal values in, no ORM, no clock.

Every amount is rounded in one place, `quantize`, half-up to the currency's minor unit.
Floats are refused: a float has already lost the cent it was meant to carry.
"""

import dataclasses
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 minor units that are not 2 (the default for every other code).
MINOR_UNITS: dict[str, int] = {
    # three decimals
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
    # no decimals
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
}
DEFAULT_MINOR_UNITS = 2
ZERO = Decimal(0)
HUNDRED = Decimal(100)


def minor_units(currency: str) -> int:
    return MINOR_UNITS.get(currency, DEFAULT_MINOR_UNITS)


def quantum(currency: str) -> Decimal:
    """The smallest amount of the currency: 0.01 USD, 1 JPY, 0.001 KWD."""
    return Decimal(1).scaleb(-minor_units(currency))


def _decimal(value) -> Decimal:
    if isinstance(value, float):
        raise TypeError("Money is Decimal, never float.")
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"Not an amount: {value!r}")
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"Not a finite amount: {value}")
    return value


def quantize(amount, currency: str) -> Decimal:
    """The amount rounded half-up to the currency's minor unit: the one rounding rule of Pledge."""
    return _decimal(amount).quantize(quantum(currency), rounding=ROUND_HALF_UP)


def format_amount(amount, currency: str) -> str:
    """The API's money string: "1000.00" USD, "1000" JPY, "1.250" KWD."""
    return str(quantize(amount, currency))


def percent_of(amount, percent, currency: str) -> Decimal:
    return quantize(_decimal(amount) * _decimal(percent) / HUNDRED, currency)


def monthly_cap(*, fee, cap_percent, currency: str) -> Decimal:
    """The most a month's vouchers may add up to: cap_percent of that month's fee."""
    return percent_of(fee, cap_percent, currency)


@dataclasses.dataclass(frozen=True)
class VoucherAmount:
    amount: Decimal
    requested: Decimal
    capped: bool


def voucher_amount(*, fee, voucher_percent, cap_percent, issued, currency: str) -> VoucherAmount:
    """One miss's voucher: voucher_percent of the month's fee, cut so the month stays within its cap.

    `issued` is what the month's vouchers already add up to. At the cap the remainder is
    given, possibly zero, and the voucher says it was capped.
    """
    fee, issued = _decimal(fee), _decimal(issued)
    if fee < 0 or issued < 0:
        raise ValueError("A fee and the vouchers issued are never negative.")
    requested = percent_of(fee, voucher_percent, currency)
    remaining = max(ZERO, monthly_cap(fee=fee, cap_percent=cap_percent, currency=currency) - issued)
    amount = quantize(min(requested, remaining), currency)
    return VoucherAmount(amount=amount, requested=requested, capped=amount < requested)


@dataclasses.dataclass(frozen=True)
class InvoiceTotals:
    subscription: Decimal
    voucher_credits: Decimal
    carried_in: Decimal
    credit_applied: Decimal
    total: Decimal
    carried_out: Decimal


def invoice_totals(*, fee, voucher_credits: Iterable, carried_in, currency: str) -> InvoiceTotals:
    """What an invoice charges: the fee less the credit available, never below zero.

    The credit available is every voucher credited on this invoice plus what the previous
    invoice carried forward; what the fee does not absorb carries to the next invoice, so
    credit_applied + carried_out == voucher_credits + carried_in, always.
    """
    subscription = quantize(fee, currency)
    credits = quantize(sum((quantize(v, currency) for v in voucher_credits), ZERO), currency)
    carried_in = quantize(carried_in, currency)
    if subscription < 0 or credits < 0 or carried_in < 0:
        raise ValueError("Fees, vouchers and carried credit are never negative.")
    available = credits + carried_in
    applied = min(subscription, available)
    return InvoiceTotals(
        subscription=subscription,
        voucher_credits=credits,
        carried_in=carried_in,
        credit_applied=applied,
        total=subscription - applied,
        carried_out=available - applied,
    )


# --- uptime credits ---------------------------------------------------------------------------------
# sla measures how far below its guarantee an item's month fell and what percent of the fee its
# contract's tiers earn; these turn those percents into money.


def allocate_cap(requested: Sequence[Decimal], cap: Decimal) -> list[Decimal]:
    """Give each request (in order) what the cap still has left: the month's items share one cap."""
    left = max(ZERO, cap)
    granted = []
    for amount in requested:
        given = min(max(ZERO, amount), left)
        granted.append(given)
        left -= given
    return granted


@dataclasses.dataclass(frozen=True)
class Credit:
    percent_requested: Decimal
    percent: Decimal
    amount_requested: Decimal
    amount: Decimal

    @property
    def capped(self) -> bool:
        return self.amount < self.amount_requested


def month_credits(
    *,
    requested_percents: Sequence[Decimal],
    fee,
    currency: str,
    cap_percent,
    shared_cap_left=None,
) -> list[Credit]:
    """The credits of one account's month, one per item below guarantee, in the order given.

    Their percents share `cap_percent`; with `shared_cap_left` (what response-time vouchers
    left of the month's own cap, as an amount), the amounts also share that.
    """
    percents = allocate_cap([_decimal(p) for p in requested_percents], _decimal(cap_percent))
    amounts = [percent_of(fee, p, currency) for p in percents]
    if shared_cap_left is not None:
        amounts = allocate_cap(amounts, quantize(shared_cap_left, currency))
    return [
        Credit(
            percent_requested=requested,
            percent=granted,
            amount_requested=percent_of(fee, min(requested, HUNDRED), currency),
            amount=amount,
        )
        for requested, granted, amount in zip(requested_percents, percents, amounts, strict=True)
    ]


def credit_within_caps(*, requested, uptime_cap_left, month_cap_left, currency: str) -> tuple[Decimal, bool]:
    """What a voucher for an uptime credit may be when it is issued, and whether it was cut.

    `uptime_cap_left` is the uptime cap less the uptime vouchers of the month already issued;
    `month_cap_left` (when the plan shares the cap, else None) the month's cap less every
    voucher of the month.
    """
    limit = max(ZERO, _decimal(uptime_cap_left))
    if month_cap_left is not None:
        limit = min(limit, max(ZERO, _decimal(month_cap_left)))
    requested = quantize(requested, currency)
    amount = quantize(min(requested, limit), currency)
    return amount, amount < requested
