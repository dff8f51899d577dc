"""Billing's history: one row per change, with a stable code, for whoever follows the money."""

import datetime as dt

from billing.models import BillingEvent, Claim, Invoice
from helpdesk.accounts.models import User


def billing_event(
    *,
    code: str,
    at: dt.datetime,
    actor: User | None = None,
    account_id: int | None = None,
    month: str = "",
    claim: Claim | None = None,
    invoice: Invoice | None = None,
    **data,
) -> BillingEvent:
    return BillingEvent.objects.create(
        code=code,
        at=at,
        actor=actor,
        account_id=account_id,
        month=month,
        claim=claim,
        invoice=invoice,
        data=data,
    )
