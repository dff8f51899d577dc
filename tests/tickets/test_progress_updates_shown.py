"""Progress updates (seed 004) as people see them: the ticket API, the queue row and the ticket page."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from helpdesk.tickets.models import Ticket
from helpdesk.tickets.services.tickets import ticket_start_work
from sla.clocks.models import UpdateLapse
from sla.clocks.services.lapses import lapses_record_due
from sla.terms.services.plans import plan_update
from tests.factories import AccountFactory, CustomerFactory, fast_plan, make_ticket, ticket_copies

pytestmark = pytest.mark.django_db

URL = "/api/v1/tickets/"
EVERY = 3600
S = dt.timedelta(seconds=1)


@pytest.fixture
def updates_customer(db):
    plan = plan_update(plan=fast_plan(600, code="updates-hourly"), progress_update_every=EVERY)
    return CustomerFactory(account=AccountFactory(plan=plan))


@pytest.fixture
def started(updates_customer, engineer):
    """Started two and a half hours ago with no update since: two lapses, the next due in 30 min."""
    began = timezone.now() - 2.5 * EVERY * S
    ticket = make_ticket(customer=updates_customer, now=began - 60 * S)
    ticket_start_work(ticket=ticket, actor=engineer, now=began)
    lapses_record_due()
    return Ticket.objects.get(pk=ticket.pk)


def _user(request, role):
    return None if role == "anonymous" else request.getfixturevalue(role)


def _copies(template: Ticket, count: int) -> list[int]:
    """`count` more started tickets like the template, each with the template's lapses."""
    copies = ticket_copies(template, count)
    lapses = list(UpdateLapse.objects.filter(ticket=template))
    UpdateLapse.objects.bulk_create(
        UpdateLapse(
            ticket=copy,
            account_id=copy.account_id,
            since=lapse.since,
            due_at=lapse.due_at,
            recorded_at=lapse.recorded_at,
            month=lapse.month,
        )
        for copy in copies
        for lapse in lapses
    )
    return [c.pk for c in copies]


# --- the API --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("updates_customer", 200),
        ("other_customer", 404),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_the_ticket_shows_when_the_next_update_is_due_and_the_lapses(request, api, started, role, status):
    response = api(_user(request, role)).get(f"{URL}{started.pk}/")

    assert response.status_code == status
    if status != 200:
        assert "update_lapses" not in response.content.decode()
        return
    body = response.json()
    assert parse_datetime(body["next_update_due"]) == started.next_update_due
    lapses = list(UpdateLapse.objects.filter(ticket=started).order_by("due_at"))
    assert len(lapses) == 2
    assert [
        (parse_datetime(x["due_at"]), parse_datetime(x["recorded_at"])) for x in body["update_lapses"]
    ] == [(lapse.due_at, lapse.recorded_at) for lapse in lapses]


def test_a_ticket_not_started_has_nothing_due(api, customer, ticket):
    body = api(customer).get(f"{URL}{ticket.pk}/").json()

    assert body["next_update_due"] is None
    assert body["update_lapses"] == []


def _list_queries(client, **params) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(queries), response.json()


def test_the_list_shows_every_rows_lapses_in_the_same_queries_at_5_and_50_tickets(api, engineer, started):
    _copies(started, 4)
    at_five, body = _list_queries(api(engineer))
    assert all(len(row["update_lapses"]) == 2 for row in body["results"])

    _copies(started, 45)
    at_fifty, body = _list_queries(api(engineer), page_size=50)

    assert at_five == at_fifty <= 3
    assert len(body["results"]) == 50 and all(len(row["update_lapses"]) == 2 for row in body["results"])


# --- the pages ------------------------------------------------------------------------------


def _page_queries(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_queue_row_counts_down_to_the_update_due(client, engineer, started):
    client.force_login(engineer)

    html = client.get(reverse("queue")).content.decode()

    row = html.split(f'data-ticket="{started.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "update due" in row
    assert (
        'data-update-due data-deadline="'
        + started.next_update_due.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        in row
    )
    assert "in 29m" in row or "in 30m" in row


def test_the_queue_runs_the_same_queries_whatever_the_rows_with_updates_due(client, engineer, started):
    client.force_login(engineer)
    _copies(started, 4)
    client.get(reverse("queue"))  # the first visit also fills the session and the counters' cache
    few, _ = _page_queries(client, reverse("queue"))

    _copies(started, 60)
    many, html = _page_queries(client, reverse("queue"))

    assert few == many
    assert html.count("data-update-due") == 25  # a keyset page of 25, every row with an update due


def test_the_ticket_page_shows_the_update_due_and_the_lapses(client, updates_customer, started):
    client.force_login(updates_customer)

    html = client.get(reverse("ticket_detail", args=[started.pk])).content.decode()

    assert "Progress update" in html and "data-update-due" in html
    assert "at least every 1 hour" in html
    assert "Progress updates that lapsed" in html
    assert html.count("<li>due <time") == 2


def test_the_ticket_page_runs_the_same_queries_with_0_or_40_lapses(
    client, engineer, started, updates_customer
):
    quiet = make_ticket(customer=updates_customer)
    ticket_start_work(ticket=quiet, actor=engineer)
    client.force_login(engineer)
    client.get(reverse("ticket_detail", args=[quiet.pk]))  # the first visit also fills the session
    without, _ = _page_queries(client, reverse("ticket_detail", args=[quiet.pk]))
    lapse = UpdateLapse.objects.filter(ticket=started).first()
    UpdateLapse.objects.bulk_create(
        UpdateLapse(
            ticket=started,
            account_id=started.account_id,
            since=lapse.due_at + (n - 1) * S,
            due_at=lapse.due_at + n * S,
            recorded_at=lapse.recorded_at,
            month=lapse.month,
        )
        for n in range(1, 39)
    )

    with_many, html = _page_queries(client, reverse("ticket_detail", args=[started.pk]))

    assert html.count("<li>due <time") == 40
    assert with_many == without


def test_a_ticket_with_no_update_due_shows_no_update_countdown(client, customer, ticket):
    client.force_login(customer)

    html = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

    assert "data-update-due" not in html and "Progress updates that lapsed" not in html
