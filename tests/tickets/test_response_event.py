"""What stops the response clock is a plan term: `response_event` (work_started or first_reply)."""

import datetime as dt

import pytest
from django.utils.dateparse import parse_datetime

from helpdesk.tickets.models import Ticket
from helpdesk.tickets.services.messages import message_create
from helpdesk.tickets.services.tickets import ticket_log_call, ticket_start_work
from sla.clocks.models import Miss
from sla.clocks.services.misses import misses_record_due
from sla.terms.models import Plan, ResponseEvent
from sla.terms.seeds import seed_plans
from tests.factories import AccountFactory, CustomerFactory, fast_plan, make_ticket

pytestmark = pytest.mark.django_db

URL = "/api/v1/tickets/"
T0 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)
M = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def reply_customer(db):
    """A customer on a plan whose clock stops only when the customer is answered (one hour)."""
    plan = fast_plan(3600, code="reply-hour")
    plan.response_event = ResponseEvent.FIRST_REPLY
    plan.save()
    return CustomerFactory(account=AccountFactory(plan=plan))


@pytest.fixture
def reply_ticket(reply_customer):
    return make_ticket(customer=reply_customer, now=T0)


def _user(request, role):
    return None if role == "anonymous" else request.getfixturevalue(role)


def test_seed_004s_plan_waits_for_a_reply_and_seed_000s_plans_for_work_started(db):
    seed_plans()

    events = dict(Plan.objects.values_list("code", "response_event"))

    assert events == {
        "standard": "work_started",
        "advanced": "work_started",
        "premium": "work_started",
        "business": "first_reply",
    }


def test_on_a_first_reply_plan_start_work_alone_leaves_the_clock_running(reply_ticket, engineer):
    ticket = ticket_start_work(ticket=reply_ticket, actor=engineer, now=T0 + 5 * M)

    assert ticket.status == "work_started" and ticket.work_started_at == T0 + 5 * M
    assert ticket.responded_at is None and ticket.miss_pending
    assert ticket.sla_state(T0 + 10 * M) == "running"
    assert misses_record_due(now=T0 + 61 * M) == 1
    assert Miss.objects.get(ticket=ticket).counted


def test_an_internal_note_does_not_stop_it_and_the_first_public_reply_does(reply_ticket, engineer):
    ticket_start_work(ticket=reply_ticket, actor=engineer, now=T0 + 5 * M)

    message_create(
        ticket=reply_ticket, author=engineer, body="Looking at logs", public=False, now=T0 + 10 * M
    )
    assert Ticket.objects.get(pk=reply_ticket.pk).responded_at is None

    message_create(ticket=reply_ticket, author=engineer, body="We are on it.", now=T0 + 20 * M)
    ticket = Ticket.objects.get(pk=reply_ticket.pk)
    assert ticket.responded_at == T0 + 20 * M and not ticket.miss_pending
    assert ticket.sla_state(T0 + 2 * 60 * M) == "met"
    assert ticket.events.get(code="responded").data["how"] == "reply"

    message_create(ticket=reply_ticket, author=engineer, body="Fixed.", now=T0 + 30 * M)
    assert Ticket.objects.get(pk=reply_ticket.pk).responded_at == T0 + 20 * M
    assert misses_record_due(now=T0 + 2 * 60 * M) == 0


def test_a_customers_own_reply_stops_nothing(reply_ticket, reply_customer):
    message_create(ticket=reply_ticket, author=reply_customer, body="Any news?", now=T0 + 10 * M)

    assert Ticket.objects.get(pk=reply_ticket.pk).responded_at is None


def test_a_late_first_reply_records_the_miss_with_its_lateness(reply_ticket, engineer):
    ticket_start_work(ticket=reply_ticket, actor=engineer, now=T0 + 5 * M)

    message_create(ticket=reply_ticket, author=engineer, body="Sorry for the wait.", now=T0 + 70 * M)

    miss = Miss.objects.get(ticket=reply_ticket)
    assert (miss.counted, miss.deadline, miss.lateness_seconds) == (True, T0 + 60 * M, 600)


def test_a_logged_call_to_the_customer_stops_the_clock_and_starts_work(reply_ticket, engineer):
    ticket = ticket_log_call(
        ticket=reply_ticket, actor=engineer, summary="Called ops, explained", now=T0 + 7 * M
    )

    assert ticket.responded_at == ticket.work_started_at == T0 + 7 * M
    assert ticket.events.get(code="call_logged").data["summary"] == "Called ops, explained"
    assert ticket.events.get(code="responded").data["how"] == "phone"


def test_on_a_work_started_plan_start_work_stops_the_clock(ticket, engineer):
    started = ticket_start_work(ticket=ticket, actor=engineer, now=ticket.created_at + M)

    assert started.responded_at == started.work_started_at == ticket.created_at + M
    assert not started.miss_pending


# --- the API --------------------------------------------------------------------------------


def test_the_ticket_api_shows_responded_at_beside_work_started_at(api, reply_customer, engineer):
    reply_ticket = make_ticket(customer=reply_customer)
    started = api(engineer).post(f"{URL}{reply_ticket.pk}/start-work/")
    assert started.status_code == 200
    assert started.json()["work_started_at"] and started.json()["responded_at"] is None

    called = api(engineer).post(f"{URL}{reply_ticket.pk}/log-call/", {"summary": "Rang them"}, format="json")

    assert called.status_code == 200, called.json()
    body = api(reply_customer).get(f"{URL}{reply_ticket.pk}/").json()
    assert parse_datetime(body["responded_at"]) == Ticket.objects.get(pk=reply_ticket.pk).responded_at
    assert body["sla_state"] == "met"


def _state(ticket):
    ticket.refresh_from_db()
    return (ticket.status, ticket.work_started_at, ticket.responded_at, ticket.events.count())


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 403),
        ("other_customer", 404),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_log_call_permission_matrix(request, api, ticket, role, status):
    before = _state(ticket)

    response = api(_user(request, role)).post(
        f"{URL}{ticket.pk}/log-call/", {"summary": "Rang"}, format="json"
    )

    assert response.status_code == status
    if status != 200:
        assert _state(ticket) == before
    else:
        assert _state(ticket)[2] is not None


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"summary": ""},
        {"summary": "   "},
        {"summary": "x" * 2001},
        {"summary": ["a"]},
        {"summary": "bell\x07"},
    ],
)
def test_log_call_bad_input_is_a_400_that_changes_nothing(api, engineer, ticket, payload):
    before = _state(ticket)

    response = api(engineer).post(f"{URL}{ticket.pk}/log-call/", payload, format="json")

    assert response.status_code == 400 and "summary" in response.json()
    assert _state(ticket) == before


def test_hostile_text_in_a_call_summary_is_kept_verbatim(api, engineer, ticket):
    summary = "<script>alert(1)</script>'; DROP TABLE tickets; --"

    response = api(engineer).post(f"{URL}{ticket.pk}/log-call/", {"summary": summary}, format="json")

    assert response.status_code == 200
    assert ticket.events.get(code="call_logged").data["summary"] == summary
