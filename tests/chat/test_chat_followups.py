"""Live chat follow-ups: a transcript too long for a ticket description, and reaching the chat history."""

import re
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from helpdesk.chat.models import ChatMessage, ChatSession
from helpdesk.chat.selectors import chat_transcript
from helpdesk.chat.services.chats import DESCRIPTION_LIMIT, chat_post
from helpdesk.chat.services.escalation import chat_escalate
from helpdesk.tickets.models import Ticket
from tests.chat import test_chat_fixtures as chat_fixtures
from tests.chat.test_chat_fixtures import active_chat, request_chat

# Fixtures shared by the chat tests.
coworker = chat_fixtures.coworker
open_chat = chat_fixtures.open_chat

pytestmark = pytest.mark.django_db

ZONE = "Europe/Berlin"
HEADER = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \w+)\] (.+):$", re.MULTILINE)


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.SECURE_SSL_REDIRECT = False
    settings.SUPPORT_TIME_ZONE = ZONE


def browser(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _download(user, attachment_id: int) -> str:
    response = browser(user).get(reverse("attachment_download", args=[attachment_id]))
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8")


def _long_conversation(customer, engineer, *, messages: int = 12, size: int = 2500) -> ChatSession:
    """A running chat whose spoken lines alone are longer than a ticket description."""
    session = active_chat(customer, engineer, topic="Backups fail")
    for n in range(messages):
        author = customer if n % 2 == 0 else engineer
        chat_post(session=session, author=author, body=f"<line {n:02d}> " + "ü" * size + f" </line {n:02d}>")
    return session


# --- a transcript longer than a ticket description ---------------------------------------------


def test_a_long_chat_becomes_a_ticket_whose_description_says_where_the_rest_is(
    api, open_chat, customer, engineer
):
    session = _long_conversation(customer, engineer)

    response = api(customer).post(f"/api/v1/chats/{session.pk}/escalate/")

    assert response.status_code == 201, response.json()
    body = response.json()
    ticket = Ticket.objects.get(pk=body["id"])
    name = f"chat-{session.pk}-transcript.txt"
    description = body["description"]
    # Cut to fit, saying so and naming the file that holds all of it.
    assert len(description) <= DESCRIPTION_LIMIT == 20_000
    assert description.startswith(f"Live chat #{session.pk}")
    assert description.endswith(
        f"[The transcript is longer than a ticket description holds; all of it is attached as {name}.]"
    )
    assert "<line 00>" in description and "</line 11>" not in description
    attachment = ticket.attachments.get()
    assert attachment.filename == name and attachment.content_type == "text/plain"
    assert attachment.message_id is None  # on the ticket itself, shown under its description
    assert body["chat"] == session.pk


def test_the_attached_transcript_holds_every_message_with_its_time_and_author(
    api, open_chat, customer, engineer
):
    session = _long_conversation(customer, engineer)
    ticket_id = api(engineer).post(f"/api/v1/chats/{session.pk}/escalate/").json()["id"]
    attachment = Ticket.objects.get(pk=ticket_id).attachments.get()

    # The customer downloads it like any attachment of their ticket.
    text = _download(customer, attachment.pk)

    spoken = list(ChatMessage.objects.filter(session=session, kind="message").select_related("author"))
    assert len(spoken) == 12
    headers = HEADER.findall(text)
    zone = ZoneInfo(ZONE)
    assert headers == [
        (
            message.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z"),
            message.author.display_name + (" (support)" if message.author.is_support_staff else ""),
        )
        for message in spoken
    ]
    for message in spoken:
        assert message.body in text
    assert len(text) > DESCRIPTION_LIMIT
    assert attachment.size == len(text.encode("utf-8"))
    # The description is the transcript's beginning, word for word.
    description = Ticket.objects.get(pk=ticket_id).description
    head = description[: description.rindex("\n\n[The transcript is longer")]
    assert text.startswith(head)


def test_the_attachment_is_the_ticket_accounts_only(
    api, open_chat, customer, coworker, engineer, other_customer
):
    session = _long_conversation(customer, engineer)
    ticket_id = api(customer).post(f"/api/v1/chats/{session.pk}/escalate/").json()["id"]
    attachment = Ticket.objects.get(pk=ticket_id).attachments.get()
    url = reverse("attachment_download", args=[attachment.pk])

    assert browser(coworker).get(url).status_code == 200
    assert browser(engineer).get(url).status_code == 200
    assert browser(other_customer).get(url).status_code == 404


def test_a_chat_that_fits_is_the_description_itself(api, open_chat, customer, engineer):
    session = _long_conversation(customer, engineer, messages=4, size=1000)

    body = api(customer).post(f"/api/v1/chats/{session.pk}/escalate/").json()

    assert "attached as" not in body["description"]
    assert all(f"</line {n:02d}>" in body["description"] for n in range(4))
    assert not Ticket.objects.get(pk=body["id"]).attachments.exists()


def test_a_transcript_larger_than_one_attachment_is_split_into_parts(
    api, settings, open_chat, customer, engineer
):
    """A long session must still turn into a ticket when its transcript exceeds the upload limit."""
    settings.ATTACHMENT_MAX_BYTES = 16_000
    session = _long_conversation(customer, engineer, messages=12, size=2500)  # about 62 kB in UTF-8

    response = api(customer).post(f"/api/v1/chats/{session.pk}/escalate/")

    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get(pk=response.json()["id"])
    parts = list(ticket.attachments.order_by("filename"))
    assert len(parts) > 1
    total = len(parts)
    assert [p.filename for p in parts] == [
        f"chat-{session.pk}-transcript-part-{n}-of-{total}.txt" for n in range(1, total + 1)
    ]
    assert all(0 < p.size <= settings.ATTACHMENT_MAX_BYTES for p in parts)
    whole = "".join(_download(customer, p.pk) for p in parts)
    assert whole == chat_transcript(ChatSession.objects.get(pk=session.pk))
    for n in range(12):
        assert f"<line {n:02d}> " + "ü" * 2500 + f" </line {n:02d}>" in whole
    description = response.json()["description"]
    assert description.endswith(
        f"all of it is attached in {total} parts, chat-{session.pk}-transcript-part-1-of-{total}.txt "
        f"to chat-{session.pk}-transcript-part-{total}-of-{total}.txt.]"
    )
    assert len(description) <= DESCRIPTION_LIMIT


def test_a_service_escalation_of_a_long_chat_is_the_same(open_chat, customer, engineer):
    session = _long_conversation(customer, engineer)

    ticket, created = chat_escalate(session=session, actor=customer)
    again, created_again = chat_escalate(session=session, actor=engineer)

    assert created and not created_again and again.pk == ticket.pk
    assert ticket.attachments.count() == 1


# --- the chat history is reachable from the navigation -------------------------------------------


def _links(html: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', html))


def test_a_customer_reaches_the_chat_history_from_the_portal(open_chat, customer, engineer):
    session = active_chat(customer, engineer, topic="Printer")
    chat_escalate(session=session, actor=customer)
    client = browser(customer)

    portal = client.get(reverse("portal")).content.decode()
    assert reverse("chat_portal") in _links(portal)  # "Live chat" in the main navigation
    chat_page = client.get(reverse("chat_portal")).content.decode()
    assert reverse("chat_history") in _links(chat_page)
    history = client.get(reverse("chat_history"))

    assert history.status_code == 200
    assert reverse("chat_detail", args=[session.pk]) in _links(history.content.decode())


def test_a_customer_with_a_chat_open_still_reaches_the_history(open_chat, customer):
    session = request_chat(customer)
    client = browser(customer)

    response = client.get(reverse("chat_portal"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("chat_detail", args=[session.pk])
    assert reverse("chat_history") in _links(response.content.decode())


def test_a_customer_reaches_the_history_from_an_escalated_ticket(open_chat, customer, engineer):
    session = active_chat(customer, engineer)
    ticket, _ = chat_escalate(session=session, actor=engineer)
    client = browser(customer)

    ticket_page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    chat_page = client.get(reverse("chat_detail", args=[session.pk])).content.decode()

    assert reverse("chat_detail", args=[session.pk]) in _links(ticket_page)
    assert reverse("chat_history") in _links(chat_page)


@pytest.mark.parametrize("role", ["engineer", "billing_admin"])
def test_staff_reach_the_chat_history_from_the_queue(request, open_chat, customer, engineer, role):
    session = active_chat(customer, engineer, topic="Printer")
    ticket, _ = chat_escalate(session=session, actor=engineer)
    client = browser(request.getfixturevalue(role))

    queue = client.get(reverse("queue")).content.decode()
    assert reverse("chat_console") in _links(queue)  # "Chats" in the main navigation
    console = client.get(reverse("chat_console")).content.decode()
    assert reverse("chat_history") in _links(console)
    history = client.get(reverse("chat_history"))

    assert history.status_code == 200
    html = history.content.decode()
    assert reverse("chat_detail", args=[session.pk]) in _links(html)
    assert reverse("ticket_detail", args=[ticket.pk]) in _links(html)


def test_a_transcript_too_large_for_every_part_is_refused_and_nothing_changes(
    api, settings, open_chat, customer, engineer
):
    settings.ATTACHMENT_MAX_BYTES = 2_000  # the transcript would need more parts than a ticket takes
    session = _long_conversation(customer, engineer)

    response = api(customer).post(f"/api/v1/chats/{session.pk}/escalate/")

    assert response.status_code == 409
    assert "too long to attach" in response.json()["detail"]
    assert not Ticket.objects.exists()
    assert ChatSession.objects.get(pk=session.pk).status == "active"  # the end rolled back too
