"""Ticket actions: start-work, downgrade, upgrade and status transitions."""

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from helpdesk.tickets.models import Ticket, TicketEvent
from helpdesk.tickets.services.tickets import ticket_start_work, ticket_transition
from tests.factories import make_ticket

URL = "/api/v1/tickets/"
H = 3600


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # DEBUG is off in tests, so production's HTTPS redirect would answer every request with a 301.
    settings.SECURE_SSL_REDIRECT = False


def _user(request, role):
    return None if role == "anonymous" else request.getfixturevalue(role)


def _state(ticket: Ticket) -> tuple:
    ticket.refresh_from_db()
    return (
        ticket.status,
        ticket.priority,
        ticket.work_started_at,
        ticket.work_started_deadline,
        ticket.downgrade_reason,
        ticket.events.count(),
    )


def _when(value: str) -> dt.datetime:
    return parse_datetime(value)


# --- start work ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["engineer", "billing_admin"])
def test_staff_start_work(request, api, ticket, role):
    response = api(_user(request, role)).post(f"{URL}{ticket.pk}/start-work/")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "work_started"
    assert response.json()["sla_state"] == "met"
    assert response.json()["work_started_at"] is not None


def test_start_work_twice_returns_the_same_instant_with_one_event(api, engineer, ticket):
    first = api(engineer).post(f"{URL}{ticket.pk}/start-work/")
    second = api(engineer).post(f"{URL}{ticket.pk}/start-work/")

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["work_started_at"] == second.json()["work_started_at"]
    assert TicketEvent.objects.filter(ticket=ticket, code="work_started").count() == 1


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("customer", 403), ("other_customer", 404)])
def test_start_work_refused_and_nothing_changed(request, api, ticket, role, status):
    before = _state(ticket)

    response = api(_user(request, role)).post(f"{URL}{ticket.pk}/start-work/")

    assert response.status_code == status
    assert _state(ticket) == before


def test_start_work_on_an_unknown_ticket_is_404(api, engineer):
    assert api(engineer).post(f"{URL}999999/start-work/").status_code == 404


def test_start_work_only_accepts_post(api, engineer, ticket):
    assert api(engineer).get(f"{URL}{ticket.pk}/start-work/").status_code == 405


# --- downgrade -----------------------------------------------------------------------------


def test_downgrade_recounts_the_deadline_from_creation_with_the_general_target(api, engineer, high_ticket):
    # given a High ticket on Advanced: 30 minutes
    created = high_ticket.created_at
    assert high_ticket.work_started_deadline == created + dt.timedelta(minutes=30)

    # when an engineer downgrades it
    response = api(engineer).post(
        f"{URL}{high_ticket.pk}/downgrade/",
        {"reason": "The shop is up; one page is slow."},
        format="json",
    )

    # then General's 6 hours count from creation, and the High deadline stays on record
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["priority"] == "general"
    assert body["downgraded_from"] == "high"
    assert body["downgrade_reason"] == "The shop is up; one page is slow."
    assert body["work_started_target"] == 6 * H
    assert _when(body["work_started_deadline"]) == created + dt.timedelta(hours=6)
    assert _when(body["previous_deadline"]) == created + dt.timedelta(minutes=30)
    assert TicketEvent.objects.filter(ticket=high_ticket, code="downgraded").count() == 1


