""" "Engineers are online" only while an engineer has the chat console open (seen in the last minute)."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from helpdesk.chat.models import ConsolePresence
from helpdesk.chat.selectors import ONLINE_SECONDS, engineers_online
from tests.chat import test_chat_fixtures as chat_fixtures
from tests.factories import EngineerFactory

pytestmark = pytest.mark.django_db
open_chat = chat_fixtures.open_chat


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def chat_page(customer) -> str:
    return signed_in(customer).get("/portal/chat/").content.decode()


def test_nobody_at_the_console_means_no_online_claim(open_chat, customer, engineer):
    page = chat_page(customer)

    assert "Engineers are online" not in page
    assert "no engineer is at the console right now" in page
    assert "Start chat" in page  # the customer may still ask


@pytest.mark.parametrize("path", ["/chats/", "/chats/live/"])
def test_an_engineer_with_the_console_open_is_online_until_it_goes_quiet(open_chat, customer, engineer, path):
    assert signed_in(engineer).get(path).status_code == 200

    assert "Engineers are online" in chat_page(customer)

    # A console not heard from for longer than the limit has been closed
    ConsolePresence.objects.filter(user=engineer).update(
        seen_at=timezone.now() - dt.timedelta(seconds=ONLINE_SECONDS + 1)
    )
    assert "Engineers are online" not in chat_page(customer)


def test_a_deactivated_engineer_does_not_count(open_chat, customer):
    gone = EngineerFactory()
    signed_in(gone).get("/chats/live/")
    gone.is_active = False
    gone.save()

    assert engineers_online(now=timezone.now()) == 0
    assert "Engineers are online" not in chat_page(customer)


def test_customers_do_not_mark_themselves_online(open_chat, customer):
    assert signed_in(customer).get("/chats/live/").status_code == 403
    assert not ConsolePresence.objects.exists()


def test_outside_chat_hours_no_one_is_claimed_online(plans, customer, engineer):
    signed_in(engineer).get("/chats/live/")

    page = chat_page(customer)

    assert "Engineers are online" not in page
