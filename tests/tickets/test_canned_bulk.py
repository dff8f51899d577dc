"""A canned reply sent to the selected queue rows: filled in per ticket, a public reply in every way."""

import pytest
from django.urls import reverse

from helpdesk.mailbox import notifications as mail_notifications
from helpdesk.tickets.models import CannedReply, Message, Ticket, TicketStatus
from helpdesk.tickets.services.tickets import ticket_start_work, ticket_transition
from tests.factories import CustomerFactory, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def reply(engineer):
    return CannedReply.objects.create(
        title="On it",
        body="Hello {customer_name}, we are working on {ticket_number}.",
        created_by=engineer,
    )


def bulk(client, user, tickets, action):
    client.force_login(user)
    return client.post(reverse("queue_bulk"), {"ticket": [t.pk for t in tickets], "action": action})


def test_a_canned_reply_goes_to_each_selected_ticket_filled_in_and_stops_its_clock(
    client, engineer, customer, other_customer, reply, mailoutbox, django_capture_on_commit_callbacks
):
    customer.first_name, customer.last_name = "Casey", "Customer"
    customer.save()
    other_customer.first_name, other_customer.last_name = "Olga", "Other"
    other_customer.save()
    first = make_ticket(customer=customer)
    second = make_ticket(customer=other_customer)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = bulk(client, engineer, [first, second], f"canned:{reply.pk}")

    assert response.status_code == 302
    assert callbacks, "the replies schedule their mail after commit"
    for ticket, name in ((first, "Casey Customer"), (second, "Olga Other")):
        message = Message.objects.get(ticket=ticket)
        assert message.public and message.author == engineer
        assert message.body == f"Hello {name}, we are working on #{ticket.pk}."
        ticket.refresh_from_db()
        assert ticket.responded_at == message.created_at
        assert ticket.work_started_at == message.created_at
        assert ticket.events.filter(code="message_added").count() == 1
        # The mail that follows goes to the customer, as for any reply
        assert mail_notifications.notify_reply(message.pk) == 1
    assert [mail.to for mail in mailoutbox] == [[customer.email], [other_customer.email]]


def test_a_closed_ticket_is_named_and_the_others_still_get_the_reply(client, engineer, customer, reply):
    open_one = make_ticket(customer=customer)
    closed = make_ticket(customer=customer)
    ticket_start_work(ticket=closed, actor=engineer)
    ticket_transition(ticket=closed, actor=engineer, to_status=TicketStatus.RESOLVED, reason="")
    ticket_transition(ticket=closed, actor=engineer, to_status=TicketStatus.CLOSED, reason="")

    response = bulk(client, engineer, [open_one, closed], f"canned:{reply.pk}")

    assert response.status_code == 302
    assert Message.objects.filter(ticket=open_one).count() == 1
    assert not Message.objects.filter(ticket=closed).exists()
    page = client.get(response.url).content.decode()
    assert "Done for 1 ticket." in page and f"Not possible for #{closed.pk}" in page


@pytest.mark.parametrize("action", ["canned:999999", "canned:", "canned:1x", "canned:" + "9" * 30])
def test_an_unknown_canned_reply_is_400_and_sends_nothing(client, engineer, ticket, reply, action):
    response = bulk(client, engineer, [ticket], action)

    assert response.status_code == 400
    assert not Message.objects.exists()


@pytest.mark.parametrize("role", ["customer", "other_customer"])
def test_customers_cannot_send_canned_replies(request, client, ticket, reply, role):
    response = bulk(client, request.getfixturevalue(role), [ticket], f"canned:{reply.pk}")

    assert response.status_code == 403
    assert not Message.objects.exists()


def test_the_bulk_bar_offers_the_canned_replies_to_staff(client, engineer, ticket, reply):
    client.force_login(engineer)
    page = client.get(reverse("queue")).content.decode()

    assert f'<option value="canned:{reply.pk}">Reply: On it</option>' in page


def test_a_new_canned_reply_shows_in_the_bulk_bar_at_once(
    client, engineer, ticket, reply, django_capture_on_commit_callbacks
):
    client.force_login(engineer)
    client.get(reverse("queue"))  # the lists are now kept for a while
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            reverse("canned_reply_new"), {"title": "Need logs", "body": "Please send logs, {customer_name}."}
        )

    assert created.status_code == 302
    new = CannedReply.objects.get(title="Need logs")
    assert f'value="canned:{new.pk}"' in client.get(reverse("queue")).content.decode()


def test_a_ticket_of_any_account_may_be_answered_by_staff(client, engineer, reply):
    far = make_ticket(customer=CustomerFactory())

    bulk(client, engineer, [far], f"canned:{reply.pk}")

    assert Ticket.objects.get(pk=far.pk).responded_at is not None
