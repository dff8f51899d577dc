"""A ticket's life: a customer reply reopens a Resolved ticket, Resolved tickets close by themselves,
a reply to a Closed ticket opens a new one linked to it."""

import datetime as dt

import pytest
from django.utils import timezone

from helpdesk.kit import roles
from helpdesk.tickets import tasks
from helpdesk.tickets.models import Ticket, TicketStatus
from helpdesk.tickets.selectors import queue_tickets
from helpdesk.tickets.services.messages import message_create, ticket_follow_up
from helpdesk.tickets.services.tickets import ticket_auto_close, ticket_transition
from tests.factories import make_ticket


@pytest.fixture
def resolved(ticket, engineer):
    message_create(ticket=ticket, author=engineer, body="Fixed: restart the agent.")
    return ticket_transition(ticket=ticket, actor=engineer, to_status=TicketStatus.RESOLVED)


def test_a_customer_reply_on_a_resolved_ticket_reopens_it(resolved, customer, engineer):
    started_at = resolved.work_started_at

    message_create(ticket=resolved, author=customer, body="It came back this morning.")

    resolved.refresh_from_db()
    assert resolved.status == TicketStatus.WORK_STARTED and resolved.resolved_at is None
    assert resolved.pk in [t.pk for t in queue_tickets(user=engineer)]
    event = resolved.events.get(code="customer_replied")
    assert event.data == {"from": "resolved", "to": "work_started", "reopened": True}
    # The Work Started promise was about the first response: it does not restart.
    assert resolved.work_started_at == started_at and resolved.miss_pending is False


def test_a_staff_reply_on_a_resolved_ticket_leaves_it_resolved(resolved, engineer):
    message_create(ticket=resolved, author=engineer, body="One more tip.")
    resolved.refresh_from_db()
    assert resolved.status == TicketStatus.RESOLVED


def test_resolved_tickets_close_after_the_configured_days(resolved, customer, settings):
    settings.TICKET_AUTO_CLOSE_DAYS = 7
    fresh = make_ticket(customer=customer)
    Ticket.objects.filter(pk=resolved.pk).update(resolved_at=timezone.now() - dt.timedelta(days=8))

    assert tasks.auto_close_resolved() == 1
    assert tasks.auto_close_resolved() == 0  # a repeated run closes nothing twice

    resolved.refresh_from_db()
    fresh.refresh_from_db()
    assert resolved.status == TicketStatus.CLOSED and resolved.closed_at is not None
    assert resolved.events.get(code="closed").data["auto"] is True
    assert resolved.events.get(code="closed").data["after_seconds"] == 7 * 86_400
    assert fresh.status == TicketStatus.NEW


def test_a_precise_auto_close_age_in_seconds_wins_over_the_days(resolved, settings):
    settings.TICKET_AUTO_CLOSE_DAYS = 7
    settings.TICKET_AUTO_CLOSE_AFTER = 90
    Ticket.objects.filter(pk=resolved.pk).update(resolved_at=timezone.now() - dt.timedelta(seconds=60))

    assert tasks.auto_close_resolved() == 0  # 60 s resolved: not yet

    Ticket.objects.filter(pk=resolved.pk).update(resolved_at=timezone.now() - dt.timedelta(seconds=91))
    assert tasks.auto_close_resolved() == 1
    resolved.refresh_from_db()
    assert resolved.status == TicketStatus.CLOSED
    assert resolved.events.get(code="closed").data["after_seconds"] == 90


def test_a_recently_resolved_ticket_stays_resolved(resolved):
    now = resolved.resolved_at + dt.timedelta(days=6, hours=23)
    assert ticket_auto_close(ticket_id=resolved.pk, after=dt.timedelta(days=7), now=now) is False
    resolved.refresh_from_db()
    assert resolved.status == TicketStatus.RESOLVED


def test_a_reply_to_a_closed_ticket_opens_a_linked_ticket(resolved, customer):
    closed = ticket_transition(ticket=resolved, actor=customer, to_status=TicketStatus.CLOSED)

    follow_up = ticket_follow_up(closed=closed, author=customer, body="Same problem again.")

    assert follow_up.pk != closed.pk and follow_up.follow_up_of_id == closed.pk
    assert follow_up.status == TicketStatus.NEW and follow_up.account_id == closed.account_id
    assert follow_up.subject == f"Re: {closed.subject}" and follow_up.description == "Same problem again."
    assert follow_up.events.filter(code="follow_up_of", data__closed_ticket=closed.pk).exists()
    closed.refresh_from_db()
    assert closed.status == TicketStatus.CLOSED


def test_a_customer_of_another_account_cannot_follow_up(resolved, other_customer):
    with pytest.raises(roles.Denied):
        ticket_follow_up(closed=resolved, author=other_customer, body="Hi")
    assert Ticket.objects.count() == 1


def test_a_customer_reply_on_a_closed_ticket_page_opens_a_linked_ticket(resolved, customer, engineer, client):
    ticket_transition(ticket=resolved, actor=customer, to_status=TicketStatus.CLOSED)
    client.force_login(customer)
    assert b"your reply opens a new ticket" in client.get(f"/tickets/{resolved.pk}/").content

    response = client.post(f"/tickets/{resolved.pk}/reply/", {"body": "It is back."})

    follow_up = Ticket.objects.get(follow_up_of=resolved)
    assert response.status_code == 302 and response["Location"] == f"/tickets/{follow_up.pk}/"
    assert follow_up.description == "It is back." and not resolved.messages.filter(author=customer).exists()
    # Staff do not reopen a closed conversation by replying: the service refuses (409), nothing opens.
    client.force_login(engineer)
    refused = client.post(f"/tickets/{resolved.pk}/reply/", {"body": "Hm"})
    assert refused.status_code == 409
    assert Ticket.objects.count() == 2
