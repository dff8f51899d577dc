"""Live chat pages: the permission matrix of every page and action, what each shows, bad input."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from helpdesk.chat.models import ChatMessage, ChatSession
from helpdesk.chat.services.chats import chat_end, chat_post
from helpdesk.tickets.models import Ticket
from sla.terms.models import Plan
from tests.chat import test_chat_fixtures as chat_fixtures
from tests.chat.test_chat_fixtures import active_chat, request_chat, user_for
from tests.factories import AccountFactory, CustomerFactory, EngineerFactory

# Fixtures shared by the chat tests.
coworker = chat_fixtures.coworker
open_chat = chat_fixtures.open_chat

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False
    settings.SUPPORT_TIME_ZONE = "UTC"


def browser(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def as_role(request, role: str) -> Client:
    if role == "other_engineer":
        return browser(EngineerFactory())
    return browser(user_for(request, role))


def assert_login_redirect(response):
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.fixture
def waiting(open_chat, customer):
    return request_chat(customer, topic="Invoices", message="The invoice export is empty.")


@pytest.fixture
def running(open_chat, customer, engineer):
    return active_chat(customer, engineer, topic="Invoices", message="The invoice export is empty.")


# --- the customer's way in -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status", [("anonymous", 302), ("customer", 200), ("engineer", 403), ("billing_admin", 403)]
)
def test_chat_portal_matrix(request, open_chat, role, status):
    response = as_role(request, role).get("/portal/chat/")

    if status == 302:
        assert_login_redirect(response)
    else:
        assert response.status_code == status


def test_inside_hours_the_customer_starts_a_chat(open_chat, customer):
    client = browser(customer)
    page = client.get("/portal/chat/")
    assert b"Start chat" in page.content and b"no engineer is at the console" in page.content
    assert b'href="/portal/chat/"' in page.content  # the nav link

    response = client.post("/portal/chat/", {"topic": "Invoices", "message": "Export is empty."})

    session = ChatSession.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/chats/{session.pk}/"
    assert session.customer == customer and session.messages.get().body == "Export is empty."
    # With a chat open, the way in leads back to it.
    assert client.get("/portal/chat/")["Location"] == f"/chats/{session.pk}/"


@pytest.mark.parametrize(
    "data, field", [({"topic": "x" * 201}, "topic"), ({"message": "bell \x07"}, "message")]
)
def test_a_bad_request_form_is_400_with_the_field_named(open_chat, customer, data, field):
    response = browser(customer).post("/portal/chat/", data)

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not ChatSession.objects.exists()


def test_outside_hours_the_portal_says_when_chat_opens_in_the_customers_zone(plans, customer):
    customer.timezone = "America/New_York"
    customer.save(update_fields=["timezone"])
    saturday = dt.datetime(2026, 3, 7, 11, 0, tzinfo=dt.UTC)

    with time_machine.travel(saturday, tick=False):
        page = browser(customer).get("/portal/chat/")
        refused = browser(customer).post("/portal/chat/", {"topic": "Help"})

    text = page.content.decode()
    assert page.status_code == 200
    assert "Live chat is closed right now" in text
    # Monday 08:00 UTC is 04:00 in New York, which moved to daylight time that Sunday.
    assert "Monday 9 March, 04:00 EDT" in text
    assert 'href="/portal/tickets/new/"' in text  # the ticket form instead
    assert b"Start chat" not in page.content
    assert refused.status_code == 409 and not ChatSession.objects.exists()


def test_a_plan_without_chat_offers_the_ticket_form(plans, customer):
    account = customer.account
    account.plan = Plan.objects.get(code="business")
    account.save(update_fields=["plan"])

    page = browser(customer).get("/portal/chat/")

    assert b"Your plan has no live chat" in page.content
    assert b'href="/portal/tickets/new/"' in page.content


# --- one chat ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 302),
        ("customer", 200),
        ("coworker", 200),
        ("other_customer", 404),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_chat_page_matrix(request, running, role, status):
    response = as_role(request, role).get(f"/chats/{running.pk}/")

    if status == 302:
        assert_login_redirect(response)
        return
    assert response.status_code == status
    if status == 200:
        assert b"The invoice export is empty." in response.content
        live = b'data-socket-path="/ws/chats/' in response.content
        composer = b"data-chat-composer" in response.content
        assert live is (role in ("customer", "engineer", "billing_admin"))
        assert composer is (role in ("customer", "engineer"))  # only the parties write


def test_the_chat_page_shows_position_countdown_and_escapes_what_was_written(running, customer, open_chat):
    chat_post(session=running, author=customer, body="<script>alert('x')</script>")
    waiting_customer = CustomerFactory(account=AccountFactory(plan=open_chat["advanced"]))
    second = request_chat(waiting_customer)

    page = browser(customer).get(f"/chats/{running.pk}/").content.decode()
    queued_page = browser(waiting_customer).get(f"/chats/{second.pk}/").content.decode()

    assert "<script>alert" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    ends = timezone.localtime(running.ends_at, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f'data-ends-at="{ends}"' in page
    assert 'src="/static/pledge/chat.js"' in page
    assert "You are number <strong data-chat-position>1</strong> in line" in queued_page


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 302),
        ("customer", 403),
        ("coworker", 403),
        ("other_customer", 404),
        ("engineer", 302),
        ("billing_admin", 302),
    ],
)
def test_accept_page_action_matrix(request, waiting, role, status):
    response = as_role(request, role).post(f"/chats/{waiting.pk}/accept/")

    stored = ChatSession.objects.get(pk=waiting.pk)
    if role == "anonymous":
        assert_login_redirect(response)
    else:
        assert response.status_code == status
    if status == 302 and role != "anonymous":
        assert response["Location"] == f"/chats/{waiting.pk}/"
        assert stored.status == "active"
    else:
        assert stored.status == "queued"


def test_accepting_a_taken_chat_on_the_page_is_409(running):
    response = browser(EngineerFactory()).post(f"/chats/{running.pk}/accept/")

    assert response.status_code == 409
    assert b"Another engineer took this chat already." in response.content


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 302),
        ("customer", 302),
        ("coworker", 403),
        ("other_customer", 404),
        ("engineer", 302),
        ("billing_admin", 302),
    ],
)
def test_end_page_action_matrix(request, running, role, status):
    response = as_role(request, role).post(f"/chats/{running.pk}/end/")

    ended = ChatSession.objects.get(pk=running.pk).status == "ended"
    if role == "anonymous":
        assert_login_redirect(response)
        assert not ended
    else:
        assert response.status_code == status
        assert ended is (status == 302)


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 302),
        ("customer", 302),
        ("coworker", 403),
        ("other_customer", 404),
        ("engineer", 302),
        ("billing_admin", 302),
    ],
)
def test_escalate_page_action_matrix(request, running, role, status):
    response = as_role(request, role).post(f"/chats/{running.pk}/escalate/")

    if role == "anonymous":
        assert_login_redirect(response)
        assert not Ticket.objects.exists()
        return
    assert response.status_code == status
    if status == 302:
        ticket = Ticket.objects.get()
        assert response["Location"] == f"/tickets/{ticket.pk}/"
        assert "The invoice export is empty." in ticket.description
        again = as_role(request, role).post(f"/chats/{running.pk}/escalate/")
        assert again["Location"] == f"/tickets/{ticket.pk}/" and Ticket.objects.count() == 1
    else:
        assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 302),
        ("customer", 302),
        ("coworker", 403),
        ("other_customer", 404),
        ("engineer", 302),
        ("billing_admin", 403),
        ("other_engineer", 403),
    ],
)
def test_post_message_page_action_matrix(request, running, role, status):
    before = ChatMessage.objects.count()

    response = as_role(request, role).post(f"/chats/{running.pk}/messages/", {"body": "From the page"})

    if role == "anonymous":
        assert_login_redirect(response)
    else:
        assert response.status_code == status
    assert ChatMessage.objects.count() == before + (1 if status == 302 and role != "anonymous" else 0)


@pytest.mark.parametrize("body", ["", "x" * 5001, "nul \x00"])
def test_bad_message_on_the_page_is_400_and_writes_nothing(running, customer, body):
    before = ChatMessage.objects.count()

    response = browser(customer).post(f"/chats/{running.pk}/messages/", {"body": body})

    assert response.status_code == 400
    assert ChatMessage.objects.count() == before


def test_posting_on_the_page_after_the_end_is_409(running, customer):
    chat_end(session=running, actor=customer)

    response = browser(customer).post(f"/chats/{running.pk}/messages/", {"body": "Hello?"})

    assert response.status_code == 409
    assert b"This chat has ended" in response.content
    page = browser(customer).get(f"/chats/{running.pk}/").content
    assert b"data-chat-composer" not in page
    assert b"Not solved yet?" in page  # the offer to turn it into a ticket


# --- engineers' console ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 302),
        ("customer", 403),
        ("other_customer", 403),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
@pytest.mark.parametrize("path", ["/chats/", "/chats/live/"])
def test_console_matrix(request, open_chat, role, status, path):
    response = as_role(request, role).get(path)

    if status == 302:
        assert_login_redirect(response)
    else:
        assert response.status_code == status


def test_the_console_lists_waiting_chats_with_plan_account_and_wait_and_running_sessions(
    open_chat, engineer, running
):
    standard = CustomerFactory(account=AccountFactory(plan=open_chat["standard"], name="Initech"))
    premium = CustomerFactory(account=AccountFactory(plan=open_chat["premium"], name="Globex"))
    request_chat(standard, topic="First in line")
    request_chat(premium, topic="Second in line")

    page = browser(engineer).get("/chats/").content.decode()

    waiting = page[page.index("data-chat-waiting-list") : page.index("data-chat-active-list")]
    assert waiting.index("First in line") < waiting.index("Second in line")
    assert "Initech" in waiting and "Standard" in waiting and "Globex" in waiting and "Premium" in waiting
    assert "data-chat-since=" in waiting
    running_part = page[page.index("data-chat-active-list") :]
    assert f"/chats/{running.pk}/" in running_part and "data-ends-at=" in running_part
    assert 'data-socket-path="/ws/chats/"' in page
    assert b"data-chat-waiting-list" in browser(engineer).get("/chats/live/").content


# --- history and phone calls ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status, sees",
    [
        ("anonymous", 302, None),
        ("customer", 200, True),
        ("coworker", 200, True),
        ("other_customer", 200, False),
        ("engineer", 200, True),
        ("billing_admin", 200, True),
    ],
)
def test_history_matrix(request, running, role, status, sees):
    response = as_role(request, role).get("/chats/history/")

    if status == 302:
        assert_login_redirect(response)
        return
    assert response.status_code == status
    assert (f'href="/chats/{running.pk}/"' in response.content.decode()) is sees


def test_staff_filter_the_history_by_account(running, engineer, other_customer, open_chat):
    theirs = request_chat(other_customer, topic="Theirs")

    filtered = browser(engineer).get("/chats/history/", {"account": running.account_id}).content.decode()
    bad = browser(engineer).get("/chats/history/", {"account": "nope"})

    assert f"/chats/{running.pk}/" in filtered and f"/chats/{theirs.pk}/" not in filtered
    assert bad.status_code == 400


@pytest.mark.parametrize(
    "role, status",
    [("anonymous", 302), ("customer", 403), ("engineer", 200), ("billing_admin", 200)],
)
def test_phone_page_matrix(request, account, role, status):
    response = as_role(request, role).get("/chats/phone/")

    if status == 302:
        assert_login_redirect(response)
    else:
        assert response.status_code == status


def test_staff_log_a_phone_call_on_the_page(account, engineer):
    started = timezone.localtime(timezone.now() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")

    response = browser(engineer).post(
        "/chats/phone/",
        {
            "account": account.pk,
            "caller": "Dana",
            "started_at": started,
            "duration_minutes": 15,
            "notes": "Asked about the export.",
        },
    )

    call = ChatSession.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/chats/{call.pk}/"
    assert call.kind == "phone" and call.duration_seconds == 15 * 60
    page = browser(engineer).get(f"/chats/{call.pk}/").content.decode()
    assert "Asked about the export." in page and "Turn into ticket" in page


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"caller": ""}, "caller"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"started_at": "tomorrow"}, "started_at"),
        ({"account": 999999}, "account"),
    ],
)
def test_bad_phone_calls_on_the_page_are_400(account, engineer, changes, field):
    started = timezone.localtime(timezone.now() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    data = {"account": account.pk, "caller": "Dana", "started_at": started, "duration_minutes": 5}

    response = browser(engineer).post("/chats/phone/", {**data, **changes})

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not ChatSession.objects.exists()


def test_nav_links_lead_to_chat(open_chat, customer, engineer):
    assert b'href="/portal/chat/"' in browser(customer).get("/portal/").content
    assert b'href="/chats/"' in browser(engineer).get("/queue/").content
