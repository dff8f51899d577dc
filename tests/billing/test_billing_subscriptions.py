"""Subscription terms over time: a fee change from a month on never rewrites a month already billed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.models import Invoice, Subscription, Voucher
from billing.services.claims import claim_approve, claim_open
from billing.services.invoices import month_close
from billing.services.subscriptions import subscription_change, subscriptions_apply_due
from tests.billing.conftest import NOW, record_misses
from tests.factories import plan

pytestmark = pytest.mark.django_db


def test_a_change_from_next_month_leaves_this_month_and_applies_when_it_comes(customer, billing_admin):
    claim_approve(
        claim=claim_open(miss=record_misses(customer, 1)[0], created_by=customer, now=NOW),
        actor=billing_admin,
        now=NOW,
    )
    subscription_change(
        account=customer.account,
        starts_on=dt.date(2026, 4, 1),
        plan=plan("premium"),
        monthly_fee=Decimal("2000.00"),
        actor=billing_admin,
        now=NOW,
    )
    customer.account.refresh_from_db()
    assert customer.account.monthly_fee == Decimal("1000.00")  # not yet

    assert subscriptions_apply_due(now=dt.datetime(2026, 4, 1, 0, 5, tzinfo=dt.UTC)) == 1
    customer.account.refresh_from_db()
    assert (customer.account.plan.code, customer.account.monthly_fee) == ("premium", Decimal("2000.00"))

    month_close(month="2026-03", now=dt.datetime(2026, 4, 1, 1, tzinfo=dt.UTC))
    month_close(month="2026-04", now=dt.datetime(2026, 5, 1, 1, tzinfo=dt.UTC))
    march, april = Invoice.objects.order_by("month")
    assert (march.subscription_amount, march.plan_name, march.total) == (1000, "Advanced", 950)
    assert (april.subscription_amount, april.plan_name) == (2000, "Premium")
    assert Voucher.objects.get().amount == Decimal("50.00")


def test_a_billed_month_cannot_be_given_new_terms(customer, billing_admin):
    claim_approve(
        claim=claim_open(miss=record_misses(customer, 1)[0], created_by=customer, now=NOW),
        actor=billing_admin,
        now=NOW,
    )
    with pytest.raises(ValidationError) as error:
        subscription_change(
            account=customer.account,
            starts_on=dt.date(2026, 3, 1),
            plan=plan("advanced"),
            monthly_fee=Decimal("10.00"),
            now=NOW,
        )
    assert "from April 2026 on" in error.value.message_dict["starts_on"][0]
    assert not Subscription.objects.exists()


def test_a_change_this_month_before_any_money_moved_applies_at_once(customer, billing_admin):
    subscription_change(
        account=customer.account,
        starts_on=dt.date(2026, 3, 1),
        plan=plan("standard"),
        monthly_fee=Decimal("500.00"),
        actor=billing_admin,
        now=NOW,
    )
    customer.account.refresh_from_db()
    assert (customer.account.plan.code, customer.account.monthly_fee) == ("standard", Decimal("500.00"))
    claim_approve(
        claim=claim_open(miss=record_misses(customer, 1)[0], created_by=customer, now=NOW),
        actor=billing_admin,
        now=NOW,
    )
    assert Voucher.objects.get().amount == Decimal("25.00")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"starts_on": dt.date(2026, 4, 15)}, "starts_on"),
        ({"starts_on": "2026-04-01"}, "starts_on"),
        ({"starts_on": dt.date(1999, 1, 1)}, "starts_on"),
        ({"monthly_fee": Decimal("-1")}, "monthly_fee"),
        ({"monthly_fee": Decimal("1.001")}, "monthly_fee"),
        ({"monthly_fee": 10.5}, "monthly_fee"),
        ({"currency": "usd"}, "currency"),
        ({"plan": "premium"}, "plan"),
    ],
)
def test_bad_terms_are_refused_naming_the_field(customer, billing_admin, changes, field):
    fields = {"starts_on": dt.date(2026, 4, 1), "plan": plan("premium"), "monthly_fee": Decimal("1.00")}
    with pytest.raises(ValidationError) as error:
        subscription_change(account=customer.account, actor=billing_admin, now=NOW, **{**fields, **changes})
    assert field in error.value.message_dict
    assert not Subscription.objects.exists()
