"""Money arithmetic of compensation and invoices. Pure: plain Decimal values in, no ORM, no clock.

Every amount is rounded in one place, `quantize`, half-up to the currency's minor unit.
Floats are refused: a float has already lost the cent it was meant to carry.

A plan's `response_penalty` says what percent of the month's fee one missed response earns:
`{"basis": "per_miss", "percent": "5.00"}` whatever the lateness, or `{"basis": "hours_late",
"tiers": [{"up_to_hours": 4, "percent_per_hour": "2.50"}, {"up_to_hours": null,
"percent_per_hour": "5.00"}]}`: every *started* hour late earns its tier's rate, tiers being
marginal like tax bands (hours 1-4 at 2.50, every hour after at 5.00: 6 hours earn 20.00). One
miss never earns more than 100% of the fee; the month's cap then cuts it as any voucher.
"""

import dataclasses
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

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


# --- response penalties ---------------------------------------------------------------------------

PENALTY_BASES = ("per_miss", "hours_late")
PERCENT_QUANTUM = Decimal("0.01")
MAX_PENALTY_TIERS = 20
# A year of hours: a tier bound beyond it is a typo, not a contract.
MAX_TIER_HOURS = 366 * 24
_MAX_PERCENT_TEXT = 32
SECONDS_PER_HOUR = 3600


def clean_response_penalty(value) -> dict:
    """The plan term `response_penalty` checked, in canonical form (percents as "0.00" strings).

    Raises ValueError naming what is wrong: an unknown basis or key, a percent that is not a
    decimal from 0 to 100 with at most two places, tiers whose bounds do not rise, or a last tier
    that is not open-ended (`"up_to_hours": null`).
    """
    if not isinstance(value, dict):
        raise ValueError('response_penalty: give an object with a "basis".')
    basis = value.get("basis")
    if basis == "per_miss":
        _only_keys(value, {"basis", "percent"}, "response_penalty")
        return {"basis": "per_miss", "percent": str(_penalty_percent(value.get("percent"), "percent"))}
    if basis == "hours_late":
        _only_keys(value, {"basis", "tiers"}, "response_penalty")
        return {"basis": "hours_late", "tiers": _penalty_tiers(value.get("tiers"))}
    raise ValueError(f'response_penalty: basis must be "per_miss" or "hours_late", not {basis!r}.')


