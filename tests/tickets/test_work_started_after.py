"""Ticket.work_started_after: the microseconds from submission to Work Started, kept in the row when
work starts (the SLA report reads it), and held by a check constraint to exactly that difference as
the database itself works it out, on both databases."""

import datetime as dt

from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk.tickets.models import Ticket
from helpdesk.tickets.services.tickets import ticket_start_work

US = dt.timedelta(microseconds=1)
instants = st.datetimes(
    min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)
)


def _keep(ticket, created, started, after) -> bool:
    """Whether the database accepts the row with these values."""
    try:
        with transaction.atomic():
            Ticket.objects.filter(pk=ticket.pk).update(
                created_at=created, work_started_at=started, work_started_after=after
            )
    except IntegrityError:
        return False
    return True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(created=instants, after=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=400)))
def test_the_database_holds_it_to_the_exact_microsecond(ticket, created, after):
    exact = after // US

    assert _keep(ticket, created, created + after, exact)
    assert not _keep(ticket, created, created + after, exact + 1)
    assert not _keep(ticket, created, created + after, exact - 1)
    assert not _keep(ticket, created, created + after, None)


def test_it_is_empty_until_work_starts_then_set_as_work_starts(ticket, engineer):
    assert Ticket.objects.values_list("work_started_after", flat=True).get(pk=ticket.pk) is None
    assert not _keep(ticket, ticket.created_at, None, 5)  # no start, no duration

    ticket_start_work(ticket=ticket, actor=engineer)
    ticket.refresh_from_db()

    assert ticket.work_started_after == (ticket.work_started_at - ticket.created_at) // US
    assert ticket.work_started_after >= 0
