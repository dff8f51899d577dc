"""Progress-update lapses recorded by a real Celery worker and beat, with real seconds passing.

The plan promises a public update every 2 seconds on a 24x7 calendar: one ticket gets none, one
gets a public reply every half second, one only internal notes.
"""

import datetime as dt
import time

import pytest
from django.db.models import Count
from django.utils import timezone

from helpdesk.tickets.models import Ticket
from helpdesk.tickets.services.messages import message_create
from helpdesk.tickets.services.tickets import ticket_start_work
from sla.clocks.models import SweepHeartbeat, UpdateLapse
from sla.terms.services.plans import plan_update
from tests.factories import AccountFactory, CustomerFactory, EngineerFactory, fast_plan, make_ticket
from tests.workers import Processes

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

EVERY = 2
RUN_SECONDS = 7.5
# How late a lapse may be recorded: the sweep runs every 0.25 s; a loaded machine gets a margin.
MAX_LATENESS = 2.0


@pytest.fixture
def processes(tmp_path):
    procs = Processes(tmp_path)
    yield procs
    procs.stop()


def _due_instants(ticket) -> list[dt.datetime]:
    return list(UpdateLapse.objects.filter(ticket=ticket).order_by("due_at").values_list("due_at", flat=True))


def _wait_for_the_sweep(timeout: float = 60) -> None:
    """Beat takes seconds to start: the clocks begin once the sweep is seen running."""
    started = timezone.now()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if SweepHeartbeat.objects.filter(at__gt=started).exists():
            return
        time.sleep(0.1)
    raise AssertionError("the sweep never ran")


def _worker_output(processes) -> str:
    return "".join(path.read_text() for path in sorted(processes.tmp_path.glob("worker-*.log")))


def test_lapses_once_per_due_instant_none_after_public_replies_and_notes_do_not_count(processes):
    processes.start_worker(purge=True)
    processes.start_beat()
    _wait_for_the_sweep()
    plan = plan_update(plan=fast_plan(3600, code="updates-2s"), progress_update_every=EVERY)
    customer = CustomerFactory(account=AccountFactory(plan=plan))
    engineer = EngineerFactory()
    silent, answered, noted = (make_ticket(customer=customer) for _ in range(3))
    for ticket in (silent, answered, noted):
        ticket_start_work(ticket=ticket, actor=engineer)
    started = {t.pk: Ticket.objects.get(pk=t.pk).update_clock_started_at for t in (silent, answered, noted)}

    until = time.monotonic() + RUN_SECONDS
    while time.monotonic() < until:
        # Every half second: a reply (and its mail) took over a second on a loaded CI machine,
        # and a 1-second cadence then left the 2-second interval without one.
        time.sleep(0.5)
        message_create(ticket=answered, author=engineer, body="Still on it.")
        message_create(ticket=noted, author=engineer, body="Internal: still digging.", public=False)
    checked_at = timezone.now()
    time.sleep(MAX_LATENESS)  # room for the last due instant to be swept, and a wrong double to show

    elapsed = (checked_at - started[silent.pk]).total_seconds()
    expected = [
        started[silent.pk] + dt.timedelta(seconds=EVERY * n) for n in range(1, int(elapsed // EVERY) + 1)
    ]
    silent_lapses = _due_instants(silent)
    assert silent_lapses[: len(expected)] == expected, processes.logs()
    noted_lapses = _due_instants(noted)
    assert noted_lapses[: len(expected)] == [
        started[noted.pk] + dt.timedelta(seconds=EVERY * n) for n in range(1, len(expected) + 1)
    ]
    assert _due_instants(answered) == []
    per_instant = UpdateLapse.objects.values("ticket", "due_at").annotate(n=Count("id"))
    assert {row["n"] for row in per_instant} == {1}
    lateness = [(lapse.recorded_at - lapse.due_at).total_seconds() for lapse in UpdateLapse.objects.all()]
    assert min(lateness) > 0, "a lapse was recorded before its due instant"
    assert max(lateness) < MAX_LATENESS, f"worst lateness {max(lateness):.3f}s\n{processes.logs()}"
    assert Ticket.objects.get(pk=answered.pk).next_update_due > checked_at
    # The worker sends mail to its console: the engineers were told of the silent ticket's lapses.
    subject = f"Progress update overdue on ticket #{silent.pk}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and subject not in _worker_output(processes):
        time.sleep(0.2)
    assert subject in _worker_output(processes)
