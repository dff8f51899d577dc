"""Resolved tickets close by themselves through the real beat and worker, with real seconds passing.

TICKET_AUTO_CLOSE_AFTER gives the age in seconds (instead of whole days), and
TICKET_AUTO_CLOSE_SWEEP_SECONDS how often beat sends the sweep, so the path a production
ticket takes after a week runs here in a few seconds.
"""

import time

import pytest

from helpdesk.tickets.models import Ticket, TicketStatus
from helpdesk.tickets.services.messages import message_create
from helpdesk.tickets.services.tickets import ticket_transition
from tests.factories import CustomerFactory, EngineerFactory, make_ticket
from tests.workers import Processes

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

AFTER = 2.0
SWEEP = 0.5
# The sweep's period, plus a second for the worker to take the task off the broker and run it.
LATE_AT_MOST = SWEEP + 1.0


@pytest.fixture
def processes(tmp_path):
    procs = Processes(
        tmp_path,
        env={"TICKET_AUTO_CLOSE_AFTER": str(AFTER), "TICKET_AUTO_CLOSE_SWEEP_SECONDS": str(SWEEP)},
    )
    yield procs
    procs.stop()


def _resolved(customer, engineer):
    ticket = make_ticket(customer=customer)
    message_create(ticket=ticket, author=engineer, body="Fixed: restart the agent.")
    return ticket_transition(ticket=ticket, actor=engineer, to_status=TicketStatus.RESOLVED)


def _wait_closed(pk: int, *, timeout: float) -> Ticket:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ticket = Ticket.objects.get(pk=pk)
        if ticket.status == TicketStatus.CLOSED:
            return ticket
        time.sleep(0.1)
    return Ticket.objects.get(pk=pk)


def test_a_resolved_ticket_closes_by_itself_after_the_configured_seconds(processes):
    processes.start_worker(purge=True)
    processes.start_beat(wait=True)
    customer, engineer = CustomerFactory(), EngineerFactory()
    quiet = _resolved(customer, engineer)
    answered = _resolved(customer, engineer)
    time.sleep(AFTER / 2)
    message_create(ticket=answered, author=customer, body="It came back.")  # reopens it

    closed = _wait_closed(quiet.pk, timeout=AFTER + 20)

    assert closed.status == TicketStatus.CLOSED, processes.logs()
    waited = (closed.closed_at - closed.resolved_at).total_seconds()
    assert AFTER <= waited < AFTER + LATE_AT_MOST, f"closed {waited:.2f}s after resolving\n{processes.logs()}"
    event = closed.events.get(code="closed")
    assert event.actor is None and event.data["auto"] is True and event.data["after_seconds"] == AFTER
    time.sleep(AFTER)  # the reopened one stays open however many sweeps pass
    answered.refresh_from_db()
    assert answered.status == TicketStatus.WORK_STARTED and answered.closed_at is None
    assert closed.events.filter(code="closed").count() == 1
