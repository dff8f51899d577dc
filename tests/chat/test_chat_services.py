"""Live chat services: the queue, the session limit, posting, ending, the sweep, escalation, phone calls."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from helpdesk.chat.models import ChatEvent, ChatMessage, ChatSession
from helpdesk.chat.selectors import chat_transcript, queue_position, queue_positions, queued_ids
from helpdesk.chat.services.chats import ChatConflict, chat_accept, chat_end, chat_post
from helpdesk.chat.services.escalation import chat_escalate, chat_log_phone
from helpdesk.chat.services.sweep import chats_sweep_due
from helpdesk.kit import roles
from helpdesk.kit.errors import ValidationError
from helpdesk.tickets.models import Ticket, TicketEvent
from tests.chat import test_chat_fixtures as chat_fixtures
from tests.chat.test_chat_fixtures import active_chat, request_chat
from tests.factories import AccountFactory, CustomerFactory, EngineerFactory

# Fixtures shared by the chat tests.
coworker = chat_fixtures.coworker
open_chat = chat_fixtures.open_chat

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)


def later(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def _customers(plans, count: int, plan: str = "advanced"):
    return [CustomerFactory(account=AccountFactory(plan=plans[plan])) for _ in range(count)]


# --- the queue ---------------------------------------------------------------------------------


def test_requests_wait_first_come_first_served_and_positions_move_up(open_chat):
    customers = _customers(open_chat, 4)
    sessions = [request_chat(c, now=later(i)) for i, c in enumerate(customers)]
    engineer = EngineerFactory()

    assert queued_ids() == [s.pk for s in sessions]
    assert [queue_position(s) for s in sessions] == [1, 2, 3, 4]

    chat_accept(session=sessions[0], engineer=engineer, now=later(10))
    chat_end(session=sessions[2], actor=customers[2], now=later(11))  # the third gives up

    positions = queue_positions()
    assert positions == {sessions[1].pk: 1, sessions[3].pk: 2}
    for session in sessions:
        session.refresh_from_db()
    assert [queue_position(s) for s in sessions] == [None, 1, None, 2]


def test_requests_at_the_same_instant_keep_their_order(open_chat):
    customers = _customers(open_chat, 3)
    sessions = [request_chat(c, now=T0) for c in customers]

    assert [queue_position(s) for s in sessions] == [1, 2, 3]


def test_the_queue_mixes_plans_and_accounts_in_arrival_order(open_chat):
    standard, premium, advanced = (
        _customers(open_chat, 1, "standard")[0],
        _customers(open_chat, 1, "premium")[0],
        _customers(open_chat, 1, "advanced")[0],
    )
    order = [request_chat(c, now=later(i)) for i, c in enumerate([standard, premium, advanced])]

    assert queued_ids() == [s.pk for s in order]
    assert [s.session_limit for s in order] == [20 * 60, None, 30 * 60]


def test_a_customer_has_at_most_one_open_chat(open_chat, customer):
    first = request_chat(customer, now=T0)

    with pytest.raises(ChatConflict) as refused:
        request_chat(customer, now=later(1))

    assert refused.value.code == "chat_already_open"
    assert refused.value.extra["chat"] == first.pk
    assert ChatSession.objects.count() == 1


def test_the_database_refuses_a_second_open_chat_too(open_chat, customer):
    first = request_chat(customer, now=T0)

    with pytest.raises(IntegrityError), transaction.atomic():
        ChatSession.objects.create(
            account=first.account,
            customer=customer,
            plan=first.plan,
            requested_at=T0,
            status="active",
            engineer=EngineerFactory(),
            accepted_at=T0,
        )


def test_after_a_chat_ends_the_customer_may_ask_again(open_chat, customer):
    first = request_chat(customer, now=T0)
    chat_end(session=first, actor=customer, now=later(5))

    second = request_chat(customer, now=later(6))

    assert second.pk != first.pk and second.status == "queued"


def test_staff_cannot_ask_for_a_chat(open_chat, engineer):
    with pytest.raises(roles.Denied):
        request_chat(engineer)


def test_a_first_message_is_stored_as_the_first_line(open_chat, customer):
    session = request_chat(customer, topic="VPN", message="The VPN drops every minute.", now=T0)

    lines = list(session.messages.order_by("seq"))
    assert [(m.seq, m.body, m.author_id) for m in lines] == [(1, "The VPN drops every minute.", customer.pk)]
    assert session.topic == "VPN"
    assert session.wait_deadline == later(300)


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"topic": "x" * 201}, "topic"),
        ({"message": "x" * 5001}, "message"),
        ({"message": "bell \x07 character"}, "message"),
        ({"topic": ["not", "text"]}, "topic"),
    ],
)
def test_bad_request_input_names_the_field_and_writes_nothing(open_chat, customer, fields, field):
    with pytest.raises(ValidationError) as refused:
        request_chat(customer, **{"topic": "ok", **fields})

    assert field in refused.value.message_dict
    assert not ChatSession.objects.exists()


# --- accepting --------------------------------------------------------------------------------


def test_accepting_starts_the_plans_session_limit(open_chat, customer, engineer):
    session = request_chat(customer, now=T0)

    accepted = chat_accept(session=session, engineer=engineer, now=later(42))

    assert accepted.status == "active"
    assert accepted.engineer == engineer
    assert accepted.accepted_at == later(42)
    assert accepted.ends_at == later(42 + 30 * 60)  # Advanced: 30 minutes from acceptance
    notice = accepted.messages.get()
    assert notice.kind == "system" and "joined" in notice.body and "30 minutes" in notice.body
    assert ChatEvent.objects.filter(session=session, code="accepted").count() == 1


def test_premium_sessions_have_no_end(open_chat, other_customer, engineer):
    session = active_chat(other_customer, engineer, now=T0)

    assert session.ends_at is None


def test_a_taken_chat_cannot_be_taken_again(open_chat, customer, engineer):
    session = active_chat(customer, engineer, now=T0)

    with pytest.raises(ChatConflict) as refused:
        chat_accept(session=session, engineer=EngineerFactory(), now=later(1))

    assert refused.value.code == "chat_not_queued"
    session.refresh_from_db()
    assert session.engineer == engineer


def test_an_engineer_runs_at_most_the_concurrent_chat_limit(open_chat, engineer, settings):
    settings.CHAT_ENGINEER_LIMIT = 2
    customers = _customers(open_chat, 3)
    sessions = [request_chat(c, now=later(i)) for i, c in enumerate(customers)]
    chat_accept(session=sessions[0], engineer=engineer, now=later(5))
    chat_accept(session=sessions[1], engineer=engineer, now=later(5))

    with pytest.raises(ChatConflict) as refused:
        chat_accept(session=sessions[2], engineer=engineer, now=later(6))

    assert refused.value.code == "chat_limit_reached"
    assert ChatSession.objects.get(pk=sessions[2].pk).status == "queued"
    # Another engineer has room; ending one gives the first room again.
    chat_end(session=sessions[0], actor=engineer, now=later(7))
    assert chat_accept(session=sessions[2], engineer=engineer, now=later(8)).status == "active"


def test_customers_cannot_accept(open_chat, customer, coworker):
    session = request_chat(customer, now=T0)

    with pytest.raises(roles.Denied):
        chat_accept(session=session, engineer=coworker, now=later(1))


def test_a_request_past_its_wait_limit_cannot_be_accepted(open_chat, customer, engineer):
    session = request_chat(customer, now=T0)

    with pytest.raises(ChatConflict):
        chat_accept(session=session, engineer=engineer, now=later(300))


# --- the conversation ----------------------------------------------------------------------------


def test_messages_are_numbered_in_order(open_chat, customer, engineer):
    session = active_chat(customer, engineer, now=T0, message="Hello?")

    chat_post(session=session, author=engineer, body="Hi, how can I help?", now=later(1))
    chat_post(session=session, author=customer, body="My site is down.", now=later(2))

    lines = list(session.messages.order_by("seq").values_list("seq", "kind", "body"))
    assert lines == [
        (1, "message", "Hello?"),
        (2, "system", lines[1][2]),
        (3, "message", "Hi, how can I help?"),
        (4, "message", "My site is down."),
    ]
    assert ChatSession.objects.get(pk=session.pk).message_count == 4


def test_the_customer_may_write_while_waiting_but_no_engineer_can(open_chat, customer, engineer):
    session = request_chat(customer, now=T0)

    chat_post(session=session, author=customer, body="Still there?", now=later(1))
    with pytest.raises(roles.Denied):
        chat_post(session=session, author=engineer, body="I am not on this chat", now=later(2))


def test_only_the_engineer_who_accepted_writes_for_support(open_chat, customer, engineer, billing_admin):
    session = active_chat(customer, engineer, now=T0)

    with pytest.raises(roles.Denied):
        chat_post(session=session, author=EngineerFactory(), body="Me too", now=later(1))
    with pytest.raises(roles.Denied):
        chat_post(session=session, author=billing_admin, body="Me too", now=later(1))


def test_a_coworker_cannot_write_in_someone_elses_chat(open_chat, customer, coworker):
    session = request_chat(customer, now=T0)

    with pytest.raises(roles.Denied):
        chat_post(session=session, author=coworker, body="Hi", now=later(1))


@pytest.mark.parametrize(
    "body",
    ["", "   ", "x" * 5001, "null \x00 byte", "escape \x1b[31m", None, 42.5],
)
def test_bad_message_bodies_are_refused_and_nothing_is_written(open_chat, customer, engineer, body):
    session = active_chat(customer, engineer, now=T0)
    before = ChatMessage.objects.count()

    with pytest.raises(ValidationError) as refused:
        chat_post(session=session, author=customer, body=body, now=later(1))

    assert "body" in refused.value.message_dict
    assert ChatMessage.objects.count() == before


def test_markup_is_stored_as_text(open_chat, customer, engineer):
    session = active_chat(customer, engineer, now=T0)

    message = chat_post(session=session, author=customer, body="<script>alert(1)</script>", now=later(1))

    assert message.body == "<script>alert(1)</script>"  # escaped wherever it is shown


def test_nobody_writes_after_the_limit_even_before_the_sweep_ends_it(open_chat, customer, engineer):
    session = active_chat(customer, engineer, now=T0)

    chat_post(session=session, author=customer, body="Just in time", now=later(30 * 60 - 1))
    for author in (customer, engineer):
        with pytest.raises(ChatConflict) as refused:
            chat_post(session=session, author=author, body="Too late", now=later(30 * 60))
        assert refused.value.code == "chat_ended"


def test_nobody_writes_in_an_ended_chat(open_chat, customer, engineer):
    session = active_chat(customer, engineer, now=T0)
    chat_end(session=session, actor=engineer, now=later(60))

    with pytest.raises(ChatConflict):
        chat_post(session=session, author=customer, body="Wait!", now=later(61))


def test_ending_twice_changes_nothing(open_chat, customer, engineer):
    session = active_chat(customer, engineer, now=T0)

    first = chat_end(session=session, actor=customer, now=later(60))
    second = chat_end(session=session, actor=engineer, now=later(70))

    assert first.ended_at == second.ended_at == later(60)
    assert second.end_reason == "customer" and second.ended_by == customer
    assert ChatEvent.objects.filter(session=session, code="ended").count() == 1


def test_another_account_cannot_end_a_chat(open_chat, customer, other_customer):
    session = request_chat(customer, now=T0)

    with pytest.raises(roles.Denied):
        chat_end(session=session, actor=other_customer, now=later(1))
    assert ChatSession.objects.get(pk=session.pk).status == "queued"


# --- the sweep -------------------------------------------------------------------------------------


def test_the_sweep_warns_two_minutes_before_and_ends_at_the_limit(open_chat, customer, engineer):
    session = active_chat(customer, engineer, now=T0)  # Advanced: 30 minutes

    assert chats_sweep_due(now=later(30 * 60 - 121)) == {"ended": 0, "warned": 0, "unanswered": 0}
    assert chats_sweep_due(now=later(30 * 60 - 120)) == {"ended": 0, "warned": 1, "unanswered": 0}
    assert chats_sweep_due(now=later(30 * 60 - 60))["warned"] == 0  # once
    warning = session.messages.filter(kind="system").order_by("seq").last()
    assert warning.body.startswith("2 minutes left")

    assert chats_sweep_due(now=later(30 * 60 - 1))["ended"] == 0
    assert chats_sweep_due(now=later(30 * 60)) == {"ended": 1, "warned": 0, "unanswered": 0}
    session.refresh_from_db()
    assert session.status == "ended" and session.end_reason == "time_limit"
    assert session.ended_at == later(30 * 60)
    assert chats_sweep_due(now=later(30 * 60 + 5)) == {"ended": 0, "warned": 0, "unanswered": 0}


def test_the_sweep_leaves_unlimited_sessions_alone(open_chat, other_customer, engineer):
    session = active_chat(other_customer, engineer, now=T0)

    assert chats_sweep_due(now=later(10 * 3600)) == {"ended": 0, "warned": 0, "unanswered": 0}
    assert ChatSession.objects.get(pk=session.pk).status == "active"


def test_nobody_accepting_within_the_wait_limit_ends_the_request_with_an_offer(open_chat, customer):
    session = request_chat(customer, message="Is anyone there?", now=T0)

    assert chats_sweep_due(now=later(299))["unanswered"] == 0
    assert chats_sweep_due(now=later(300))["unanswered"] == 1

    session.refresh_from_db()
    assert session.status == "ended" and session.end_reason == "unanswered"
    offer = session.messages.filter(kind="system").get()
    assert "ticket" in offer.body and "5 minutes" in offer.body
    # ...and the offer is real: the ticket carries what the customer wrote.
    ticket, created = chat_escalate(session=session, actor=customer, now=later(301))
    assert created and "Is anyone there?" in ticket.description and "Cannot log in" in ticket.description


def test_the_wait_limit_is_a_setting(open_chat, customer, settings):
    settings.CHAT_WAIT_SECONDS = 60
    session = request_chat(customer, now=T0)

    assert session.wait_deadline == later(60)


def test_a_sweep_handles_more_than_one_batch(open_chat, engineer, settings):
    settings.CHAT_ENGINEER_LIMIT = 100
    sessions = [request_chat(c, now=T0) for c in _customers(open_chat, 5)]
    for session in sessions:
        chat_accept(session=session, engineer=engineer, now=T0)

    done = chats_sweep_due(now=later(30 * 60), batch=2)

    assert done["ended"] == 5
    assert not ChatSession.objects.filter(status="active").exists()


# --- escalation ------------------------------------------------------------------------------------


def _conversation(customer, engineer):
    session = active_chat(
        customer, engineer, now=T0, topic="Checkout fails", message="Checkout fails with 500."
    )
    bodies = ["Which browser?", "Every browser, since 09:40.", "I can reproduce it.", "Thanks!"]
    authors = [engineer, customer, engineer, customer]
    for i, (author, body) in enumerate(zip(authors, bodies, strict=True)):
        chat_post(session=session, author=author, body=body, now=later(60 + i))
    return session, ["Checkout fails with 500.", *bodies]


@pytest.mark.parametrize("who", ["customer", "engineer"])
def test_escalation_carries_every_message_with_times_and_names(request, open_chat, customer, engineer, who):
    customer.first_name, customer.last_name = "Casey", "Customer"
    customer.save(update_fields=["first_name", "last_name"])
    session, bodies = _conversation(customer, engineer)
    actor = request.getfixturevalue(who)

    ticket, created = chat_escalate(session=session, actor=actor, now=later(120))

    assert created
    description = ticket.description
    for body in bodies:
        assert body in description
    assert description.index(bodies[0]) < description.index(bodies[1]) < description.index(bodies[-1])
    assert "[2026-03-04 10:01:00 UTC] Casey Customer:" not in description  # engineer wrote first at 10:01
    assert f"[2026-03-04 10:01:00 UTC] {engineer.display_name} (support):" in description
    assert "[2026-03-04 10:01:01 UTC] Casey Customer:" in description
    assert ticket.subject == "Live chat: Checkout fails"
    assert ticket.account == customer.account
    assert ticket.created_by == actor
    session.refresh_from_db()
    assert session.ticket == ticket and session.status == "ended" and session.end_reason == "escalated"


def test_the_escalated_ticket_gets_the_normal_work_started_clock(open_chat, customer, engineer):
    session, _ = _conversation(customer, engineer)

    ticket, _ = chat_escalate(session=session, actor=engineer, now=later(120))

    assert ticket.created_at == later(120)
    assert ticket.priority == "general"
    assert ticket.work_started_deadline == later(120) + dt.timedelta(hours=6)  # Advanced, General
    assert ticket.status == "new" and ticket.miss_pending
    assert ticket.channel == "chat"
    assert TicketEvent.objects.filter(ticket=ticket, code="created_from_chat", data__chat=session.pk).exists()


def test_escalating_twice_gives_one_ticket(open_chat, customer, engineer):
    session, _ = _conversation(customer, engineer)

    first, created = chat_escalate(session=session, actor=customer, now=later(120))
    second, created_again = chat_escalate(session=session, actor=engineer, now=later(130))

    assert created and not created_again
    assert first.pk == second.pk
    assert Ticket.objects.count() == 1


def test_an_ended_chat_can_be_escalated_later(open_chat, customer, engineer):
    session, bodies = _conversation(customer, engineer)
    chat_end(session=session, actor=engineer, now=later(200))

    ticket, _ = chat_escalate(session=session, actor=customer, now=later(900))

    assert all(body in ticket.description for body in bodies)
    assert ChatSession.objects.get(pk=session.pk).end_reason == "staff"  # how it ended stays


def test_a_coworker_or_another_account_cannot_escalate(open_chat, customer, coworker, other_customer):
    session = request_chat(customer, now=T0)

    for outsider in (coworker, other_customer):
        with pytest.raises(roles.Denied):
            chat_escalate(session=session, actor=outsider, now=later(1))
    assert not Ticket.objects.exists()


def test_a_transcript_longer_than_a_description_is_attached_whole(open_chat, customer, engineer):
    session = active_chat(customer, engineer, now=T0)
    for i in range(6):
        chat_post(session=session, author=customer, body=f"part {i} " + "x" * 4900, now=later(i + 1))

    ticket, _ = chat_escalate(session=session, actor=engineer, now=later(60))

    assert len(ticket.description) <= 20_000
    assert "attached" in ticket.description
    attachment = ticket.attachments.get()
    text = attachment.file.read().decode()
    assert text == chat_transcript(ChatSession.objects.get(pk=session.pk))
    assert all(f"part {i} " in text for i in range(6))


# --- phone calls ----------------------------------------------------------------------------------


def test_staff_log_a_phone_call_and_escalate_it(open_chat, account, engineer):
    started = timezone.now() - dt.timedelta(minutes=20)

    call = chat_log_phone(
        account=account,
        logged_by=engineer,
        caller="Dana from Finance",
        started_at=started,
        duration=12 * 60 + 5,
        notes="Invoices export fails; asked for a screenshot.",
    )

    assert call.kind == "phone" and call.status == "ended"
    assert call.duration_seconds == 12 * 60 + 5
    ticket, created = chat_escalate(session=call, actor=engineer)
    assert created
    assert ticket.subject == "Phone call with Dana from Finance"
    assert ticket.channel == "phone"
    assert "Invoices export fails" in ticket.description and "12 min 5 s" in ticket.description
    assert chat_escalate(session=call, actor=engineer)[0] == ticket


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"caller": ""}, "caller"),
        ({"duration": 0}, "duration"),
        ({"duration": 24 * 3600 + 1}, "duration"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"started_at": dt.datetime(2026, 3, 4, 10, 0)}, "started_at"),  # naive
        ({"started_at_offset": dt.timedelta(hours=1)}, "started_at"),  # in the future
        ({"duration": 3 * 3600}, "duration"),  # would end in the future
        ({"notes": "x" * 10_001}, "notes"),
    ],
)
def test_bad_phone_calls_are_refused(account, engineer, changes, field):
    fields = {
        "caller": "Dana",
        "started_at": timezone.now() - dt.timedelta(hours=1),
        "duration": 600,
        "notes": "",
    }
    offset = changes.pop("started_at_offset", None)
    if offset is not None:
        fields["started_at"] = timezone.now() + offset
    fields.update(changes)

    with pytest.raises(ValidationError) as refused:
        chat_log_phone(account=account, logged_by=engineer, **fields)

    assert field in refused.value.message_dict
    assert not ChatSession.objects.exists()


def test_customers_cannot_log_phone_calls(account, customer):
    with pytest.raises(roles.Denied):
        chat_log_phone(
            account=account,
            logged_by=customer,
            caller="Me",
            started_at=timezone.now(),
            duration=60,
        )


def test_who_accepted_is_read_from_the_database_not_from_a_stale_copy(open_chat, customer, engineer):
    session = request_chat(customer, now=T0)  # read before anyone accepted it
    chat_accept(session=session, engineer=engineer, now=later(1))

    message = chat_post(session=session, author=engineer, body="Hello!", now=later(2))

    assert message.author == engineer
