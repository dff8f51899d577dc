"""How uptime's credits become money: told by the app that prices them, at start-up.

sla measures an item's month (minutes, uptime, started hours beyond the permitted downtime)
and the percent of the fee the contract's tiers earn. It never rounds money: billing registers
a pricing in BillingConfig.ready() that turns those percents into amounts with its one rounding
rule, within the caps (and, where the plan's terms share it, what the month's response-time
vouchers left of the voucher cap), and writes amounts in each currency's minor unit.
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured


class Credit(Protocol):
    percent_requested: Decimal
    percent: Decimal
    amount_requested: Decimal
    amount: Decimal


class Pricing(Protocol):
    def month_credits(
        self,
        *,
        account_id: int,
        month: str,
        requested_percents: Sequence[Decimal],
        fee: Decimal,
        currency: str,
        cap_percent: Decimal,
        shares_voucher_cap: bool,
        month_cap_percent: Decimal,
    ) -> list[Credit]: ...

    def format_amount(self, amount: Decimal, currency: str) -> str: ...


_pricing: list[Pricing] = []


def provide_pricing(pricing: Pricing | None) -> None:
    """Install the pricing uptime uses (None forgets it)."""
    _pricing.clear()
    if pricing is not None:
        _pricing.append(pricing)


def pricing() -> Pricing:
    if not _pricing:
        raise ImproperlyConfigured("Uptime credits need an app that prices them: install billing.")
    return _pricing[0]
