"""From the queue to a customer's page and an engineer's page in a real browser; a customer reaches
their own account's page from the menu."""

import pytest
from playwright.sync_api import expect

from helpdesk.accounts.models import Account, User
from helpdesk.kit.roles import Role
from helpdesk.tickets.models import TicketStatus
from helpdesk.tickets.services.messages import message_create
from helpdesk.tickets.services.ratings import ticket_rate
from helpdesk.tickets.services.tickets import ticket_transition
from helpdesk.tickets.services.workspace import ticket_assign
from sla.terms.models import Plan
from sla.terms.seeds import seed_plans
from tests.factories import PASSWORD, make_ticket

pytestmark = pytest.mark.browser


@pytest.fixture
def cast(transactional_db):
    seed_plans()
    account = Account.objects.create(
        name="Initech Hosting", plan=Plan.objects.get(code="premium"), monthly_fee="2375"
    )
    customer = User.objects.create_user(
        username="customer", password=PASSWORD, role=Role.CUSTOMER, account=account, first_name="Peter"
    )
    engineer = User.objects.create_user(
        username="engineer", password=PASSWORD, role=Role.ENGINEER, first_name="Erin", last_name="Engineer"
    )
    open_ticket = make_ticket(customer=customer, subject="TPS reports fail to upload")
    ticket_assign(ticket=open_ticket, actor=engineer, assignee=engineer)
    done = make_ticket(customer=customer, subject="Printer queue stuck")
    ticket_assign(ticket=done, actor=engineer, assignee=engineer)
    message_create(ticket=done, author=engineer, body="Cleared the queue.")
    done = ticket_transition(ticket=done, actor=engineer, to_status=TicketStatus.RESOLVED)
    ticket_rate(ticket=done, user=customer, rating="good", comment="Fixed before lunch")
    return {"account": account, "customer": customer, "engineer": engineer}


def _boxes_overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_from_the_queue_to_the_account_and_the_engineer(live_server, new_page, log_in, cast):
    page = new_page(width=1024, height=768)
    log_in(page, "engineer", PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/queue/")
    # The staff menu, one item longer, still clears the user menu at 1024 px.
    nav = page.locator("nav.nav").bounding_box()
    menu = page.locator(".account-menu").bounding_box()
    assert not _boxes_overlap(nav, menu), (nav, menu)

    page.get_by_role("row", name="TPS reports").get_by_role("link", name="Initech Hosting").click()

    expect(page).to_have_url(f"{live_server.url}/accounts/{cast['account'].pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Initech Hosting")
    expect(page.locator("[data-plan]")).to_contain_text("Premium plan")
    expect(page.locator("[data-open-count]")).to_have_text("1")
    expect(page.locator("[data-good-ratings]")).to_have_text("100%")
    expect(page.locator("[data-rating-comments]")).to_contain_text("Fixed before lunch")

    page.locator("[data-open-ticket]").get_by_role("link", name="Erin Engineer").click()

    expect(page).to_have_url(f"{live_server.url}/engineers/{cast['engineer'].pk}/")
    expect(page.locator("[data-open-count]")).to_have_text("1")
    expect(page.locator("[data-resolved-ticket]")).to_contain_text("Printer queue stuck")
    expect(page.locator("[data-rating-comments]")).to_contain_text("Fixed before lunch")


def test_a_customer_opens_their_account_from_the_menu_without_staff_details(
    live_server, new_page, log_in, cast
):
    page = new_page()
    log_in(page, "customer", PASSWORD)

    page.locator(".account-menu").get_by_role("link", name="Initech Hosting").click()

    expect(page).to_have_url(f"{live_server.url}/accounts/{cast['account'].pk}/")
    expect(page.locator("[data-open-ticket]")).to_contain_text("TPS reports fail to upload")
    expect(page.get_by_text("Erin Engineer")).to_have_count(0)
    response = page.goto(f"{live_server.url}/engineers/{cast['engineer'].pk}/")
    assert response.status == 403
    expect(page.get_by_text("Erin Engineer")).to_have_count(0)
