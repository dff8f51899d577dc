"""The ticket list's fast serializer writes exactly what DRF's own path writes, row by row."""

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIRequestFactory, force_authenticate

from helpdesk.kit.fastlist import _getter
from helpdesk.tickets import selectors
from helpdesk.tickets.api.serializers import TicketSerializer
from helpdesk.tickets.models import Ticket
from helpdesk.tickets.services.tickets import ticket_downgrade, ticket_start_work, ticket_transition
from helpdesk.tickets.services.workspace import ticket_assign
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def _varied(customer, engineer) -> list[Ticket]:
    plain = make_ticket(customer=customer)
    high = make_ticket(customer=customer, priority="high", subject="<b>down</b> & out")
    ticket_downgrade(ticket=high, actor=engineer, reason="Only one user is affected.")
    started = make_ticket(customer=customer)
    ticket_start_work(ticket=started, actor=engineer)
    ticket_assign(ticket=started, actor=engineer, assignee=engineer)
    resolved = make_ticket(customer=customer, subject="Fixed")
    ticket_start_work(ticket=resolved, actor=engineer)
    ticket_transition(ticket=resolved, actor=engineer, to_status="resolved", reason="")
    # A deadline with microseconds and one in the past: both forms DRF writes.
    Ticket.objects.filter(pk=plain.pk).update(
        work_started_deadline=timezone.now() - dt.timedelta(minutes=5, microseconds=123)
    )
    return [plain, high, started, resolved]


def _both(user, tickets):
    request = APIRequestFactory().get("/api/v1/tickets/")
    force_authenticate(request, user)
    request.user = user
    context = {"request": request, "now": timezone.now()}
    rows = list(selectors.account_tickets(user=user, with_chat=True).filter(pk__in=[t.pk for t in tickets]))
    fast = TicketSerializer(rows, many=True, context=context).data
    slow = [TicketSerializer(row, context=context).data for row in rows]
    return fast, slow


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
def test_fast_list_matches_drf_for_staff_and_customers(customer, engineer, zone):
    tickets = _varied(customer, engineer)
    with override_settings(TIME_ZONE=zone):
        for user in (engineer, customer):
            fast, slow = _both(user, tickets)
            assert len(fast) == 4
            assert [dict(row) for row in fast] == [dict(row) for row in slow]
            assert ("assignee" in fast[0]) is (user == engineer)
    downgraded = next(row for row in fast if row["downgraded_from"])
    assert downgraded["downgrade_reason"] == "Only one user is affected."
    assert any(row["work_started_at"] for row in fast) and any(row["resolved_at"] for row in fast)


def test_the_list_api_answers_as_the_serializer_does(api, customer, engineer):
    tickets = _varied(customer, engineer)
    listed = api(engineer).get("/api/v1/tickets/").json()["results"]
    for row in listed:
        detail = api(engineer).get(f"/api/v1/tickets/{row['id']}/").json()
        assert {k: v for k, v in row.items() if k != "sla_state"} == {
            k: v for k, v in detail.items() if k in row and k != "sla_state"
        }
    assert {row["id"] for row in listed} == {t.pk for t in tickets}


def test_every_ticket_field_takes_the_fast_path(engineer):
    request = APIRequestFactory().get("/api/v1/tickets/")
    request.user = engineer
    child = TicketSerializer(context={"request": request, "now": timezone.now()})
    assert all(_getter(child, field) is not None for field in child._readable_fields)
