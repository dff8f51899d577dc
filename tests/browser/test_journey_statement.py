"""A customer on an automatic plan reads their month's SLA statement and downloads it, in a real browser."""

import datetime as dt
import subprocess

import pytest
from playwright.sync_api import expect

from billing.models import Voucher
from billing.services.invoices import month_close
from helpdesk.accounts.models import Account, User
from helpdesk.kit.roles import Role
from helpdesk.tickets.services.tickets import ticket_respond, ticket_start_work
from sla.terms.models import Plan
from sla.terms.seeds import seed_plans
from tests.factories import PASSWORD, EngineerFactory, make_ticket

pytestmark = pytest.mark.browser

TUESDAY = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def closed_month(transactional_db):
    """Initech on seed 004's automatic plan, a response 2.5 working hours late in March, March closed."""
    seed_plans()
    account = Account.objects.create(
        name="Initech",
        plan=Plan.objects.get(code="business"),
        monthly_fee="1000.00",
        started_on=dt.date(2026, 3, 1),
    )
    customer = User.objects.create_user(
        username="customer", password=PASSWORD, role=Role.CUSTOMER, account=account, email="c@example.com"
    )
    ticket = make_ticket(customer=customer, priority="high", now=TUESDAY, subject="Payroll export fails")
    # Seed 004's clock stops at the first reply: the engineer starts work and answers at once.
    engineer, answered = EngineerFactory(), TUESDAY + dt.timedelta(hours=3.5)
    ticket = ticket_start_work(ticket=ticket, actor=engineer, now=answered)
    ticket_respond(ticket=ticket, actor=engineer, how="reply", now=answered)
    month_close(month="2026-03", now=dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC))
    return account


def test_the_customer_reads_the_statement_and_downloads_its_pdf(live_server, new_page, log_in, closed_month):
    page = new_page()
    log_in(page, "customer", PASSWORD)

    page.goto(f"{live_server.url}/billing/accounts/{closed_month.pk}/statements/2026-03/")

    expect(page.get_by_role("heading", name="SLA statement, March 2026")).to_be_visible()
    expect(page.locator("[data-tickets-due]")).to_have_text("1")
    expect(page.locator("tr", has_text="Payroll export fails")).to_contain_text("2h 30m")
    expect(page.locator("tr", has_text="Payroll export fails")).to_contain_text("75.00 USD")
    voucher = Voucher.objects.get()
    expect(page.locator(f"[data-voucher='{voucher.pk}']")).to_contain_text("applied automatically")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    content = download.value.path().read_bytes()
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()
    assert "SLA statement, March 2026" in text and "75.00 USD" in text
