"""Subscription terms over time: a plan and fee from a month on, never rewriting a month already billed."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing import access
from billing.models import AccountMonth, Invoice, Subscription, Voucher
from billing.services.events import billing_event
from billing.services.months import (
    MONTH_TERM_FIELDS,
    month_label,
    shift_month,
    term_version,
    termination_reassess,
    terms_for,
)
from helpdesk.accounts.models import Account, User
from helpdesk.accounts.services.accounts import account_update, clean_currency, clean_fee, clean_plan
from helpdesk.kit import roles
from helpdesk.kit.errors import ValidationError
from helpdesk.kit.months import month_of
from helpdesk.kit.validation import clean_text
from sla.terms.models import Plan
from sla.terms.services.versions import plan_version_current

EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 1)


def _validate(*, starts_on, plan, monthly_fee, currency, note) -> dict:
    """The same rules for a fee, a currency and a plan as an account's own (accounts' services)."""
    errors: dict[str, list] = {}
    if not isinstance(starts_on, dt.date) or isinstance(starts_on, dt.datetime):
        errors.setdefault("starts_on", []).append("Give a date, YYYY-MM-DD.")
    elif starts_on.day != 1:
        errors.setdefault("starts_on", []).append("Terms start on the first day of a month.")
    elif not EARLIEST <= starts_on <= LATEST:
        errors.setdefault("starts_on", []).append("Out of range: from 2000-01-01 to 2100-12-01.")
    fields = {
        "plan": clean_plan(plan, errors),
        "monthly_fee": clean_fee(monthly_fee, errors),
        "currency": clean_currency(currency, errors),
        "note": clean_text(note, field="note", max_length=200, errors=errors, required=False),
    }
    if errors:
        raise ValidationError(errors)
    return fields


def subscription_validate(
    *, account: Account, starts_on, plan, monthly_fee, currency: str | None = None, note: str = ""
) -> dict:
    """The clean terms, or a ValidationError naming the field: bad values, a closed account, or a start
    in a billed month."""
    if not account.is_active:
        raise ValidationError(
            {"account": [f"{account.name} is closed (its subscription ended): it takes no new terms."]}
        )
    fields = _validate(
        starts_on=starts_on,
        plan=plan,
        monthly_fee=monthly_fee,
        currency=currency or account.currency,
        note=note,
    )
    month = starts_on.strftime("%Y-%m")
    billed = max(
        [
            m
            for m in (
                Invoice.objects.filter(account=account, month__gte=month)
                .order_by("-month")
                .values_list("month", flat=True)
                .first(),
                Voucher.objects.filter(account=account, month__gte=month)
                .order_by("-month")
                .values_list("month", flat=True)
                .first(),
            )
            if m
        ],
        default=None,
    )
    if billed is not None:
        raise ValidationError(
            {
                "starts_on": [
                    f"{month_label(billed)} is already billed (vouchers or an invoice): new terms may start "
                    f"from {month_label(shift_month(billed, 1))} on."
                ]
            }
        )
    return fields


@transaction.atomic
def subscription_change(
    *,
    account: Account,
    starts_on: dt.date,
    plan: Plan,
    monthly_fee: Decimal,
    currency: str | None = None,
    actor: User | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Subscription:
    """New terms from the month of `starts_on` on.

    Refused for a month whose money has moved (a voucher or an invoice): that month, and
    every month before it, keeps the terms it was billed on. Months already opened but
    untouched take the new terms; if the terms start by the current month, the account
    itself changes now too, so new tickets get the new plan's promise.
    """
    now = now or timezone.now()
    if actor is not None:
        roles.require(access.may_manage_subscriptions(actor), "Only billing admins change subscriptions.")
    account = Account.objects.select_for_update().get(pk=account.pk)
    fields = subscription_validate(
        account=account, starts_on=starts_on, plan=plan, monthly_fee=monthly_fee, currency=currency, note=note
    )
    month = starts_on.strftime("%Y-%m")
    # The term keeps the plan version in force now, when it is agreed (a renewal too).
    version = plan_version_current(plan=fields["plan"], now=now)
    subscription, _ = Subscription.objects.update_or_create(
        account=account,
        starts_on=starts_on,
        defaults={**fields, "plan_version": version, "created_by": actor},
    )
    opened = list(
        AccountMonth.objects.select_for_update().filter(account=account, month__gte=month).order_by("pk")
    )
    for row in opened:
        for name, value in terms_for(account=account, month=row.month).items():
            setattr(row, name, value)
        row.save(update_fields=MONTH_TERM_FIELDS)
    if month <= month_of(now):
        _apply(account=account, subscription=subscription)
    billing_event(
        code="subscription_changed",
        at=now,
        actor=actor,
        account_id=account.pk,
        month=month,
        plan=plan.code,
        plan_version=version.version,
        monthly_fee=str(fields["monthly_fee"]),
        currency=fields["currency"],
    )
    for row in opened:  # a new threshold may flag or clear an opened month
        transaction.on_commit(lambda m=row.month: termination_reassess(account_id=account.pk, month=m))
    return subscription


def _apply(*, account: Account, subscription: Subscription) -> None:
    """The account takes the term: its plan, fee and currency, and the plan version the term keeps
    (so its new tickets are promised what the term promises)."""
    version = term_version(subscription)
    current = (account.plan_id, account.plan_version_id, account.monthly_fee, account.currency)
    wanted = (subscription.plan_id, version.pk, subscription.monthly_fee, subscription.currency)
    if current != wanted:
        account_update(
            account=account,
            plan=subscription.plan,
            plan_version=version,
            monthly_fee=subscription.monthly_fee,
            currency=subscription.currency,
        )


def subscriptions_apply_due(*, now: dt.datetime | None = None) -> int:
    """Bring accounts onto the terms that start this month (a change made ahead of its month)."""
    this_month = dt.date.fromisoformat(f"{month_of(now or timezone.now())}-01")
    changed = 0
    for term in (
        Subscription.objects.filter(starts_on=this_month, account__is_active=True)
        .select_related("account", "plan", "plan_version")
        .order_by("account_id")
    ):
        account = term.account
        if (account.plan_id, account.plan_version_id, account.monthly_fee, account.currency) != (
            term.plan_id,
            term.plan_version_id,
            term.monthly_fee,
            term.currency,
        ):
            with transaction.atomic():
                _apply(account=account, subscription=term)
            changed += 1
    return changed
