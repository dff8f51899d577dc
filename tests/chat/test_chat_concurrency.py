"""Races: two engineers accept one chat at once, one engineer accepts two, two escalations, two sweeps."""

import datetime as dt
import threading

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from helpdesk.chat.models import ChatEvent, ChatSession
from helpdesk.chat.services.chats import ChatConflict, chat_accept
from helpdesk.chat.services.escalation import chat_escalate
from helpdesk.chat.services.sweep import chats_sweep_due
from helpdesk.tickets.models import Ticket
from tests.chat.test_chat_fixtures import active_chat, always_open_calendar, request_chat
from tests.factories import AccountFactory, CustomerFactory, EngineerFactory, plan

pytestmark = pytest.mark.django_db(transaction=True)


def _open_plan():
    advanced = plan("advanced")
    advanced.chat_calendar = always_open_calendar()
    advanced.save(update_fields=["chat_calendar"])
    return advanced


def _race(calls):
    """Run the calls at the same instant, each in its own thread and database connection."""
    barrier = threading.Barrier(len(calls))
    results, conflicts, errors = [], [], []

    def run(call):
        try:
            barrier.wait()
            results.append(call())
        except ChatConflict as exc:
            conflicts.append(exc)
        except OperationalError as exc:  # SQLite may refuse a second writer instead of waiting
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, conflicts, errors


@pytest.mark.parametrize("attempt", range(5))
def test_two_engineers_accepting_one_chat_at_once_one_wins(attempt):
    customer = CustomerFactory(account=AccountFactory(plan=_open_plan()))
    session = request_chat(customer)
    engineers = [EngineerFactory(), EngineerFactory()]

    results, conflicts, errors = _race(
        [lambda e=e: chat_accept(session=session, engineer=e) for e in engineers]
    )

    assert len(results) == 1, (results, conflicts, errors)
    assert all(c.code == "chat_not_queued" for c in conflicts)
    stored = ChatSession.objects.get(pk=session.pk)
    assert stored.status == "active" and stored.engineer == results[0].engineer
    assert ChatEvent.objects.filter(session=session, code="accepted").count() == 1
    assert stored.messages.filter(kind="system").count() == 1
    if connection.vendor == "postgresql":
        assert not errors and len(conflicts) == 1


@pytest.mark.parametrize("attempt", range(3))
def test_one_engineer_accepting_two_chats_at_once_stays_within_the_limit(attempt, settings):
    settings.CHAT_ENGINEER_LIMIT = 1
    open_plan = _open_plan()
    sessions = [request_chat(CustomerFactory(account=AccountFactory(plan=open_plan))) for _ in range(2)]
    engineer = EngineerFactory()

    results, conflicts, errors = _race(
        [lambda s=s: chat_accept(session=s, engineer=engineer) for s in sessions]
    )

    assert len(results) == 1, (results, conflicts, errors)
    assert ChatSession.objects.filter(engineer=engineer, status="active").count() == 1
    assert all(c.code == "chat_limit_reached" for c in conflicts)


def test_two_escalations_at_once_make_one_ticket():
    customer = CustomerFactory(account=AccountFactory(plan=_open_plan()))
    engineer = EngineerFactory()
    session = active_chat(customer, engineer, message="It is down.")

    results, conflicts, errors = _race(
        [
            lambda: chat_escalate(session=session, actor=customer),
            lambda: chat_escalate(session=session, actor=engineer),
        ]
    )

    assert Ticket.objects.count() == 1
    assert {ticket.pk for ticket, _ in results} == {Ticket.objects.get().pk}
    assert [created for _, created in results].count(True) == 1, (results, errors)
    if connection.vendor == "postgresql":
        assert len(results) == 2


def test_two_sweeps_at_once_end_each_session_once(settings):
    settings.CHAT_ENGINEER_LIMIT = 100
    open_plan = _open_plan()
    engineer = EngineerFactory()
    start = timezone.now() - dt.timedelta(hours=1)  # Advanced: 30 minutes, long over
    sessions = [
        active_chat(CustomerFactory(account=AccountFactory(plan=open_plan)), engineer, now=start)
        for _ in range(40)
    ]

    results, conflicts, errors = _race([lambda: chats_sweep_due(batch=7), lambda: chats_sweep_due(batch=7)])

    assert not conflicts and not errors, errors
    assert sum(done["ended"] for done in results) == 40
    ids = [s.pk for s in sessions]
    assert not ChatSession.objects.filter(pk__in=ids, status="active").exists()
    for session in ChatSession.objects.filter(pk__in=ids, status="ended"):
        assert session.events.filter(code="ended").count() == 1
        assert session.messages.filter(kind="system", body__contains="time limit").count() == 1
