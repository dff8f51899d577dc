"""The queue's optional sound and browser notification: a toggle remembered per engineer, and the
poll that reports new tickets and new chats."""

import pytest
from django.urls import reverse

from helpdesk.accounts.models import User
from tests.chat import test_chat_fixtures as chat_fixtures
from tests.chat.test_chat_fixtures import request_chat
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db
open_chat = chat_fixtures.open_chat  # every plan chats around the clock


def signed_in(client, user):
    if user is not None:
        client.force_login(user)
    return client


def alerts_of(user) -> bool:
    return User.objects.get(pk=user.pk).queue_alerts


@pytest.mark.parametrize("role", ["engineer", "billing_admin"])
def test_the_toggle_is_remembered_for_the_engineer(request, client, role):
    user = request.getfixturevalue(role)
    signed_in(client, user)
    assert 'aria-pressed="false"' in client.get(reverse("queue")).content.decode()

    turned_on = client.post(reverse("queue_alerts"), {"alerts": "on"}, headers={"Accept": "application/json"})

    assert turned_on.json() == {"alerts": True}
    assert alerts_of(user) is True
    page = client.get(reverse("queue")).content.decode()
    assert 'aria-pressed="true"' in page and 'name="alerts" value="off"' in page

    # Without JavaScript the form posts and comes back to the queue
    turned_off = client.post(reverse("queue_alerts"), {"alerts": "off", "next": "/queue/?view=mine"})
    assert turned_off.status_code == 302 and turned_off.url == "/queue/?view=mine"
    assert alerts_of(user) is False


def test_each_engineer_has_their_own_setting(client, engineer, billing_admin):
    signed_in(client, engineer).post(reverse("queue_alerts"), {"alerts": "on"})

    assert alerts_of(engineer) is True and alerts_of(billing_admin) is False


@pytest.mark.parametrize("role, status", [("customer", 403), ("other_customer", 403), ("anonymous", 302)])
def test_customers_have_no_queue_alerts(request, client, role, status):
    user = None if role == "anonymous" else request.getfixturevalue(role)

    response = signed_in(client, user).post(reverse("queue_alerts"), {"alerts": "on"})

    assert response.status_code == status
    assert not User.objects.filter(queue_alerts=True).exists()


@pytest.mark.parametrize(
    "data",
    [{}, {"alerts": ""}, {"alerts": "yes"}, {"alerts": "1"}, {"alerts": "on" * 5000}, {"alerts": "<b>on"}],
)
def test_a_bad_value_is_400_and_changes_nothing(client, engineer, data):
    response = signed_in(client, engineer).post(reverse("queue_alerts"), data)

    assert response.status_code == 400
    assert alerts_of(engineer) is False


def test_the_toggle_takes_no_get(client, engineer):
    assert signed_in(client, engineer).get(reverse("queue_alerts")).status_code == 405


def test_the_poll_reports_a_new_ticket_and_a_new_chat(
    client,
    engineer,
    customer,
    open_chat,
    django_assert_max_num_queries,
):
    signed_in(client, engineer)
    before = client.get(reverse("queue_counters")).json()
    assert before["chats_waiting"] == 0 and before["newest_chat"] == 0

    ticket = make_ticket(customer=customer)
    chat = request_chat(customer)

    with django_assert_max_num_queries(4):  # session, user, the ticket figures, the chat figures
        after = client.get(reverse("queue_counters")).json()
    assert after["newest"] == ticket.pk > before["newest"]
    assert after["newest_chat"] == chat.pk
    assert after["chats_waiting"] == 1


def test_customers_cannot_poll_the_queue(client, customer, open_chat):
    request_chat(customer)

    assert signed_in(client, customer).get(reverse("queue_counters")).status_code == 403
