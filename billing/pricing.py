"""Billing's pricing of uptime credits, which sla.uptime asks for through sla.uptime.providers."""

from collections.abc import Callable, Sequence
from decimal import Decimal

from billing import money
from billing.selectors import response_time_vouchers_issued


class UptimePricing:
    """Percents of the fee into money, within the uptime cap and, where shared, the voucher cap.

    `vouchers_issued(account_id=, month=)` says what a month's response-time vouchers used of
    the voucher cap; by default billing's own record of them.
    """

    def __init__(self, vouchers_issued: Callable[..., Decimal] = response_time_vouchers_issued):
        self.vouchers_issued = vouchers_issued

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
    ) -> list[money.Credit]:
        shared_left = None
        if shares_voucher_cap:
            month_cap = money.percent_of(fee, month_cap_percent, currency)
            shared_left = month_cap - Decimal(self.vouchers_issued(account_id=account_id, month=month))
        return money.month_credits(
            requested_percents=requested_percents,
            fee=fee,
            currency=currency,
            cap_percent=cap_percent,
            shared_cap_left=shared_left,
        )

    def format_amount(self, amount: Decimal, currency: str) -> str:
        return money.format_amount(amount, currency)
