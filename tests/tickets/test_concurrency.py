"""Two engineers press "Start work" at the same instant: one event, one instant."""

import threading

import pytest
from django.db import OperationalError, connection

from helpdesk.tickets.models import Ticket
from helpdesk.tickets.services.tickets import ticket_start_work
from tests.factories import CustomerFactory, EngineerFactory, make_ticket, plan

pytestmark = pytest.mark.django_db(transaction=True)


def _race(ticket, engineers):
    barrier = threading.Barrier(len(engineers))
    results, errors = [], []

    def press(engineer):
        try:
            barrier.wait()
            results.append(ticket_start_work(ticket=ticket, actor=engineer).work_started_at)
        except OperationalError as exc:  # SQLite refuses the second writer instead of waiting
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(e,)) for e in engineers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.mark.parametrize("attempt", range(10))
def test_two_engineers_starting_at_once_make_one_event(attempt):
    customer = CustomerFactory(account__plan=plan("premium"))
    ticket = make_ticket(customer=customer, priority="high")
    engineers = [EngineerFactory(), EngineerFactory()]

    results, errors = _race(ticket, engineers)

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.events.filter(code="work_started").count() == 1
    assert results and all(instant == ticket.work_started_at for instant in results)
    if connection.vendor == "postgresql":
        assert not errors and len(results) == 2
