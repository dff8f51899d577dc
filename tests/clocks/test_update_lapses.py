"""Progress updates (seed 004): when the next is due, and the lapses the sweep records (with `now=`)."""

import datetime as dt
import importlib

import pytest
from django.apps import apps as django_apps
from django.core import mail

from helpdesk.accounts.models import MutedNotification, NotificationCategory
from helpdesk.tickets.models import Ticket, TicketEvent
from helpdesk.tickets.services.messages import message_create
from helpdesk.tickets.services.tickets import (
    ticket_log_call,
    ticket_start_work,
    ticket_transition,
)
from helpdesk.tickets.services.workspace import ticket_assign
from sla.clocks.models import ExclusionPeriod, UpdateLapse
from sla.clocks.notifications import notify_update_lapsed
from sla.clocks.services.exclusions import exclusion_cancel, exclusion_create
from sla.clocks.services.lapses import lapses_record_due
from sla.terms.services.plans import plan_update
from tests.factories import AccountFactory, CustomerFactory, EngineerFactory, fast_plan, make_ticket

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)
S = dt.timedelta(seconds=1)
EVERY = 3600


@pytest.fixture
def customer(db):
    plan = plan_update(plan=fast_plan(600, code="updates-hourly"), progress_update_every=EVERY)
    return CustomerFactory(account=AccountFactory(plan=plan))


@pytest.fixture
def ticket(customer):
    return make_ticket(customer=customer, now=T0)


def _due(ticket) -> dt.datetime | None:
    return Ticket.objects.get(pk=ticket.pk).next_update_due


def _lapses(ticket) -> list[dt.datetime]:
    return list(UpdateLapse.objects.filter(ticket=ticket).order_by("due_at").values_list("due_at", flat=True))


def test_nothing_is_due_before_work_starts(ticket):
    assert _due(ticket) is None
    assert lapses_record_due(now=T0 + 10 * EVERY * S) == 0


def test_start_work_sets_the_first_update_due_one_interval_later(ticket, engineer):
    ticket_start_work(ticket=ticket, actor=engineer, now=T0 + 60 * S)

    assert _due(ticket) == T0 + (60 + EVERY) * S


def test_each_public_staff_reply_restarts_the_interval_but_an_internal_note_does_not(ticket, engineer):
    ticket_start_work(ticket=ticket, actor=engineer, now=T0)
    message_create(ticket=ticket, author=engineer, body="We are on it.", now=T0 + 600 * S)
    assert _due(ticket) == T0 + (600 + EVERY) * S

    message_create(ticket=ticket, author=engineer, body="Note to self", public=False, now=T0 + 1200 * S)

    assert _due(ticket) == T0 + (600 + EVERY) * S


def test_a_customer_reply_is_not_a_progress_update(ticket, engineer, customer):
    ticket_start_work(ticket=ticket, actor=engineer, now=T0)

    message_create(ticket=ticket, author=customer, body="Any news?", now=T0 + 600 * S)

    assert _due(ticket) == T0 + EVERY * S


def test_a_logged_call_to_the_customer_is_a_progress_update(ticket, engineer):
    ticket_start_work(ticket=ticket, actor=engineer, now=T0)

    ticket_log_call(ticket=ticket, actor=engineer, summary="Called with news", now=T0 + 900 * S)

    assert _due(ticket) == T0 + (900 + EVERY) * S


def test_resolving_stops_the_updates_and_reopening_starts_them_again(ticket, engineer, customer):
    ticket_start_work(ticket=ticket, actor=engineer, now=T0)
    ticket_transition(ticket=ticket, actor=engineer, to_status="resolved", now=T0 + 60 * S)
    assert _due(ticket) is None
    assert lapses_record_due(now=T0 + 5 * EVERY * S) == 0

    message_create(ticket=ticket, author=customer, body="It is back.", now=T0 + 7200 * S)

    assert Ticket.objects.get(pk=ticket.pk).status == "work_started"
    assert _due(ticket) == T0 + (7200 + EVERY) * S


def test_a_staff_reopen_starts_them_again(ticket, engineer):
    ticket_start_work(ticket=ticket, actor=engineer, now=T0)
    ticket_transition(ticket=ticket, actor=engineer, to_status="resolved", now=T0 + 60 * S)

    ticket_transition(ticket=ticket, actor=engineer, to_status="work_started", now=T0 + 120 * S)

    assert _due(ticket) == T0 + (120 + EVERY) * S


def test_a_plan_without_the_term_never_has_an_update_due(engineer, db):
    customer = CustomerFactory(account=AccountFactory(plan=fast_plan(600, code="no-updates")))
    ticket = make_ticket(customer=customer, now=T0)

    ticket_start_work(ticket=ticket, actor=engineer, now=T0)
    message_create(ticket=ticket, author=engineer, body="Hello", now=T0 + S)

    assert _due(ticket) is None


