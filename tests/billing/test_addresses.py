"""Buyer and seller on invoices and statements: the account's billing address and tax number (billing
admins edit them, API and admin) and the seller from settings; both PDFs print them (read back with
pdftotext), and an issued invoice keeps the buyer it was issued to."""

import datetime as dt

import pytest
from django.urls import reverse

from billing.models import Invoice
from billing.services.invoices import month_close
from helpdesk.accounts.models import Account
from helpdesk.accounts.services.accounts import account_update
from tests.billing.test_automatic_compensation import pdf_text

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/v1/accounts/"
APRIL = dt.datetime(2026, 4, 1, 0, 5, tzinfo=dt.UTC)
ADDRESS = "Acme Widgets GmbH\nHauptstraße 5\n10115 Berlin\nGermany"
HOSTILE = "<script>alert(1)</script>'; DROP TABLE accounts_account; --"


@pytest.fixture
def seller(settings):
    settings.BILLING_SELLER_NAME = "Pledge Support Ltd"
    settings.BILLING_SELLER_ADDRESS = "1 Promise Way\nLondon EC1A 1AA"
    settings.BILLING_SELLER_TAX_ID = "GB123456789"


def test_a_billing_admin_sets_the_address_and_tax_number_and_the_customer_reads_them(
    api, billing_admin, customer, account
):
    response = api(billing_admin).patch(
        f"{ACCOUNTS}{account.pk}/", {"billing_address": ADDRESS, "tax_id": "DE811907980"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert (response.json()["billing_address"], response.json()["tax_id"]) == (ADDRESS, "DE811907980")
    mine = api(customer).get(f"{ACCOUNTS}{account.pk}/").json()
    assert (mine["billing_address"], mine["tax_id"]) == (ADDRESS, "DE811907980")


@pytest.mark.parametrize(
    ("role", "status"), [("anonymous", 401), ("customer", 403), ("engineer", 403), ("other_customer", 404)]
)
def test_only_billing_admins_edit_the_address(request, api, account, role, status):
    user = None if role == "anonymous" else request.getfixturevalue(role)

    response = api(user).patch(f"{ACCOUNTS}{account.pk}/", {"billing_address": "Elsewhere"}, format="json")

    assert response.status_code == status
    assert Account.objects.get(pk=account.pk).billing_address == ""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"billing_address": "x" * 501}, "billing_address"),
        ({"billing_address": "\n".join(["line"] * 9)}, "billing_address"),
        ({"billing_address": "Street\t5"}, "billing_address"),
        ({"billing_address": "Bell\x07street"}, "billing_address"),
        ({"billing_address": 12345}, "billing_address"),
        ({"tax_id": "x" * 41}, "tax_id"),
        ({"tax_id": "DE\n811"}, "tax_id"),
        ({"tax_id": ["DE"]}, "tax_id"),
    ],
)
def test_a_bad_address_or_tax_number_is_a_400_and_changes_nothing(api, billing_admin, account, body, field):
    response = api(billing_admin).patch(f"{ACCOUNTS}{account.pk}/", body, format="json")

    assert response.status_code == 400 and field in response.json()
    account.refresh_from_db()
    assert (account.billing_address, account.tax_id) == ("", "")


def test_hostile_text_is_kept_as_text_and_printed_escaped(api, billing_admin, customer, account, seller):
    api(billing_admin).patch(f"{ACCOUNTS}{account.pk}/", {"billing_address": HOSTILE}, format="json")
    month_close(month="2026-03", now=APRIL)
    invoice = Invoice.objects.get(account=account)

    text = pdf_text(api(customer).get(f"/api/v1/invoices/{invoice.pk}/pdf/").content)

    assert "<script>alert(1)</script>" in text  # printed as the characters, not run


def test_the_invoice_and_statement_pdfs_show_seller_and_buyer(api, customer, account, seller):
    account_update(account=account, billing_address=ADDRESS, tax_id="DE811907980")
    month_close(month="2026-03", now=APRIL)
    invoice = Invoice.objects.get(account=account)

    invoice_text = pdf_text(api(customer).get(f"/api/v1/invoices/{invoice.pk}/pdf/").content)
    statement = api(customer).get(f"/api/v1/accounts/{account.pk}/statements/2026-03/").json()
    statement_text = pdf_text(
        api(customer).get(f"/api/v1/accounts/{account.pk}/statements/2026-03/pdf/").content
    )

    for text in (invoice_text, statement_text):
        assert "Pledge Support Ltd" in text and "1 Promise Way" in text and "London EC1A 1AA" in text
        assert "GB123456789" in text
        assert account.name in text and "Hauptstraße 5" in text and "10115 Berlin" in text
        assert "DE811907980" in text
    assert statement["seller"] == {
        "name": "Pledge Support Ltd",
        "address": "1 Promise Way\nLondon EC1A 1AA",
        "tax_id": "GB123456789",
    }
    assert statement["buyer"] == {"name": account.name, "address": ADDRESS, "tax_id": "DE811907980"}


def test_an_issued_invoice_keeps_the_buyer_it_was_issued_to(api, customer, account, seller):
    account_update(account=account, billing_address=ADDRESS)
    month_close(month="2026-03", now=APRIL)
    account_update(account=account, billing_address="New Street 1\nHamburg")
    invoice = Invoice.objects.get(account=account)

    text = pdf_text(api(customer).get(f"/api/v1/invoices/{invoice.pk}/pdf/").content)

    assert "Hauptstraße 5" in text and "Hamburg" not in text


def test_the_admin_edits_the_address_and_shows_the_pinned_version(client, account, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "x" * 12)
    client.force_login(root)
    url = reverse("admin:accounts_account_change", args=[account.pk])

    page = client.get(url)
    assert page.status_code == 200 and 'name="billing_address"' in page.content.decode()
    response = client.post(
        url,
        {
            "name": account.name,
            "plan": account.plan_id,
            "monthly_fee": "1000.00",
            "currency": "USD",
            "is_active": "on",
            "started_on": account.started_on.isoformat(),
            "billing_address": ADDRESS,
            "tax_id": "DE811907980",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    account.refresh_from_db()
    assert account.billing_address.replace("\r\n", "\n") == ADDRESS and account.tax_id == "DE811907980"
