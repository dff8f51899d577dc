"""POST /api/v1/tickets/{id}/reclassify/ {severity, reason}: recounted from creation, closed once settled."""

import datetime as dt

import pytest
import time_machine

from billing.services.invoices import month_close
from helpdesk.tickets.models import TicketEvent
from helpdesk.tickets.services.tickets import ticket_start_work, ticket_transition
from sla.clocks.models import Miss
from sla.clocks.services.misses import misses_record_due
from sla.terms.models import Plan, ResponseTarget
from tests.factories import AccountFactory, CustomerFactory, make_ticket

pytestmark = pytest.mark.django_db

URL = "/api/v1/tickets/"
T0 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def severity_customer(db):
    plan = Plan.objects.create(code="sev", name="Severity", uses_severity=True)
    for priority, severity, hours in (("general", "", 6), ("general", "minor", 8), ("general", "fatal", 1)):
        ResponseTarget.objects.create(plan=plan, priority=priority, severity=severity, seconds=hours * 3600)
    return CustomerFactory(account=AccountFactory(plan=plan))


@pytest.fixture
def minor(severity_customer):
    return make_ticket(customer=severity_customer, severity="minor", now=T0)


def _state(ticket):
    ticket.refresh_from_db()
    return ticket.severity, ticket.work_started_deadline, ticket.events.count(), Miss.objects.count()


def test_reclassifying_recounts_from_creation_and_keeps_both_deadlines(
    api, minor, engineer, severity_customer
):
    response = api(engineer).post(
        f"{URL}{minor.pk}/reclassify/", {"severity": "fatal", "reason": "Payments fail"}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["severity"] == "fatal"
    assert body["work_started_deadline"] == "2026-03-10T11:00:00Z"
    assert body["previous_deadline"] == "2026-03-10T18:00:00Z"
    # The fatal deadline passed unanswered already: that is the miss.
    assert Miss.objects.get(ticket=minor).deadline == T0 + H
    event = TicketEvent.objects.get(ticket=minor, code="reclassified")
    assert event.data["reason"] == "Payments fail" and event.data["from"] == "minor"
    assert api(severity_customer).get(f"{URL}{minor.pk}/").json()["severity"] == "fatal"


def test_reclassifying_a_resolved_ticket_is_a_409(api, minor, engineer):
    ticket_start_work(ticket=minor, actor=engineer, now=T0 + H / 2)
    ticket_transition(ticket=minor, actor=engineer, to_status="resolved", now=T0 + H)
    before = _state(minor)

    response = api(engineer).post(
        f"{URL}{minor.pk}/reclassify/", {"severity": "fatal", "reason": "Too late"}, format="json"
    )

    assert response.status_code == 409 and response.json()["code"] == "ticket_settled"
    assert _state(minor) == before


def test_reclassifying_when_the_miss_month_is_invoiced_is_a_409(api, severity_customer, engineer):
    fatal = make_ticket(customer=severity_customer, severity="fatal", now=T0)
    misses_record_due(now=T0 + 2 * H)
    month_close(month="2026-03", now=dt.datetime(2026, 4, 1, 0, 5, tzinfo=dt.UTC))
    before = _state(fatal)

    response = api(engineer).post(
        f"{URL}{fatal.pk}/reclassify/", {"severity": "minor", "reason": "Cosmetic"}, format="json"
    )

    assert response.status_code == 409 and response.json()["code"] == "month_invoiced"
    assert _state(fatal) == before


@pytest.mark.parametrize(("role", "status"), [("anonymous", 401), ("customer", 403), ("other_customer", 404)])
def test_others_may_not_reclassify(request, api, role, status, db):
    customer = request.getfixturevalue("customer")
    ticket = make_ticket(customer=customer, now=T0)
    before = _state(ticket)
    user = None if role == "anonymous" else request.getfixturevalue(role)

    response = api(user).post(
        f"{URL}{ticket.pk}/reclassify/", {"severity": "fatal", "reason": "x"}, format="json"
    )

    assert response.status_code == status
    assert _state(ticket) == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"reason": "x"}, "severity"),
        ({"severity": "catastrophic", "reason": "x"}, "severity"),
        ({"severity": ["fatal"], "reason": "x"}, "severity"),
        ({"severity": "fatal"}, "reason"),
        ({"severity": "fatal", "reason": ""}, "reason"),
        ({"severity": "fatal", "reason": "x" * 2001}, "reason"),
        ({"severity": "minor", "reason": "Same again"}, "severity"),
    ],
)
def test_bad_input_is_a_400_that_changes_nothing(api, minor, engineer, payload, field):
    before = _state(minor)

    response = api(engineer).post(f"{URL}{minor.pk}/reclassify/", payload, format="json")

    assert response.status_code == 400 and field in response.json(), response.json()
    assert _state(minor) == before