# --- the sweep ------------------------------------------------------------------------------


def test_no_update_records_one_lapse_per_due_instant_and_moves_the_clock_on(ticket, engineer):
    ticket_start_work(ticket=ticket, actor=engineer, now=T0)

    assert lapses_record_due(now=T0 + EVERY * S) == 0  # due at that instant: not lapsed yet
    assert lapses_record_due(now=T0 + (EVERY + 1) * S) == 1
    assert lapses_record_due(now=T0 + (EVERY + 1) * S) == 0  # a sweep run twice records once
    assert lapses_record_due(now=T0 + (3 * EVERY + 1) * S) == 2  # far behind: each instant once

    assert _lapses(ticket) == [T0 + n * EVERY * S for n in (1, 2, 3)]
    assert _due(ticket) == T0 + 4 * EVERY * S
    lapse = UpdateLapse.objects.filter(ticket=ticket).first()
    assert (lapse.account_id, lapse.month, lapse.since) == (ticket.account_id, "2026-03", T0)
    assert TicketEvent.objects.filter(ticket=ticket, code="update_lapsed").count() == 3
    # The ticket keeps the count, so the ticket list fetches lapses only where there are some.
    assert Ticket.objects.get(pk=ticket.pk).lapsed_updates == 3


def test_a_public_reply_in_time_records_no_lapse(ticket, engineer):
    ticket_start_work(ticket=ticket, actor=engineer, now=T0)
    message_create(ticket=ticket, author=engineer, body="Progress", now=T0 + (EVERY - 1) * S)

    assert lapses_record_due(now=T0 + (EVERY + 60) * S) == 0
    assert _lapses(ticket) == []


def test_an_internal_note_does_not_stop_the_lapse(ticket, engineer):
    ticket_start_work(ticket=ticket, actor=engineer, now=T0)
    message_create(ticket=ticket, author=engineer, body="Note", public=False, now=T0 + 60 * S)

    assert lapses_record_due(now=T0 + (EVERY + 1) * S) == 1


def test_the_unique_constraint_keeps_one_lapse_per_due_instant(ticket, engineer):
    ticket_start_work(ticket=ticket, actor=engineer, now=T0)
    lapses_record_due(now=T0 + (EVERY + 1) * S)
    # A worker that read the ticket before the first run committed would try the same instant again.
    Ticket.objects.filter(pk=ticket.pk).update(next_update_due=T0 + EVERY * S, update_clock_started_at=T0)

    assert lapses_record_due(now=T0 + (EVERY + 2) * S) == 0
    assert _lapses(ticket) == [T0 + EVERY * S]
    assert Ticket.objects.get(pk=ticket.pk).lapsed_updates == 1  # the refused copy is not counted


def test_an_exclusion_period_pauses_the_update_clock(ticket, engineer, billing_admin):
    # Declared for the account, twenty minutes inside the first interval.
    ExclusionPeriod.objects.create(
        kind="emergency_maintenance",
        starts_at=T0 + 600 * S,
        ends_at=T0 + 1800 * S,
        account=ticket.account,
        created_by=billing_admin,
    )

    ticket_start_work(ticket=ticket, actor=engineer, now=T0)

    assert _due(ticket) == T0 + (EVERY + 1200) * S
    assert lapses_record_due(now=T0 + (EVERY + 1) * S) == 0
    assert lapses_record_due(now=T0 + (EVERY + 1201) * S) == 1


def test_a_period_declared_after_the_clock_was_set_still_pauses_it_at_the_sweep(
    ticket, engineer, billing_admin
):
    ticket_start_work(ticket=ticket, actor=engineer, now=T0)
    ExclusionPeriod.objects.create(
        kind="force_majeure",
        starts_at=T0 + 3000 * S,
        ends_at=T0 + 4000 * S,
        account=None,
        created_by=billing_admin,
    )

    assert lapses_record_due(now=T0 + (EVERY + 1) * S) == 0
    assert _due(ticket) == T0 + (EVERY + 1000) * S


def test_declaring_and_cancelling_a_period_moves_the_running_update_clock(ticket, engineer, billing_admin):
    ticket_start_work(ticket=ticket, actor=engineer, now=T0)

    period = exclusion_create(
        created_by=billing_admin,
        kind="scheduled_maintenance",
        starts_at=T0 + 600 * S,
        ends_at=T0 + 900 * S,
        account=ticket.account,
        note="Agreed database upgrade",
        now=T0 + 60 * S,
    )
    assert _due(ticket) == T0 + (EVERY + 300) * S

    exclusion_cancel(period=period, actor=billing_admin, reason="Postponed", now=T0 + 120 * S)
    assert _due(ticket) == T0 + EVERY * S


