"""/api/v1/misses/: read only, a customer's own account's, every account's for staff."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpdesk.tickets.models import Ticket
from helpdesk.tickets.services.tickets import ticket_downgrade, ticket_start_work
from sla.clocks.models import Miss
from sla.clocks.services.exclusions import exclusion_create
from sla.clocks.services.misses import misses_record_due
from tests.factories import CustomerFactory, EngineerFactory, make_ticket

URL = "/api/v1/misses/"
T0 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
H = dt.timedelta(hours=1)
CONTRACT_FIELDS = {
    "id",
    "ticket",
    "account",
    "deadline",
    "recorded_at",
    "month",
    "counted",
    "excluded_reason",
}

# Measured: the page count, the page of misses (ticket, account and voider joined) and the
# exclusion periods that touched the page's misses = 3.
LIST_QUERIES = 3

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # DEBUG is off in tests, so production's HTTPS redirect would answer every request with a 301.
    settings.SECURE_SSL_REDIRECT = False


def _user(request, role):
    return None if role == "anonymous" else request.getfixturevalue(role)


@pytest.fixture
def misses(customer, other_customer):
    """A miss on each account: the customer's High ticket and the other account's."""
    mine = make_ticket(customer=customer, priority="high", now=T0)
    theirs = make_ticket(customer=other_customer, priority="high", now=T0)
    misses_record_due(now=T0 + H)
    return Miss.objects.get(ticket=mine), Miss.objects.get(ticket=theirs)


# --- who sees what ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "sees"),
    [
        ("anonymous", 401, None),
        ("customer", 200, {"mine"}),
        ("other_customer", 200, {"theirs"}),
        ("engineer", 200, {"mine", "theirs"}),
        ("billing_admin", 200, {"mine", "theirs"}),
    ],
)
def test_list_permission_matrix(request, api, misses, role, status, sees):
    mine, theirs = misses
    ids = {mine.pk: "mine", theirs.pk: "theirs"}

    response = api(_user(request, role)).get(URL)

    assert response.status_code == status
    if sees is not None:
        assert {ids[row["id"]] for row in response.json()["results"]} == sees
        assert response.json()["count"] == len(sees)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 200),
        ("other_customer", 404),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_detail_permission_matrix(request, api, misses, role, status):
    mine, _ = misses

    response = api(_user(request, role)).get(f"{URL}{mine.pk}/")

    assert response.status_code == status
    if status == 200:
        assert response.json()["id"] == mine.pk


@pytest.mark.parametrize("role", ["customer", "engineer", "billing_admin"])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_misses_are_read_only_for_everyone(request, api, misses, role, method):
    mine, _ = misses
    client = api(request.getfixturevalue(role))
    url = URL if method == "post" else f"{URL}{mine.pk}/"

    response = getattr(client, method)(url, {"counted": False, "ticket": mine.ticket_id}, format="json")

    assert response.status_code == 405
    mine.refresh_from_db()
    assert mine.counted is True and Miss.objects.count() == 2


def test_anonymous_write_is_a_401(api, misses):
    assert api(None).post(URL, {}, format="json").status_code == 401


def test_an_unknown_miss_is_a_404(api, engineer):
    assert api(engineer).get(f"{URL}999999/").status_code == 404


# --- what a miss says ------------------------------------------------------------------------


def test_a_miss_has_the_contract_fields(api, customer, misses):
    mine, _ = misses

    body = api(customer).get(f"{URL}{mine.pk}/").json()

    assert set(body) >= CONTRACT_FIELDS
    assert body["ticket"] == mine.ticket_id and body["account"] == customer.account_id
    assert body["deadline"] == "2026-03-10T10:30:00Z"
    assert body["recorded_at"] == "2026-03-10T11:00:00Z"
    assert body["month"] == "2026-03"
    assert body["counted"] is True and body["excluded_reason"] is None
    assert body["priority"] == "high" and body["clock_started_at"] == "2026-03-10T10:00:00Z"
    assert body["voided"] is False and body["voided_by"] is None and body["void_reason"] is None


def test_lateness_runs_to_work_started_or_to_now(api, customer, engineer):
    late = make_ticket(customer=customer, priority="high", now=T0)
    ticket_start_work(ticket=late, actor=engineer, now=T0 + 45 * MIN)  # 15 minutes late
    never = make_ticket(customer=customer, priority="high", now=T0)
    misses_record_due(now=T0 + H)

    with time_machine.travel(T0 + 2 * H, tick=False):
        rows = {row["ticket"]: row for row in api(customer).get(URL).json()["results"]}

    assert rows[late.pk]["lateness_seconds"] == 15 * 60
    assert rows[never.pk]["lateness_seconds"] == 90 * 60


def test_the_customer_sees_a_voided_miss_with_who_and_why(api, customer, engineer):
    engineer.first_name, engineer.last_name = "Eve", "Engineer"
    engineer.save()
    ticket = make_ticket(customer=customer, priority="high", now=T0)
    misses_record_due(now=T0 + 31 * MIN)
    ticket_downgrade(ticket=ticket, actor=engineer, reason="Only a cosmetic bug", now=T0 + 40 * MIN)

    body = api(customer).get(URL).json()

    (row,) = body["results"]
    assert row["voided"] is True and row["counted"] is False
    assert row["voided_by"] == "Eve Engineer" and row["void_reason"] == "Only a cosmetic bug"
    assert "Misclassified" in row["excluded_reason"]


# --- filters -------------------------------------------------------------------------------


@pytest.fixture
def spread(customer, other_customer, engineer, billing_admin):
    """Misses in March and April on the customer's account (one not counted), one on the other's."""
    march = make_ticket(customer=customer, priority="high", now=T0)
    excused = make_ticket(customer=customer, priority="high", now=T0 + 2 * H)
    # Started 15 minutes late, inside maintenance declared afterwards: excused.
    ticket_start_work(ticket=excused, actor=engineer, now=T0 + 2 * H + 45 * MIN)
    april = make_ticket(customer=customer, priority="high", now=T0 + dt.timedelta(days=31))
    theirs = make_ticket(customer=other_customer, priority="high", now=T0)
    exclusion_create(
        created_by=billing_admin,
        kind="emergency_maintenance",
        starts_at=T0 + 2 * H,
        ends_at=T0 + 3 * H,
        note="Database failover",
    )
    misses_record_due(now=T0 + dt.timedelta(days=40))
    return {"march": march.pk, "excused": excused.pk, "april": april.pk, "theirs": theirs.pk}


def _tickets(response) -> set[int]:
    assert response.status_code == 200, response.json()
    return {row["ticket"] for row in response.json()["results"]}


def test_filter_by_month_counted_and_account(api, engineer, customer, other_customer, spread):
    client = api(engineer)

    assert _tickets(client.get(URL, {"month": "2026-04"})) == {spread["april"]}
    assert _tickets(client.get(URL, {"counted": "false"})) == {spread["excused"]}
    assert _tickets(client.get(URL, {"counted": "true", "month": "2026-03"})) == {
        spread["march"],
        spread["theirs"],
    }
    assert _tickets(client.get(URL, {"account": other_customer.account_id})) == {spread["theirs"]}
    assert _tickets(client.get(URL)) == set(spread.values())


def test_a_customer_cannot_filter_their_way_into_another_account(api, customer, other_customer, spread):
    assert _tickets(api(customer).get(URL, {"account": other_customer.account_id})) == set()


def test_the_excluded_reason_is_shown(api, customer, spread):
    rows = {row["ticket"]: row for row in api(customer).get(URL).json()["results"]}

    assert rows[spread["excused"]]["counted"] is False
    (period,) = rows[spread["excused"]]["exclusion_periods"]
    assert rows[spread["excused"]]["excluded_reason"] == f"Emergency maintenance #{period['id']}"
    assert rows[spread["excused"]]["exclusion_period"] == period["id"]
    assert period["kind"] == "emergency_maintenance" and period["note"] == "Database failover"
    assert all(row["exclusion_periods"] == [] for pk, row in rows.items() if pk != spread["excused"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"month": "2026-13"}, "month"),
        ({"month": "yesterday"}, "month"),
        ({"month": "9999-01"}, "month"),
        ({"counted": "perhaps"}, "counted"),
        ({"account": "abc"}, "account"),
        ({"account": "0"}, "account"),
        ({"account": str(2**70)}, "account"),
    ],
)
def test_bad_filters_are_a_400_naming_the_field(api, engineer, params, field):
    response = api(engineer).get(URL, params)

    assert response.status_code == 400
    assert field in response.json()


# --- query counts --------------------------------------------------------------------------


def _misses(count: int) -> None:
    """`count` misses over a handful of accounts, some voided by a downgrade."""
    engineer = EngineerFactory()
    templates = [make_ticket(customer=CustomerFactory(), priority="high", now=T0) for _ in range(3)]
    fields = [
        {f.attname: getattr(t, f.attname) for f in Ticket._meta.concrete_fields if not f.primary_key}
        for t in templates
    ]
    Ticket.objects.bulk_create(
        [Ticket(**fields[n % 3]) for n in range(count - len(templates))], batch_size=250
    )
    misses_record_due(now=T0 + H)
    ticket_downgrade(ticket=templates[0], actor=engineer, reason="Not down", now=T0 + 2 * H)
    assert Miss.objects.count() == count


@pytest.mark.parametrize("count", [5, 200])
def test_the_list_costs_the_same_queries_at_5_and_200_misses(
    api, engineer, count, django_assert_max_num_queries
):
    _misses(count)

    with CaptureQueriesContext(connection) as queries:
        response = api(engineer).get(URL)
    assert response.status_code == 200
    assert len(queries) == LIST_QUERIES

    with django_assert_max_num_queries(LIST_QUERIES):
        body = api(engineer).get(URL, {"month": "2026-03", "counted": "true"}).json()
    assert body["count"] == count - 1
