"""The engineer's workspace in a real browser: live counters, take, search, bulk assign, a saved view,
canned replies (kept, inserted, sent to selected rows), alerts for new chats, and two engineers on one
ticket."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from helpdesk.accounts.models import Account, User
from helpdesk.chat.services.chats import chat_request
from helpdesk.kit.roles import Role
from helpdesk.tickets.models import SavedView, Ticket
from sla.terms.models import Plan
from sla.terms.seeds import seed_plans
from tests.chat.test_chat_fixtures import Uvicorn, always_open_calendar
from tests.factories import PASSWORD, make_ticket

pytestmark = pytest.mark.browser
FAST_POLL = "window.pledgePollMs = 400;"


@pytest.fixture
def cast(transactional_db):
    seed_plans()
    account = Account.objects.create(
        name="Globex Cloud", plan=Plan.objects.get(code="advanced"), monthly_fee="1000"
    )
    customer = User.objects.create_user(
        username="customer", password=PASSWORD, role=Role.CUSTOMER, account=account, first_name="Casey"
    )
    engineer = User.objects.create_user(
        username="engineer", password=PASSWORD, role=Role.ENGINEER, first_name="Erin", last_name="Engineer"
    )
    return {"customer": customer, "engineer": engineer}


def counter(page, name):
    return page.locator(f'[data-counter="{name}"]')


def test_counters_follow_a_ticket_going_at_risk_then_missing_without_a_reload(
    live_server, new_page, log_in, cast
):
    page = new_page()
    page.add_init_script(FAST_POLL)
    log_in(page, "engineer", PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/queue/")
    expect(counter(page, "open")).to_have_text("0")
    page.evaluate("window.__sameDocument = true")

    # When a ticket arrives whose clock goes at risk in 2 s and misses in 4 s (real seconds)
    ticket = make_ticket(customer=cast["customer"], subject="Shop checkout slow")
    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(
        at_risk_at=now + dt.timedelta(seconds=2), work_started_deadline=now + dt.timedelta(seconds=4)
    )

    # Then it is announced, and the header follows its clock, with no reload
    expect(page.locator("[data-new-tickets]")).to_be_visible(timeout=8000)
    expect(counter(page, "open")).to_have_text("1")
    expect(counter(page, "at_risk")).to_have_text("1", timeout=8000)
    expect(counter(page, "overdue")).to_have_text("1", timeout=8000)
    expect(counter(page, "at_risk")).to_have_text("0")
    assert page.evaluate("window.__sameDocument") is True


def test_take_search_bulk_assign_and_a_saved_view(live_server, new_page, log_in, cast):
    tickets = [make_ticket(customer=cast["customer"], subject=f"Printer jam {n}") for n in range(3)]
    make_ticket(customer=cast["customer"], subject="VPN drops every hour")
    page = new_page()
    log_in(page, "engineer", PASSWORD)

    # Take one ticket from its row: it is mine
    row = page.locator(f'tr[data-ticket="{tickets[0].pk}"]')
    row.get_by_role("button", name="Take").click()
    expect(page.locator(f'tr[data-ticket="{tickets[0].pk}"] .cell-assignee')).to_have_text("Erin Engineer")
    expect(counter(page, "mine")).to_have_text("1")

    # Search with the keyboard: "/" focuses the box
    page.keyboard.press("/")
    page.keyboard.type("vpn")
    page.keyboard.press("Enter")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody mark").first).to_have_text("VPN")

    # Bulk: select the two other printer tickets and assign them to me
    page.goto(f"{live_server.url}/queue/?view=unassigned")
    for ticket in tickets[1:]:
        page.locator(f'tr[data-ticket="{ticket.pk}"] .row-select').check()
    page.get_by_label("With the selected tickets").select_option("assign_me")
    page.get_by_role("button", name="Apply to selected").click()
    expect(counter(page, "mine")).to_have_text("3")

    # Save "mine, High first" as a view and come back to it from the tabs
    page.goto(f"{live_server.url}/queue/?view=mine&ordering=newest")
    page.get_by_label("Save these filters as a view").fill("My newest")
    page.get_by_role("button", name="Save view").click()
    assert SavedView.objects.filter(owner=cast["engineer"], name="My newest").exists()
    page.goto(f"{live_server.url}/queue/")
    page.get_by_role("link", name="My newest").click()
    expect(page.locator("tbody tr")).to_have_count(3)

    # The shortcut overlay lists the keys
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()


def test_canned_replies_kept_on_their_page_then_sent_from_the_reply_box_and_to_selected_rows(
    live_server, new_page, log_in, cast
):
    first = make_ticket(customer=cast["customer"], subject="Cannot export invoices")
    second = make_ticket(customer=cast["customer"], subject="Report is empty")
    third = make_ticket(customer=cast["customer"], subject="Login loops")
    page = new_page()
    log_in(page, "engineer", PASSWORD)

    # Keep a canned reply on its page, from the queue's link
    page.get_by_role("link", name="Canned replies").click()
    page.get_by_role("link", name="New canned reply").click()
    page.get_by_label("Title").fill("Looking into it")
    page.get_by_label("Text").fill("Hello {customer_name}, we are on {ticket_number} now.")
    page.get_by_role("button", name="Save canned reply").click()
    expect(page.locator("[data-canned-list]")).to_contain_text("Looking into it")

    # From the reply box: inserted filled in for this ticket, then sent as a public reply
    page.goto(f"{live_server.url}/tickets/{first.pk}/")
    page.get_by_label("Insert a canned reply").select_option(label="Looking into it")
    box = page.get_by_label("Message")
    expect(box).to_have_value(f"Hello Casey, we are on #{first.pk} now.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".thread")).to_contain_text(f"Hello Casey, we are on #{first.pk} now.")

    # To selected rows: each ticket gets its own filled reply, and its clock stops
    page.goto(f"{live_server.url}/queue/")
    for ticket in (second, third):
        page.locator(f'tr[data-ticket="{ticket.pk}"] .row-select').check()
    page.get_by_label("With the selected tickets").select_option(label="Reply: Looking into it")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.get_by_role("status").first).to_contain_text("Done for 2 tickets.")
    for ticket in (second, third):
        ticket.refresh_from_db()
        assert ticket.responded_at is not None
        assert ticket.messages.get().body == f"Hello Casey, we are on #{ticket.pk} now."
    page.goto(f"{live_server.url}/tickets/{third.pk}/")
    expect(page.locator(".thread")).to_contain_text(f"Hello Casey, we are on #{third.pk} now.")


def test_a_new_chat_is_announced_on_the_queue_with_alerts_on(live_server, new_page, log_in, cast):
    Plan.objects.filter(code="advanced").update(chat_calendar=always_open_calendar())
    page = new_page()
    page.add_init_script(FAST_POLL)
    log_in(page, "engineer", PASSWORD)

    # Turn the sound and notifications on: remembered for the engineer across pages
    toggle = page.get_by_role("button", name=re.compile("Sound and notifications"))
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert User.objects.get(username="engineer").queue_alerts is True
    page.reload()
    expect(page.get_by_role("button", name=re.compile("Sound and notifications"))).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator("[data-counters][data-polls]")).to_have_count(1)  # the first poll is in

    # A customer asks for a chat: the queue says so without a reload, and alerts
    chat_request(customer=cast["customer"], topic="Checkout fails", message="500 since 09:40")
    expect(page.locator("[data-new-chats]")).to_contain_text("A new chat has arrived. A chat is waiting.")
    expect(page.locator("body[data-alerted]")).to_have_count(1)
    page.locator("[data-new-chats]").get_by_role("link", name="Open the chats").click()
    expect(page.locator("[data-chat-console]")).to_contain_text("Checkout fails")


# --- two engineers on one ticket (WebSockets: uvicorn, as production serves them) ----------------


@pytest.fixture
def server(transactional_db, tmp_path, settings):
    # The server process checks passwords with Django's default hashers, not the suite's fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    uvicorn = Uvicorn(tmp_path)
    uvicorn.start()
    yield uvicorn
    uvicorn.stop()


def sign_in_at(page, url: str, username: str) -> None:
    page.goto(f"{url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_two_engineers_on_one_ticket_see_each_other_and_the_typing(server, new_page, cast):
    User.objects.create_user(
        username="coworker", password=PASSWORD, role=Role.ENGINEER, first_name="Cody", last_name="Coworker"
    )
    ticket = make_ticket(customer=cast["customer"], subject="Mail bounces")

    # Erin has the ticket open alone: no notice
    erin = new_page()
    sign_in_at(erin, server.url, "engineer")
    erin.goto(f"{server.url}/tickets/{ticket.pk}/")
    notice = erin.locator("[data-presence]")
    expect(notice).to_be_hidden()

    # Cody opens it in another browser: each page names the other
    cody = new_page()
    sign_in_at(cody, server.url, "coworker")
    cody.goto(f"{server.url}/tickets/{ticket.pk}/")
    expect(notice).to_have_text("Cody Coworker is also viewing this ticket.", timeout=5000)
    expect(cody.locator("[data-presence]")).to_have_text("Erin Engineer is also viewing this ticket.")

    # Cody types a reply: Erin sees it, and the notice falls back when Cody pauses
    cody.get_by_label("Message").press_sequentially("Checking the MX records")
    expect(notice).to_have_text("Cody Coworker is typing on this ticket.", timeout=3000)
    expect(notice).to_have_class(re.compile("presence--typing"))
    expect(notice).to_have_text("Cody Coworker is also viewing this ticket.", timeout=8000)

    # Cody leaves: Erin's notice goes
    cody.close()
    expect(notice).to_be_hidden(timeout=5000)

    # The customer's page of the same ticket carries no notice and opens no socket
    casey = new_page()
    sign_in_at(casey, server.url, "customer")
    casey.goto(f"{server.url}/tickets/{ticket.pk}/")
    expect(casey.get_by_role("heading", name=re.compile("Mail bounces"))).to_be_visible()
    assert casey.locator("[data-presence]").count() == 0