@pytest.mark.parametrize("payload", [{}, {"reason": ""}, {"reason": "   "}, {"reason": None}])
def test_downgrade_needs_a_reason(api, engineer, high_ticket, payload):
    before = _state(high_ticket)

    response = api(engineer).post(f"{URL}{high_ticket.pk}/downgrade/", payload, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()
    assert _state(high_ticket) == before


@pytest.mark.parametrize("reason", ["x" * 2001, ["a", "list"], "null\x00", "escape\x1b"])
def test_downgrade_reason_must_be_sane_text(api, engineer, high_ticket, reason):
    before = _state(high_ticket)

    response = api(engineer).post(f"{URL}{high_ticket.pk}/downgrade/", {"reason": reason}, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()
    assert _state(high_ticket) == before


def test_downgrade_of_a_general_ticket_is_400(api, engineer, ticket):
    before = _state(ticket)

    response = api(engineer).post(f"{URL}{ticket.pk}/downgrade/", {"reason": "Why not"}, format="json")

    assert response.status_code == 400
    assert "priority" in response.json()
    assert _state(ticket) == before


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("customer", 403), ("other_customer", 404)])
def test_downgrade_refused_and_nothing_changed(request, api, high_ticket, role, status):
    before = _state(high_ticket)

    response = api(_user(request, role)).post(
        f"{URL}{high_ticket.pk}/downgrade/", {"reason": "Not urgent"}, format="json"
    )

    assert response.status_code == status
    assert _state(high_ticket) == before


def test_downgrade_reason_with_markup_is_returned_verbatim(api, engineer, high_ticket):
    reason = "<b>not</b> down'; --"

    response = api(engineer).post(f"{URL}{high_ticket.pk}/downgrade/", {"reason": reason}, format="json")

    assert response.json()["downgrade_reason"] == reason


# --- upgrade -------------------------------------------------------------------------------


def test_upgrade_gives_the_high_target_from_now(api, engineer, customer):
    # given a General ticket opened two hours ago
    ticket = make_ticket(
        customer=customer, now=timezone.now() - dt.timedelta(hours=2), affected_service="Mail"
    )

    # when an engineer upgrades it
    before = timezone.now()
    response = api(engineer).post(
        f"{URL}{ticket.pk}/upgrade/", {"reason": "Mail is down for everyone."}, format="json"
    )
    after = timezone.now()

    # then the deadline is the upgrade instant plus Advanced's 30 minutes
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["priority"] == "high"
    assert body["work_started_target"] == 30 * 60
    deadline = _when(body["work_started_deadline"])
    assert before + dt.timedelta(minutes=30) <= deadline <= after + dt.timedelta(minutes=30)
    assert _when(body["previous_deadline"]) == ticket.created_at + dt.timedelta(hours=6)
    assert body["service_unavailable"] is True


def test_upgrade_names_the_service_when_the_ticket_had_none(api, engineer, ticket):
    response = api(engineer).post(
        f"{URL}{ticket.pk}/upgrade/", {"reason": "Down", "affected_service": "VPN"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["affected_service"] == "VPN"


def test_upgrade_needs_a_service(api, engineer, ticket):
    before = _state(ticket)

    response = api(engineer).post(f"{URL}{ticket.pk}/upgrade/", {"reason": "Down"}, format="json")

    assert response.status_code == 400
    assert "affected_service" in response.json()
    assert _state(ticket) == before


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"affected_service": "VPN"}, "reason"),
        ({"reason": "", "affected_service": "VPN"}, "reason"),
        ({"reason": "Down", "affected_service": "x" * 201}, "affected_service"),
        ({"reason": "Down", "affected_service": ["VPN"]}, "affected_service"),
    ],
)
def test_upgrade_with_bad_input_is_400(api, engineer, ticket, payload, field):
    before = _state(ticket)

    response = api(engineer).post(f"{URL}{ticket.pk}/upgrade/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert _state(ticket) == before


def test_upgrade_of_a_high_ticket_is_400(api, engineer, high_ticket):
    before = _state(high_ticket)

    response = api(engineer).post(f"{URL}{high_ticket.pk}/upgrade/", {"reason": "More!"}, format="json")

    assert response.status_code == 400
    assert "priority" in response.json()
    assert _state(high_ticket) == before


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("customer", 403), ("other_customer", 404)])
def test_upgrade_refused_and_nothing_changed(request, api, ticket, role, status):
    before = _state(ticket)

    response = api(_user(request, role)).post(
        f"{URL}{ticket.pk}/upgrade/", {"reason": "Please", "affected_service": "Web"}, format="json"
    )

    assert response.status_code == status
    assert _state(ticket) == before


