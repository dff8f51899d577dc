"""The mail journey in a real browser: a customer's mail becomes a ticket, the engineer answers on the
page, the answer reaches the real SMTP server threaded, and the customer rates the resolved ticket."""

import pytest
from playwright.sync_api import expect

from helpdesk.accounts.models import Account, User
from helpdesk.kit.roles import Role
from helpdesk.mailbox import notifications
from helpdesk.mailbox.tasks import poll_mailbox
from helpdesk.tickets.models import Message, Ticket, TicketRating
from sla.terms.seeds import seed_plans
from tests.factories import PASSWORD
from tests.mailbox.mails import customer_mail
from tests.mailbox.wiring import wire

pytestmark = pytest.mark.browser


@pytest.fixture
def cast(transactional_db):
    seed_plans()
    from sla.terms.models import Plan

    account = Account.objects.create(
        name="Globex Cloud", plan=Plan.objects.get(code="advanced"), monthly_fee="1000"
    )
    customer = User.objects.create_user(
        username="customer", password=PASSWORD, role=Role.CUSTOMER, account=account, email="casey@globex.test"
    )
    engineer = User.objects.create_user(
        username="engineer", password=PASSWORD, role=Role.ENGINEER, email="erin@pledge.test"
    )
    return customer, engineer


def test_mail_in_reply_from_the_page_out_and_a_rating(
    live_server, new_page, log_in, cast, settings, imap_mailbox, smtp_server
):
    customer, _ = cast
    dovecot, smtp = wire(settings, imap_mailbox, smtp_server)
    dovecot.deliver(customer_mail(sender=customer.email, subject="VPN drops every hour"))
    poll_mailbox()
    ticket = Ticket.objects.get(subject="VPN drops every hour")

    engineer = new_page()
    log_in(engineer, "engineer", PASSWORD)
    engineer.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    engineer.get_by_label("Message").fill("Please send the client log from the last drop.")
    engineer.get_by_role("button", name="Send reply").click()
    expect(engineer.get_by_role("status")).to_be_visible()

    answer = Message.objects.get(ticket=ticket)
    assert notifications.notify_reply(answer.pk) == 1  # what the worker runs after the commit
    (sent,) = [m for m in smtp.messages if m.rcpt_tos == (customer.email,) and b"client log" in m.content]
    assert b"In-Reply-To: <first@customer.test>" in sent.content
    assert b"Reply-To: support+t" in sent.content

    engineer.get_by_role("button", name="Resolve").click()
    expect(engineer.locator(".ticket-head")).to_contain_text("Resolved")

    page = new_page()
    log_in(page, "customer", PASSWORD)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    page.get_by_label("Good").check()
    page.get_by_label("Anything to add?").fill("Fast and friendly.")
    page.get_by_role("button", name="Rate").click()
    expect(page.locator("[data-rating]")).to_contain_text("Good")
    assert TicketRating.objects.get(ticket=ticket).comment == "Fast and friendly."
