"""A missed promise becomes money in a real browser: claim, approval, month close, credit on the invoice."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import Claim, Invoice, Voucher
from billing.services.invoices import month_close
from helpdesk.accounts.models import Account, User
from helpdesk.kit.months import month_bounds, month_of
from helpdesk.kit.roles import Role
from sla.clocks.services.misses import misses_record_due
from sla.terms.seeds import seed_plans
from tests.factories import PASSWORD, make_ticket

pytestmark = pytest.mark.browser


@pytest.fixture
def cast(transactional_db):
    """Globex Cloud on the Advanced plan (1000.00 USD a month), its customer, a billing admin, and a miss."""
    seed_plans()
    from sla.terms.models import Plan

    account = Account.objects.create(
        name="Globex Cloud", plan=Plan.objects.get(code="advanced"), monthly_fee="1000.00"
    )
    customer = User.objects.create_user(
        username="customer",
        password=PASSWORD,
        role=Role.CUSTOMER,
        account=account,
        first_name="Casey",
        last_name="Customer",
        email="casey@example.com",
    )
    User.objects.create_user(
        username="admin",
        password=PASSWORD,
        role=Role.BILLING_ADMIN,
        first_name="Ada",
        last_name="Admin",
    )
    opened = timezone.now() - dt.timedelta(minutes=40)  # a 30-minute High promise, broken 10 minutes ago
    ticket = make_ticket(customer=customer, priority="high", now=opened, subject="Checkout returns 502")
    assert misses_record_due() == 1
    return {"account": account, "ticket": ticket}


def test_a_miss_is_claimed_approved_invoiced_and_credited(live_server, new_page, log_in, cast):
    # The customer finds the miss and claims compensation for it
    customer = new_page()
    log_in(customer, "customer", PASSWORD)
    customer.get_by_role("link", name="Misses").click()
    row = customer.locator("tr", has_text="Checkout returns 502")
    expect(row).to_contain_text("Counted")
    row.get_by_role("link", name=re.compile("^Claim compensation")).click()
    expect(customer.get_by_role("heading", name="Claim compensation")).to_be_visible()
    expect(customer.locator(".promise")).to_contain_text("50.00 USD")
    customer.get_by_label("Anything we should know").fill("The shop was down for forty minutes.")
    customer.get_by_role("button", name="Submit claim").click()

    claim = Claim.objects.get()
    expect(customer).to_have_url(f"{live_server.url}/billing/claims/{claim.pk}/")
    expect(customer.get_by_role("status")).to_contain_text(f"Claim #{claim.pk} received")
    expect(customer.locator("[data-claim-status]")).to_have_text("Pending")

    # The billing admin reviews the queue and approves
    admin = new_page()
    log_in(admin, "admin", PASSWORD)
    admin.get_by_role("link", name="Claims").click()
    queued = admin.locator("tr", has_text="Checkout returns 502")
    expect(queued).to_contain_text("Pending")
    queued.get_by_role("link", name=re.compile("^Review")).click()
    expect(admin.locator(".timeline")).to_contain_text("Work Started deadline missed")
    admin.get_by_role("button", name="Approve and issue voucher").click()
    expect(admin.get_by_role("status")).to_contain_text(
        f"Claim #{claim.pk} approved: voucher of 50.00 USD issued"
    )
    voucher = Voucher.objects.get()
    assert (voucher.claim_id, str(voucher.amount)) == (claim.pk, "50.000")

    # The admin cannot close the month before it ends (that would issue a final invoice mid-month)...
    admin.get_by_role("link", name="Invoices").click()
    month = month_of(timezone.now())
    admin.get_by_label("Month to close").fill(month)
    admin.get_by_role("button", name="Close month").click()
    expect(admin.locator("body")).to_contain_text("has not ended: it can be closed from")
    assert not Invoice.objects.exists()
    # ...and once it has ended, beat's hourly close issues the invoice
    month_close(month=month, now=month_bounds(month)[1])
    invoice = Invoice.objects.get()
    assert invoice.month == month and str(invoice.total) == "950.000"

    # The customer sees the credit on the invoice
    customer.get_by_role("link", name="Invoices").click()
    customer.get_by_role("link", name=re.compile(f"#{invoice.pk}")).click()
    expect(customer).to_have_url(f"{live_server.url}/billing/invoices/{invoice.pk}/")
    credit = customer.locator("[data-line-kind=voucher_credit]")
    expect(credit).to_contain_text(f"Voucher #{voucher.pk}")
    expect(credit).to_contain_text("-50.00")
    expect(customer.locator("[data-invoice-total]")).to_have_text("950.00 USD")
    with customer.expect_download() as download:
        customer.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename == f"pledge-invoice-{invoice.pk}-{month}.pdf"

    # ...and follows it back to the claim and the ticket
    credit.get_by_role("link", name=f"Claim #{claim.pk}").click()
    expect(customer.locator("[data-voucher-amount]")).to_contain_text("50.00 USD")
    customer.get_by_role("link", name=re.compile("Checkout returns 502")).first.click()
    expect(customer).to_have_url(f"{live_server.url}/tickets/{cast['ticket'].pk}/")
    expect(customer.locator(".timeline")).to_contain_text("Claim approved")


def test_billing_pages_fit_a_375px_phone(live_server, new_page, log_in, cast):
    page = new_page(width=375, height=740)
    log_in(page, "customer", PASSWORD)
    for path in ("/billing/months/", "/billing/invoices/", "/misses/"):
        page.goto(live_server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