def started_hours_late(lateness_seconds: int) -> int:
    """Every hour begun counts whole: 0 s late is 0 hours, 1 s late is 1, 3,601 s late is 2."""
    if isinstance(lateness_seconds, bool) or not isinstance(lateness_seconds, int):
        raise TypeError(f"lateness_seconds must be a whole number of seconds, not {lateness_seconds!r}")
    if lateness_seconds < 0:
        raise ValueError(f"lateness_seconds must not be negative, got {lateness_seconds}")
    return -(-lateness_seconds // SECONDS_PER_HOUR)


def response_penalty_percent(penalty: dict, *, lateness_seconds: int) -> Decimal:
    """The percent of the month's fee one miss earns under `penalty`, at most 100.00."""
    penalty = clean_response_penalty(penalty)
    hours = started_hours_late(lateness_seconds)
    if penalty["basis"] == "per_miss":
        return Decimal(penalty["percent"])
    earned, counted = ZERO, 0
    for tier in penalty["tiers"]:
        if counted >= hours or earned >= HUNDRED:
            break
        bound = hours if tier["up_to_hours"] is None else min(hours, tier["up_to_hours"])
        if bound > counted:
            earned += Decimal(tier["percent_per_hour"]) * (bound - counted)
            counted = bound
    return min(earned, HUNDRED).quantize(PERCENT_QUANTUM)


def response_penalty_voucher(
    penalty: dict, *, lateness_seconds: int, fee, cap_percent, issued, currency: str
) -> VoucherAmount:
    """One miss's voucher on the plan's penalty scale, cut to what the month's cap has left."""
    return voucher_amount(
        fee=fee,
        voucher_percent=response_penalty_percent(penalty, lateness_seconds=lateness_seconds),
        cap_percent=cap_percent,
        issued=issued,
        currency=currency,
    )


def _only_keys(value: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(str(key) for key in set(value) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; give {', '.join(sorted(allowed))}.")


def _penalty_percent(value, field: str) -> Decimal:
    if isinstance(value, float | bool) or not isinstance(value, Decimal | int | str):
        raise ValueError(f'{field}: give a decimal number as a string, e.g. "5.00", not {value!r}.')
    if isinstance(value, str) and len(value) > _MAX_PERCENT_TEXT:
        raise ValueError(f"{field}: too long to be a percent.")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{field}: {value!r} is not a decimal number.") from None
    if not number.is_finite() or not ZERO <= number <= HUNDRED:
        raise ValueError(f"{field}: must be from 0 to 100, not {value!r}.")
    if number != number.quantize(PERCENT_QUANTUM):
        raise ValueError(f"{field}: at most two decimal places, not {value!r}.")
    return number.quantize(PERCENT_QUANTUM)


def _penalty_tiers(raw) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        raise ValueError("tiers: give a list of at least one {up_to_hours, percent_per_hour}.")
    if len(raw) > MAX_PENALTY_TIERS:
        raise ValueError(f"tiers: at most {MAX_PENALTY_TIERS}.")
    tiers, previous = [], 0
    for position, tier in enumerate(raw, start=1):
        where = f"tier {position}"
        if not isinstance(tier, dict):
            raise ValueError(f"{where}: give an object with up_to_hours and percent_per_hour.")
        _only_keys(tier, {"up_to_hours", "percent_per_hour"}, where)
        if "up_to_hours" not in tier or "percent_per_hour" not in tier:
            raise ValueError(f"{where}: give both up_to_hours and percent_per_hour.")
        bound = tier["up_to_hours"]
        last = position == len(raw)
        if bound is None:
            if not last:
                raise ValueError(f"{where}: only the last tier may be open-ended (up_to_hours null).")
        elif last:
            raise ValueError(f"{where}: the last tier must be open-ended (up_to_hours null).")
        elif isinstance(bound, bool) or not isinstance(bound, int) or not previous < bound <= MAX_TIER_HOURS:
            raise ValueError(
                f"{where}: up_to_hours must be a whole number above {previous} and at most {MAX_TIER_HOURS}"
                " (tiers ascend)."
            )
        else:
            previous = bound
        rate = _penalty_percent(tier["percent_per_hour"], f"{where} percent_per_hour")
        tiers.append({"up_to_hours": bound, "percent_per_hour": str(rate)})
    return tiers


# --- automatic compensation -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class MonthAutomatic:
    misses: list[VoucherAmount]
    uptime: list[VoucherAmount]


def automatic_month_vouchers(
    *,
    penalty: dict,
    lateness_seconds: Sequence[int],
    uptime_percents: Sequence[Decimal],
    fee,
    currency: str,
    month_cap_percent,
    uptime_cap_percent,
    shares_voucher_cap: bool,
    issued_misses=ZERO,
    issued_uptime=ZERO,
) -> MonthAutomatic:
    """The vouchers a closing month issues with no claim: one per counted miss, then one per shortfall.

    Misses are priced on the penalty scale in the order given, each cut to what the month's cap
    has left (`issued_misses`, plus `issued_uptime` where the cap is shared, already used it);
    shortfalls earn their requested percent within the uptime cap and, where shared, what the
    month's cap still has left after the misses.
    """
    fee = _decimal(fee)
    used_misses, used_uptime = _decimal(issued_misses), _decimal(issued_uptime)
    misses = []
    for lateness in lateness_seconds:
        used_by_cap = used_misses + (used_uptime if shares_voucher_cap else ZERO)
        voucher = response_penalty_voucher(
            penalty,
            lateness_seconds=lateness,
            fee=fee,
            cap_percent=month_cap_percent,
            issued=used_by_cap,
            currency=currency,
        )
        misses.append(voucher)
        used_misses += voucher.amount
    uptime_cap = percent_of(fee, uptime_cap_percent, currency)
    month_cap = monthly_cap(fee=fee, cap_percent=month_cap_percent, currency=currency)
    uptime = []
    for percent in uptime_percents:
        requested = percent_of(fee, min(_decimal(percent), HUNDRED), currency)
        month_left = month_cap - used_misses - used_uptime if shares_voucher_cap else None
        amount, capped = credit_within_caps(
            requested=requested,
            uptime_cap_left=uptime_cap - used_uptime,
            month_cap_left=month_left,
            currency=currency,
        )
        uptime.append(VoucherAmount(amount=amount, requested=requested, capped=capped))
        used_uptime += amount
    return MonthAutomatic(misses=misses, uptime=uptime)
