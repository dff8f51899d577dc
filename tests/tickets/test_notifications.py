"""Ticket emails: received, work started, downgraded (with the reason). Tasks run as plain calls."""

import pytest

from helpdesk.tickets import notifications
from helpdesk.tickets.services.tickets import ticket_downgrade, ticket_start_work
from tests.factories import make_ticket


@pytest.fixture
def contacts(customer, engineer):
    return customer, engineer


def test_a_new_ticket_tells_the_account_and_the_engineers(contacts, mailoutbox):
    customer, engineer = contacts
    ticket = make_ticket(customer=customer, priority="high")

    assert notifications.notify_ticket_received(ticket.pk) == 1

    mail = mailoutbox[0]
    assert set(mail.to) == {customer.email, engineer.email}
    assert f"#{ticket.pk}" in mail.subject and "Work will start by" in mail.body


def test_work_started_and_downgrade_tell_the_customer_why(contacts, mailoutbox):
    customer, engineer = contacts
    ticket = make_ticket(customer=customer, priority="high")
    ticket_downgrade(ticket=ticket, actor=engineer, reason="Only one report page is slow")
    ticket_start_work(ticket=ticket, actor=engineer)

    notifications.notify_downgraded(ticket.pk)
    notifications.notify_work_started(ticket.pk)

    downgraded, started = mailoutbox
    assert downgraded.to == [customer.email]
    assert "Only one report page is slow" in downgraded.body
    assert "within the promised time" in started.body


def test_a_task_for_a_ticket_that_is_gone_does_nothing(db, mailoutbox):
    assert notifications.notify_ticket_received(999_999) == 0
    assert mailoutbox == []
