"""Downtime becomes money in a browser: last month's uptime shortfall is claimed, approved and credited."""

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
from sla.terms.seeds import seed_plans
from sla.uptime.services.assessment import uptime_month_assess
from sla.uptime.services.downtime import downtime_record
from sla.uptime.services.items import item_create
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def cast(transactional_db):
    """Globex Cloud (Advanced, 1000.00 USD a month) whose web shop was down 105 minutes last month:
    60.36 minutes beyond the 99.9% guarantee, two started hours, 10% of the fee on the default scale."""
    seed_plans()
    from sla.terms.models import Plan

    account = Account.objects.create(
        name="Globex Cloud", plan=Plan.objects.get(code="advanced"), monthly_fee="1000.00"
    )
    User.objects.create_user(
        username="customer", password=PASSWORD, role=Role.CUSTOMER, account=account, email="casey@example.com"
    )
    admin = User.objects.create_user(username="admin", password=PASSWORD, role=Role.BILLING_ADMIN)
    engineer = User.objects.create_user(username="engineer", password=PASSWORD, role=Role.ENGINEER)
    now = timezone.now()
    last_month = month_of(month_bounds(month_of(now))[0] - dt.timedelta(days=1))
    down_at = month_bounds(last_month)[0] + dt.timedelta(days=3, hours=8)
    item = item_create(created_by=admin, account=account, name="Web shop")
    downtime_record(
        item=item, actor=engineer, starts_at=down_at, ends_at=down_at + dt.timedelta(minutes=105), now=now
    )
    uptime_month_assess(month=last_month, now=now)
    return {"item": item, "month": last_month}


def test_an_uptime_shortfall_is_claimed_approved_and_credited(live_server, new_page, log_in, cast):
    # The customer sees last month below guarantee on the item's status page and claims the credit
    customer = new_page()
    log_in(customer, "customer", PASSWORD)
    customer.get_by_role("link", name="Uptime").first.click()
    customer.get_by_role("link", name="Web shop").first.click()
    expect(customer).to_have_url(f"{live_server.url}/uptime/items/{cast['item'].pk}/")
    customer.get_by_role("link", name=re.compile("^Claim the credit")).click()
    expect(customer.locator(".promise")).to_contain_text("100.00 USD")
    customer.get_by_role("button", name="Submit claim").click()

    claim = Claim.objects.get()
    assert claim.shortfall.item_id == cast["item"].pk and claim.month == cast["month"]
    expect(customer).to_have_url(f"{live_server.url}/billing/claims/{claim.pk}/")
    expect(customer.locator("[data-claim-status]")).to_have_text("Pending")

    # The billing admin reviews it beside the item's downtime and approves
    admin = new_page()
    log_in(admin, "admin", PASSWORD)
    admin.get_by_role("link", name="Claims").click()
    queued = admin.locator("tr", has_text="Uptime of Web shop")
    queued.get_by_role("link", name=re.compile("^Review")).click()
    expect(admin.locator("[data-shortfall-uptime]")).to_contain_text("against a 99.9% guarantee")
    expect(admin.get_by_role("heading", name="Downtime of Web shop")).to_be_visible()
    admin.get_by_role("button", name="Approve and issue voucher").click()
    expect(admin.get_by_role("status")).to_contain_text(
        f"Claim #{claim.pk} approved: voucher of 100.00 USD issued"
    )
    voucher = Voucher.objects.get()

    # The admin cannot close this month before it ends; once it has, its invoice credits the voucher
    admin.get_by_role("link", name="Invoices").click()
    month = month_of(timezone.now())
    admin.get_by_label("Month to close").fill(month)
    admin.get_by_role("button", name="Close month").click()
    expect(admin.locator("body")).to_contain_text("has not ended: it can be closed from")
    assert not Invoice.objects.exists()
    month_close(month=month, now=month_bounds(month)[1])
    invoice = Invoice.objects.get()

    customer.get_by_role("link", name="Invoices").click()
    customer.get_by_role("link", name=re.compile(f"#{invoice.pk}")).click()
    credit = customer.locator("[data-line-kind=voucher_credit]")
    expect(credit).to_contain_text(f"Voucher #{voucher.pk}: uptime of Web shop below guarantee")
    expect(credit).to_contain_text("-100.00")
    expect(customer.locator("[data-invoice-total]")).to_have_text("900.00 USD")

    # ...and the status page now names the claim instead of offering it
    customer.goto(f"{live_server.url}/uptime/items/{cast['item'].pk}/")
    expect(customer.get_by_role("link", name=f"Claim #{claim.pk}")).to_be_visible()
