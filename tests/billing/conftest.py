"""Billing fixtures: misses from the real sweep, claims from the real services, a fixed clock."""

import datetime as dt

import pytest
import time_machine

from billing.services.claims import claim_open
from helpdesk.tickets.services.tickets import ticket_start_work
from sla.clocks.models import Miss
from sla.clocks.services.exclusions import exclusion_create
from sla.clocks.services.misses import misses_record_due
from sla.terms.services.plans import plan_update
from tests.factories import EngineerFactory, make_ticket

# March 2026 in the (default UTC) support time zone; the claim window runs to the end of April.
T0 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
H = dt.timedelta(hours=1)


def record_misses(customer, count: int, *, start: dt.datetime = T0, step: dt.timedelta = MIN, **fields):
    """`count` High tickets opened `step` apart from `start`, left unstarted, swept: their misses."""
    tickets = [
        make_ticket(customer=customer, priority="high", now=start + i * step, **fields) for i in range(count)
    ]
    misses_record_due(now=start + count * step + 13 * H)  # past every plan's High target
    return list(Miss.objects.filter(ticket__in=tickets).order_by("deadline", "id"))


def excused_miss(customer, admin, *, start: dt.datetime = T0, kind: str = "force_majeure", **period) -> Miss:
    """A High ticket answered 10 minutes late, then a period declared over its clock: an excused miss.

    The period runs from the clock's start past the response, so the paused deadline was met.
    """
    ticket = make_ticket(customer=customer, priority="high", now=start)
    answered = start + dt.timedelta(seconds=ticket.work_started_target) + 10 * MIN
    ticket_start_work(ticket=ticket, actor=EngineerFactory(), now=answered)
    period.setdefault("note", "Declared afterwards, with the provider's report")
    exclusion_create(created_by=admin, kind=kind, starts_at=start, ends_at=answered + MIN, **period)
    return Miss.objects.get(ticket=ticket)


@pytest.fixture(autouse=True)
def frozen():
    """The clock stands at NOW (mid-March 2026) for every billing test, from before its accounts
    are created (an account is billed from the month it was created in)."""
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def miss(customer, frozen):
    return record_misses(customer, 1, subject="Checkout is down")[0]


@pytest.fixture
def other_miss(other_customer, frozen):
    return record_misses(other_customer, 1, subject="Their secret outage")[0]


@pytest.fixture
def claim(miss, customer):
    return claim_open(miss=miss, created_by=customer)


@pytest.fixture
def other_claim(other_miss, other_customer):
    return claim_open(miss=other_miss, created_by=other_customer)


def user_for(request, role):
    """The matrix's roles by fixture name; None is anonymous."""
    return None if role == "anonymous" else request.getfixturevalue(role)


@pytest.fixture
def one_month_window(customer):
    """The customer's plan closes claims at the end of the month after the failure (seed 000 sets none)."""
    plan_update(plan=customer.account.plan, claim_window_months=1)
