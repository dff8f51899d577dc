"""The Django admin shows every billing model; money moves only through the services."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import Invoice, Subscription
from billing.services.claims import claim_approve
from billing.services.invoices import month_close
from tests.factories import plan

pytestmark = pytest.mark.django_db
MODELS = [
    "subscription",
    "accountmonth",
    "claim",
    "voucher",
    "invoice",
    "invoiceline",
    "terminationrequest",
    "billingevent",
]


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "x" * 12)


@pytest.mark.parametrize("model", MODELS)
def test_every_billing_model_has_an_admin_list(client, superuser, claim, billing_admin, model):
    claim_approve(claim=claim, actor=billing_admin)
    month_close(month="2026-03", now=dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    client.force_login(superuser)

    assert client.get(reverse(f"admin:billing_{model}_changelist")).status_code == 200


def test_an_issued_invoice_is_read_only_in_the_admin(client, superuser, customer):
    month_close(month="2026-03", now=dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    invoice = Invoice.objects.get()
    client.force_login(superuser)

    page = client.get(reverse("admin:billing_invoice_change", args=[invoice.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    client.post(reverse("admin:billing_invoice_change", args=[invoice.pk]), {"total": "0"})
    invoice.refresh_from_db()
    assert invoice.total == Decimal("1000")


def test_new_terms_in_the_admin_go_through_the_service_and_its_rules(client, superuser, customer):
    client.force_login(superuser)
    url = reverse("admin:billing_subscription_add")
    form = {
        "account": customer.account_id,
        "starts_on": "2026-04-01",
        "plan": plan("premium").pk,
        "monthly_fee": "2000.00",
        "currency": "USD",
        "note": "",
    }

    refused = client.post(url, {**form, "starts_on": "2026-04-15"})
    assert refused.status_code == 200 and "first day of a month" in refused.content.decode()
    assert client.post(url, form).status_code == 302
    assert Subscription.objects.get().created_by == superuser
