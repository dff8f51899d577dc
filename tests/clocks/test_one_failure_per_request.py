"""One request counts one failure; a downgrade is closed once the ticket is settled or its month invoiced."""

import datetime as dt

import pytest
import time_machine

from billing.services.invoices import month_close
from helpdesk.kit.errors import ConflictError
from helpdesk.tickets.models import Ticket
from helpdesk.tickets.services.tickets import (
    ticket_downgrade,
    ticket_start_work,
    ticket_transition,
    ticket_upgrade,
)
from sla.clocks.models import Miss
from sla.clocks.services.misses import misses_record_due
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db

URL = "/api/v1/tickets/"
T0 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
APRIL_1 = dt.datetime(2026, 4, 1, 0, 5, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(autouse=True)
def frozen():
    """Mid-March 2026 from before the accounts exist: an account is billed from its first month."""
    with time_machine.travel(dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC), tick=False):
        yield


def test_a_general_miss_then_an_upgrade_and_a_high_miss_leave_one_counted_miss(customer, engineer):
    ticket = make_ticket(customer=customer, now=T0)  # General: 6 hours on Advanced
    misses_record_due(now=T0 + 6 * H + M)
    ticket_upgrade(
        ticket=ticket,
        actor=engineer,
        reason="The shop is down now",
        affected_service="Web shop",
        now=T0 + 7 * H,
    )

    misses_record_due(now=T0 + 8 * H)

    general, high = Miss.objects.filter(ticket=ticket).order_by("deadline_version")
    assert (general.counted, general.excluded_reason) == (True, "")
    assert (high.counted, high.excluded_reason) == (False, "superseded")
    assert Miss.objects.filter(account=customer.account, counted=True).count() == 1


def test_a_superseded_miss_is_shown_in_the_api(api, customer, engineer):
    ticket = make_ticket(customer=customer, now=T0)
    misses_record_due(now=T0 + 6 * H + M)
    ticket_upgrade(
        ticket=ticket,
        actor=engineer,
        reason="The shop is down now",
        affected_service="Web shop",
        now=T0 + 7 * H,
    )
    ticket_start_work(ticket=ticket, actor=engineer, now=T0 + 8 * H)  # late for High too: recorded now

    rows = api(customer).get("/api/v1/misses/").json()["results"]

    assert sorted((row["counted"], row["excluded_reason"]) for row in rows) == [
        (False, "superseded"),
        (True, None),
    ]


def _missed_high(customer) -> Ticket:
    ticket = make_ticket(customer=customer, priority="high", now=T0)
    misses_record_due(now=T0 + H)
    return ticket


def _state(ticket):
    ticket.refresh_from_db()
    misses = list(Miss.objects.filter(ticket=ticket).values_list("counted", "voided_at"))
    return ticket.priority, ticket.work_started_deadline, ticket.events.count(), misses


def test_downgrading_a_resolved_ticket_is_a_409_that_changes_nothing(api, customer, engineer):
    ticket = _missed_high(customer)
    ticket_start_work(ticket=ticket, actor=engineer, now=T0 + 2 * H)
    ticket_transition(ticket=ticket, actor=engineer, to_status="resolved", now=T0 + 3 * H)
    before = _state(ticket)

    response = api(engineer).post(f"{URL}{ticket.pk}/downgrade/", {"reason": "Not an outage"}, format="json")

    assert response.status_code == 409 and response.json()["code"] == "ticket_settled"
    assert _state(ticket) == before


def test_downgrading_a_closed_ticket_is_refused(customer, engineer):
    ticket = _missed_high(customer)
    ticket_start_work(ticket=ticket, actor=engineer, now=T0 + 2 * H)
    ticket_transition(ticket=ticket, actor=engineer, to_status="resolved", now=T0 + 3 * H)
    ticket_transition(ticket=ticket, actor=engineer, to_status="closed", now=T0 + 4 * H)

    with pytest.raises(ConflictError):
        ticket_downgrade(ticket=ticket, actor=engineer, reason="Not an outage", now=T0 + 5 * H)


def test_downgrading_a_ticket_whose_miss_month_is_invoiced_is_a_409_that_changes_nothing(
    api, customer, engineer
):
    ticket = _missed_high(customer)
    month_close(month="2026-03", now=APRIL_1)
    before = _state(ticket)

    response = api(engineer).post(f"{URL}{ticket.pk}/downgrade/", {"reason": "Not an outage"}, format="json")

    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "month_invoiced" and "2026-03" in response.json()["detail"]
    assert _state(ticket) == before


def test_a_downgrade_before_the_month_is_invoiced_still_voids(customer, engineer):
    ticket = _missed_high(customer)

    ticket_downgrade(ticket=ticket, actor=engineer, reason="Not an outage", now=T0 + 2 * H)

    assert Miss.objects.get(ticket=ticket).voided