def test_downgraded_ticket_cannot_be_raised_back_by_the_customer(api, engineer, customer, high_ticket):
    api(engineer).post(f"{URL}{high_ticket.pk}/downgrade/", {"reason": "Not down"}, format="json")

    response = api(customer).post(
        f"{URL}{high_ticket.pk}/upgrade/",
        {"reason": "It is!", "affected_service": "Shop"},
        format="json",
    )

    assert response.status_code == 403
    high_ticket.refresh_from_db()
    assert high_ticket.priority == "general"


# --- transitions ---------------------------------------------------------------------------


def test_engineer_resolves_a_started_ticket(api, engineer, ticket):
    ticket_start_work(ticket=ticket, actor=engineer)

    response = api(engineer).post(
        f"{URL}{ticket.pk}/transition/",
        {"status": "resolved", "reason": "Fixed the config."},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "resolved"
    assert response.json()["resolved_at"] is not None
    event = TicketEvent.objects.get(ticket=ticket, code="resolved")
    assert event.data["reason"] == "Fixed the config."


def test_engineer_waits_on_the_customer_and_resumes(api, engineer, ticket):
    ticket_start_work(ticket=ticket, actor=engineer)
    client = api(engineer)

    waiting = client.post(f"{URL}{ticket.pk}/transition/", {"status": "waiting_on_customer"})
    resumed = client.post(f"{URL}{ticket.pk}/transition/", {"status": "work_started"})

    assert waiting.json()["status"] == "waiting_on_customer"
    assert resumed.json()["status"] == "work_started"


def test_transition_from_new_to_work_started_is_start_work(api, engineer, ticket):
    response = api(engineer).post(f"{URL}{ticket.pk}/transition/", {"status": "work_started"})

    assert response.status_code == 200
    assert response.json()["work_started_at"] is not None
    assert TicketEvent.objects.filter(ticket=ticket, code="work_started").count() == 1


def test_illegal_transition_is_409_and_nothing_changes(api, engineer, ticket):
    before = _state(ticket)

    response = api(engineer).post(f"{URL}{ticket.pk}/transition/", {"status": "resolved"})

    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert "detail" in response.json()
    assert _state(ticket) == before


def test_closed_ticket_cannot_reopen(api, engineer, ticket):
    ticket_start_work(ticket=ticket, actor=engineer)
    ticket_transition(ticket=ticket, actor=engineer, to_status="resolved")
    ticket_transition(ticket=ticket, actor=engineer, to_status="closed")

    response = api(engineer).post(f"{URL}{ticket.pk}/transition/", {"status": "work_started"})

    assert response.status_code == 409


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "status"),
        ({"status": "done"}, "status"),
        ({"status": ["resolved"]}, "status"),
        ({"status": "resolved", "reason": "x" * 2001}, "reason"),
        ({"status": "resolved", "reason": "bad\x00"}, "reason"),
    ],
)
def test_transition_with_bad_input_is_400(api, engineer, ticket, payload, field):
    ticket_start_work(ticket=ticket, actor=engineer)
    before = _state(ticket)

    response = api(engineer).post(f"{URL}{ticket.pk}/transition/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert _state(ticket) == before


@pytest.mark.parametrize("to_status", ["closed", "work_started"])
def test_customer_closes_or_reopens_their_resolved_ticket(api, engineer, customer, ticket, to_status):
    ticket_start_work(ticket=ticket, actor=engineer)
    ticket_transition(ticket=ticket, actor=engineer, to_status="resolved")

    response = api(customer).post(f"{URL}{ticket.pk}/transition/", {"status": to_status})

    assert response.status_code == 200
    assert response.json()["status"] == to_status


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("customer", 403), ("other_customer", 404)])
def test_only_staff_resolve(request, api, engineer, ticket, role, status):
    ticket_start_work(ticket=ticket, actor=engineer)
    before = _state(ticket)

    response = api(_user(request, role)).post(f"{URL}{ticket.pk}/transition/", {"status": "resolved"})

    assert response.status_code == status
    assert _state(ticket) == before
