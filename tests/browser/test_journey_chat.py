"""Live chat end to end in two real browsers: a customer and an engineer chat in real time, then the
engineer turns the chat into a ticket, which the queue shows with the whole transcript.

pytest-django's live server speaks WSGI only, so these journeys run uvicorn (the ASGI server
`run.py` starts) in a subprocess on the test database, as production does.
"""

import re

import pytest
from playwright.sync_api import expect

from helpdesk.accounts.models import Account, User
from helpdesk.chat.models import ChatSession
from helpdesk.kit.roles import Role
from helpdesk.tickets.models import Ticket
from sla.terms.models import Plan
from sla.terms.seeds import seed_plans
from tests.chat.test_chat_fixtures import Uvicorn, always_open_calendar
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def server(transactional_db, tmp_path):
    uvicorn = Uvicorn(tmp_path)
    uvicorn.start()
    yield uvicorn
    uvicorn.stop()


@pytest.fixture
def cast(transactional_db, settings):
    """Globex Cloud on the Advanced plan (30-minute sessions), chatting around the clock for the test."""
    # The server process checks passwords with Django's default hashers, not the suite's fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    seed_plans()
    Plan.objects.filter(code="advanced").update(chat_calendar=always_open_calendar())
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


def log_in(page, server, username: str) -> None:
    page.goto(f"{server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_customer_and_engineer_chat_live_and_the_chat_becomes_a_ticket(server, new_page, cast):
    # The engineer keeps the chat console open: nobody is waiting yet.
    engineer = new_page()
    log_in(engineer, server, "engineer")
    engineer.get_by_role("navigation", name="Main").get_by_role("link", name="Chats").click()
    expect(engineer.locator("[data-chat-console]")).to_contain_text("Nobody is waiting")

    # The customer asks for a chat from the portal.
    customer = new_page()
    log_in(customer, server, "customer")
    customer.get_by_role("navigation", name="Main").get_by_role("link", name="Live chat").click()
    customer.get_by_label("What do you need help with?").fill("Checkout fails")
    customer.get_by_label("Your first message").fill("Checkout returns 500 since 09:40.")
    customer.get_by_role("button", name="Start chat").click()

    session = ChatSession.objects.get()
    expect(customer).to_have_url(f"{server.url}/chats/{session.pk}/")
    expect(customer.locator("[data-chat-status]")).to_have_text("Waiting")
    expect(customer.locator("[data-chat-waiting]")).to_contain_text("You are number 1 in line")
    expect(customer.locator("[data-chat-connection]")).to_have_text("Live")
    expect(customer.locator("[data-chat-log]")).to_contain_text("Checkout returns 500 since 09:40.")

    # The waiting chat appears on the console by itself, with account, plan and waiting time.
    row = engineer.locator("[data-chat-waiting-list] tr", has_text="Checkout fails")
    expect(row).to_contain_text("Globex Cloud")
    expect(row).to_contain_text("Advanced")
    expect(row.locator("[data-chat-since]")).to_have_text(re.compile(r"^\d+s$"))
    row.get_by_role("button", name=re.compile("^Accept")).click()
    expect(engineer).to_have_url(f"{server.url}/chats/{session.pk}/")
    expect(engineer.locator("[data-chat-connection]")).to_have_text("Live")

    # The customer sees the engineer join, without reloading, and the session's countdown.
    expect(customer.locator("[data-chat-status]")).to_have_text("Active")
    expect(customer.locator("[data-chat-log]")).to_contain_text("Erin Engineer from support joined the chat")
    expect(customer.locator("[data-chat-countdown]")).to_have_text(re.compile(r"^(29m \d+s|30m 0s) left$"))
    expect(engineer.locator("[data-chat-countdown]")).to_have_text(re.compile(r"^(29m \d+s|30m 0s) left$"))

    # They talk in real time.
    engineer_box = engineer.get_by_role("textbox", name="Message")
    engineer_box.fill("Which browser do you use?")
    engineer_box.press("Enter")
    expect(customer.locator(".chat-line--theirs").last).to_contain_text(
        "Which browser do you use?", timeout=3000
    )
    customer_box = customer.get_by_role("textbox", name="Message")
    customer_box.press_sequentially("Every browser")
    expect(engineer.locator("[data-chat-typing]")).to_have_text("Casey Customer is typing…", timeout=3000)
    customer.get_by_role("button", name="Send").click()
    expect(engineer.locator(".chat-line--theirs").last).to_contain_text("Every browser", timeout=3000)
    expect(engineer.locator(".chat-line--mine")).to_have_count(1)
    expect(customer.locator(".chat-line--mine")).to_have_count(2)  # the first message and the reply

    # Not solved in chat: the engineer turns it into a ticket on the customer's behalf.
    engineer.locator("[data-chat-escalate]").get_by_role("button", name="Turn into ticket").click()
    ticket = Ticket.objects.get()
    expect(engineer).to_have_url(f"{server.url}/tickets/{ticket.pk}/")
    expect(engineer.get_by_role("status")).to_contain_text(
        f"Ticket #{ticket.pk} opened with the whole transcript"
    )

    # The customer's window says so at once, with a link to the ticket.
    expect(customer.locator("[data-chat-status]")).to_have_text("Ended")
    expect(customer.locator("[data-chat-ticket]")).to_have_text(f"Open ticket #{ticket.pk}")
    expect(customer.locator("[data-chat-composer]")).to_be_hidden()

    # The ticket waits in the queue like any other, its clock running, the transcript inside.
    engineer.get_by_role("navigation", name="Main").get_by_role("link", name="Queue").click()
    queue_row = engineer.locator("table.table--queue tbody tr", has_text="Live chat: Checkout fails")
    expect(queue_row).to_contain_text("Globex Cloud")
    expect(queue_row.locator("[data-sla-badge]")).to_have_text("Running")
    queue_row.get_by_role("link", name=re.compile("Live chat: Checkout fails")).click()
    description = engineer.locator(".thread .post").first
    for line in (
        "Live chat #",
        "Casey Customer",
        "Checkout returns 500 since 09:40.",
        "Erin Engineer (support):",
        "Which browser do you use?",
        "Every browser",
    ):
        expect(description).to_contain_text(line)
    ticket.refresh_from_db()
    assert ticket.created_by == cast["engineer"] and ticket.account == cast["account"]
    assert ChatSession.objects.get().ticket == ticket


def test_the_chat_window_fits_a_375px_phone(server, new_page, cast):
    from helpdesk.chat.services.chats import chat_request

    session = chat_request(customer=cast["customer"], topic="Phone-sized", message="Hello from a phone")
    page = new_page(width=375, height=740)
    log_in(page, server, "customer")

    page.goto(f"{server.url}/chats/{session.pk}/")

    expect(page.locator("[data-chat-log]")).to_contain_text("Hello from a phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    expect(page.get_by_role("button", name="Send")).to_be_visible()
