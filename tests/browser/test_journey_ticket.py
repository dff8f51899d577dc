"""The promise, end to end in a real browser: a customer reports an outage, an engineer starts work."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from helpdesk.accounts.models import Account, User
from helpdesk.kit.roles import Role
from helpdesk.tickets.models import Ticket, TicketStatus
from sla.terms.seeds import seed_plans
from tests.factories import PASSWORD, make_ticket

pytestmark = pytest.mark.browser


@pytest.fixture
def cast(transactional_db):
    """Like the demo seed: Globex Cloud on the Advanced plan, its customer, an engineer."""
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
    )
    engineer = User.objects.create_user(
        username="engineer",
        password=PASSWORD,
        role=Role.ENGINEER,
        first_name="Erin",
        last_name="Engineer",
    )
    return {"account": account, "customer": customer, "engineer": engineer}


def test_high_ticket_journey_from_outage_to_work_started(live_server, new_page, log_in, cast):
    # Given an older General ticket already waiting in the queue
    make_ticket(customer=cast["customer"], subject="Invoice PDF has the wrong VAT number")

    # When the customer reports that the web shop is down, as High
    customer = new_page()
    log_in(customer, "customer", PASSWORD)
    expect(customer).to_have_url(f"{live_server.url}/portal/")
    customer.get_by_role("link", name="New ticket").first.click()
    customer.get_by_label("Subject").fill("Web shop returns 502 for every visitor")
    customer.get_by_label("Description").fill("Since 09:10 the shop shows a 502 Bad Gateway page.")
    customer.get_by_role("radio", name=re.compile(r"^High")).check()
    customer.get_by_label("Affected service").fill("Production web shop")
    customer.get_by_label("The service is unavailable or inaccessible right now").check()
    customer.get_by_role("button", name="Submit ticket").click()

    # Then the ticket page shows the 30-minute promise, running
    ticket = Ticket.objects.get(subject="Web shop returns 502 for every visitor")
    assert ticket.priority == "high"
    assert ticket.work_started_deadline - ticket.created_at == dt.timedelta(minutes=30)
    expect(customer).to_have_url(f"{live_server.url}/tickets/{ticket.pk}/")
    expect(customer.get_by_role("status")).to_contain_text(f"Ticket #{ticket.pk} received")
    expect(customer.locator(".sla-card")).to_contain_text("within 30 minutes")
    badge = customer.locator(".sla-card [data-sla-badge]")
    expect(badge).to_have_text("Running")
    countdown = customer.locator(".sla-card [data-countdown]")
    expect(countdown).to_have_text(re.compile(r"^in (29m \d+s|30m 0s)$"))
    first = countdown.inner_text()
    expect(countdown).not_to_have_text(first, timeout=3000)  # pledge.js ticks every second

    # When the engineer, in another browser, opens the queue
    engineer = new_page()
    log_in(engineer, "engineer", PASSWORD)
    expect(engineer).to_have_url(f"{live_server.url}/queue/")
    top_row = engineer.locator("table.table--queue tbody tr").first
    expect(top_row).to_contain_text("Web shop returns 502 for every visitor")
    expect(top_row).to_contain_text("Running")
    top_row.get_by_role("button", name=re.compile("^Start work")).click()

    # Then the queue confirms and the row's clock is stopped: met
    expect(engineer.get_by_role("status")).to_contain_text(f"Work started on #{ticket.pk}")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WORK_STARTED
    assert ticket.work_started_by == cast["engineer"]
    started_row = engineer.locator("tr", has_text="Web shop returns 502")
    expect(started_row.locator("[data-sla-badge]")).to_have_text("Met")

    # And the customer, on reload, sees the promise met
    customer.reload()
    expect(badge).to_have_text("Met")
    expect(customer.locator(".ticket-head")).to_contain_text("Work started")
    expect(customer.locator(".timeline")).to_contain_text("Erin Engineer")


def test_countdown_flips_to_missed_at_the_deadline_without_a_reload(live_server, new_page, log_in, cast):
    from django.utils import timezone

    almost = timezone.now() - dt.timedelta(minutes=30) + dt.timedelta(seconds=3)
    ticket = make_ticket(customer=cast["customer"], priority="high", now=almost)
    page = new_page()
    log_in(page, "customer", PASSWORD)

    row = page.locator("tr", has_text=ticket.subject)
    expect(row.locator("[data-sla-badge]")).to_have_text("At risk")
    expect(row).to_have_class(re.compile("row--at_risk"))

    expect(row.locator("[data-sla-badge]")).to_have_text("Missed", timeout=8000)
    expect(row).to_have_class(re.compile("row--missed"))
    expect(row.locator("[data-countdown]")).to_have_text(re.compile(r"^overdue by \d+s$"))


def test_engineer_downgrades_from_the_queue_dialog(live_server, new_page, log_in, cast):
    ticket = make_ticket(customer=cast["customer"], priority="high", subject="Slow thumbnails")
    page = new_page()
    log_in(page, "engineer", PASSWORD)

    page.locator("tr", has_text="Slow thumbnails").get_by_role(
        "button", name=re.compile("^Downgrade")
    ).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"#{ticket.pk} Slow thumbnails")
    dialog.get_by_role("button", name="Downgrade").click()
    # The reason is required: the browser keeps the dialog open and sends nothing.
    expect(dialog).to_be_visible()
    assert dialog.get_by_label("Reason shown to the customer").evaluate("el => !el.validity.valid")
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    dialog.get_by_label("Reason shown to the customer").fill("The shop is up; only thumbnails lag.")
    dialog.get_by_role("button", name="Downgrade").click()

    expect(page).to_have_url(f"{live_server.url}/queue/")
    expect(page.get_by_role("status")).to_contain_text(f"#{ticket.pk} downgraded to General")
    ticket.refresh_from_db()
    assert ticket.priority == "general"
    assert ticket.downgrade_reason == "The shop is up; only thumbnails lag."


@pytest.mark.parametrize("path", ["/portal/", "/portal/tickets/new/", "ticket"])
def test_customer_pages_fit_a_375px_phone(live_server, new_page, log_in, cast, path):
    ticket = make_ticket(customer=cast["customer"], priority="high", subject="Checkout down")
    page = new_page(width=375, height=740)
    log_in(page, "customer", PASSWORD)

    page.goto(live_server.url + (f"/tickets/{ticket.pk}/" if path == "ticket" else path))

    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    expect(page.get_by_role("main")).to_be_visible()


def test_queue_fits_a_375px_phone(live_server, new_page, log_in, cast):
    make_ticket(customer=cast["customer"], priority="high", subject="Checkout down")
    page = new_page(width=375, height=740)
    log_in(page, "engineer", PASSWORD)

    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    expect(page.get_by_role("button", name=re.compile("^Start work"))).to_be_visible()