def test_a_period_for_another_account_leaves_the_update_clock_alone(ticket, engineer, billing_admin):
    ticket_start_work(ticket=ticket, actor=engineer, now=T0)

    exclusion_create(
        created_by=billing_admin,
        kind="scheduled_maintenance",
        starts_at=T0 + 600 * S,
        ends_at=T0 + 900 * S,
        account=AccountFactory(),
        note="Someone else's upgrade",
        now=T0 + 60 * S,
    )

    assert _due(ticket) == T0 + EVERY * S


# --- the mail -------------------------------------------------------------------------------


def _lapse(ticket, engineer) -> list[int]:
    ticket_start_work(ticket=ticket, actor=engineer, now=T0)
    lapses_record_due(now=T0 + (EVERY + 1) * S)
    return list(UpdateLapse.objects.filter(ticket=ticket).values_list("pk", flat=True))


def test_the_engineers_on_duty_hear_of_a_lapse_on_an_unassigned_ticket(ticket, engineer):
    muted = EngineerFactory()
    MutedNotification.objects.create(user=muted, category=NotificationCategory.TICKET_UPDATES)
    other = EngineerFactory()
    ids = _lapse(ticket, engineer)
    mail.outbox.clear()

    assert notify_update_lapsed(ids) == 1

    message = mail.outbox[0]
    assert set(message.to) == {engineer.email, other.email}
    assert f"#{ticket.pk}" in message.subject
    assert "Progress update overdue" in message.subject
    assert "fell due" in message.body
    assert message.alternatives and message.alternatives[0][1] == "text/html"


def test_only_the_assignee_hears_of_a_lapse_on_an_assigned_ticket(ticket, engineer):
    owner = EngineerFactory()
    ticket_assign(ticket=ticket, actor=engineer, assignee=owner)
    ids = _lapse(ticket, engineer)
    mail.outbox.clear()

    notify_update_lapsed(ids)

    assert [m.to for m in mail.outbox] == [[owner.email]]


def test_no_mail_once_the_ticket_is_resolved(ticket, engineer):
    ids = _lapse(ticket, engineer)
    ticket_transition(ticket=ticket, actor=engineer, to_status="resolved", now=T0 + (EVERY + 5) * S)
    mail.outbox.clear()

    assert notify_update_lapsed(ids) == 0
    assert mail.outbox == []


# --- the SLA report -------------------------------------------------------------------------


@pytest.fixture
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


def test_the_sla_report_counts_lapses_per_account_per_month(
    _plain_http, ticket, engineer, api, client, customer
):
    other = CustomerFactory(account=AccountFactory(plan=customer.account.plan))
    ticket_start_work(ticket=ticket, actor=engineer, now=T0)
    lapses_record_due(now=T0 + (2 * EVERY + 1) * S)
    ticket_transition(ticket=ticket, actor=engineer, to_status="resolved", now=T0 + (2 * EVERY + 2) * S)
    # A ticket started on 31 March whose first update falls due in April.
    late = make_ticket(customer=other, now=dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC))
    ticket_start_work(ticket=late, actor=engineer, now=dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC))
    lapses_record_due(now=dt.datetime(2026, 4, 1, 0, 31, tzinfo=dt.UTC))

    march = api(engineer).get("/api/v1/reports/sla/", {"month": "2026-03"}).json()["results"]
    april = api(engineer).get("/api/v1/reports/sla/", {"month": "2026-04"}).json()["results"]

    by_account = {row["account"]: row["update_lapses"] for row in march}
    assert by_account[ticket.account_id] == 2 and by_account[other.account_id] == 0
    assert {row["account"]: row["update_lapses"] for row in april}[other.account_id] == 1
    client.force_login(engineer)
    page = client.get("/reports/sla/", {"month": "2026-03"}).content.decode()
    assert '<td data-label="Update lapses">2</td>' in page
    csv_text = client.get("/reports/sla.csv", {"month": "2026-03"}).content.decode()
    assert csv_text.splitlines()[0].endswith(",update_lapses")


def test_the_migration_counts_lapses_recorded_before_tickets_kept_the_count(ticket, engineer):
    ticket_start_work(ticket=ticket, actor=engineer, now=T0)
    lapses_record_due(now=T0 + (2 * EVERY + 1) * S)
    Ticket.objects.update(lapsed_updates=0)  # as every ticket was before the field existed
    migration = importlib.import_module("sla.clocks.migrations.0002_count_lapsed_updates")

    migration.count_lapses(django_apps, None)

    assert Ticket.objects.get(pk=ticket.pk).lapsed_updates == 2
