"""Chat timers with a real Celery worker, timers worker and beat, and real seconds.

A plan with a 3 s session limit: the sweep on the timers queue warns before the limit and
ends the session at it, by itself; nobody can post afterwards. The database says when.
"""

import time

import pytest
from django.utils import timezone

from helpdesk.chat.models import ChatEvent, ChatSession
from helpdesk.chat.services.chats import ChatConflict, chat_post
from sla.terms.models import Plan
from tests.chat.test_chat_fixtures import active_chat, always_open_calendar, request_chat
from tests.factories import AccountFactory, CustomerFactory, EngineerFactory, fast_plan
from tests.workers import Processes

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def processes(tmp_path):
    # The warning comes 2 s before the end here (120 s in production), so it is seen too.
    procs = Processes(tmp_path, env={"CHAT_WARNING_SECONDS": "2"}, sweep_seconds=0.5)
    yield procs
    procs.stop()


def _chat_plan(limit: int) -> Plan:
    plan = fast_plan(3600, code=f"chat-{limit}s")
    plan.chat_calendar = always_open_calendar()
    plan.chat_session_limit = limit
    plan.save(update_fields=["chat_calendar", "chat_session_limit"])
    return plan


def _wait_until(condition, *, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_a_three_second_session_ends_on_time_and_refuses_posts_after(processes, api, settings):
    settings.CHAT_WARNING_SECONDS = 2
    processes.start_worker(purge=True)
    processes.start_beat(wait=True)  # clocks start once beat runs: its boot is not the sweep's lateness
    customer = CustomerFactory(account=AccountFactory(plan=_chat_plan(3)))
    engineer = EngineerFactory()

    session = active_chat(customer, engineer, message="Quick question")
    assert (session.ends_at - session.accepted_at).total_seconds() == 3
    chat_post(session=session, author=customer, body="Inside the limit")

    ended = _wait_until(lambda: ChatSession.objects.get(pk=session.pk).status == "ended", timeout=20)
    assert ended, processes.logs()
    session.refresh_from_db()
    lateness = (session.ended_at - session.ends_at).total_seconds()
    assert 0 <= lateness < 2.0, f"ended {lateness:.3f}s after the limit\n{processes.logs()}"
    assert session.end_reason == "time_limit" and session.ended_by is None
    assert session.warned_at is not None and session.warned_at < session.ends_at
    notices = list(session.messages.filter(kind="system").order_by("seq").values_list("body", flat=True))
    assert any("left" in body for body in notices) and "time limit" in notices[-1]

    with pytest.raises(ChatConflict):
        chat_post(session=session, author=customer, body="One more thing")
    response = api(engineer).post(f"/api/v1/chats/{session.pk}/messages/", {"body": "Hello?"}, format="json")
    assert response.status_code == 409
    time.sleep(1.5)  # later sweeps change nothing
    assert ChatEvent.objects.filter(session=session, code="ended").count() == 1
    assert ChatEvent.objects.filter(session=session, code="warned").count() == 1


def test_many_sessions_each_end_once_at_their_limits(processes, settings):
    settings.CHAT_ENGINEER_LIMIT = 50
    processes.start_worker(purge=True)
    processes.start_beat(wait=True)  # clocks start once beat runs: its boot is not the sweep's lateness
    plans = [_chat_plan(limit) for limit in (2, 3, 4)]
    engineer = EngineerFactory()
    sessions = [
        active_chat(CustomerFactory(account=AccountFactory(plan=plans[i % 3])), engineer) for i in range(30)
    ]

    ids = [s.pk for s in sessions]
    assert _wait_until(
        lambda: not ChatSession.objects.filter(pk__in=ids, status="active").exists(), timeout=30
    ), processes.logs()
    time.sleep(1.0)

    for session in ChatSession.objects.filter(pk__in=ids):
        assert session.end_reason == "time_limit"
        assert 0 <= (session.ended_at - session.ends_at).total_seconds() < 2.0
    assert ChatEvent.objects.filter(session__in=ids, code="ended").count() == 30


def test_a_request_nobody_accepts_is_offered_a_ticket_after_the_wait_limit(processes, settings):
    settings.CHAT_WAIT_SECONDS = 2
    processes.start_worker(purge=True)
    processes.start_beat(wait=True)  # clocks start once beat runs: its boot is not the sweep's lateness
    customer = CustomerFactory(account=AccountFactory(plan=_chat_plan(600)))

    session = request_chat(customer, message="Anyone?")

    assert _wait_until(lambda: ChatSession.objects.get(pk=session.pk).status == "ended", timeout=20), (
        processes.logs()
    )
    session.refresh_from_db()
    assert session.end_reason == "unanswered"
    assert 0 <= (session.ended_at - session.wait_deadline).total_seconds() < 2.0
    assert session.ended_at <= timezone.now()
    assert "ticket" in session.messages.filter(kind="system").get().body
