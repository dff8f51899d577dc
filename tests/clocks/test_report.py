"""The monthly SLA report: numbers from a hand-built month, the API, the CSV and their query counts."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from helpdesk.accounts.models import Account
from helpdesk.kit.months import month_of
from helpdesk.tickets.models import Ticket
from helpdesk.tickets.services.tickets import ticket_downgrade, ticket_start_work
from sla.clocks.models import Miss
from sla.clocks.selectors import sla_report
from sla.clocks.services.exclusions import exclusion_create
from sla.clocks.services.misses import misses_record_due
from tests.factories import AccountFactory, CustomerFactory, EngineerFactory, make_ticket

URL = "/api/v1/reports/sla/"
CSV_URL = "/reports/sla.csv"
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)

# Measured: the report itself is five queries (the accounts; then per account its tickets'
# counts and durations, its misses, ratings and lapses); the API counts the accounts and reads
# its page of them instead of all of them.
REPORT_QUERIES = 5
API_QUERIES = 6

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # DEBUG is off in tests, so production's HTTPS redirect would answer every request with a 301.
    settings.SECURE_SSL_REDIRECT = False


def at(day: int, hour: int = 10, minute: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)


@pytest.fixture
def new_york(settings):
    settings.SUPPORT_TIME_ZONE = "America/New_York"


@pytest.fixture
def march(new_york, customer, other_customer, engineer, billing_admin):
    """March 2026 in New York for three accounts (Advanced: General 6 h, High 30 min).

    The customer's account, tickets whose current deadline is in March (New York):
      met (8): Work Started after 1 h, 2 h, 10 min, 5 h, 30 min, 3 h; a High ticket whose
               deadline is 31 March 23:30 New York (1 April 03:30 UTC), started after 20 min;
               a High ticket that missed, was downgraded and started after 1 h, in time for
               General (its High miss is voided).
      missed (5): started 15 min and 2 h late; never started (General, High); never started
               though a force-majeure period paused its clock for an hour (still counted: a
               pause moves the deadline, it does not excuse a request nobody answered).
    Outside March: a deadline on 1 March 03:00 UTC (still February in New York) and one on
    1 April 04:15 UTC (April in New York too).
    The other account (Premium: General 2 h): one met after 1 h, one never started.
    A third account has nothing due.
    """

    def started(after, priority="general", now=None, **kw):
        ticket = make_ticket(customer=customer, priority=priority, now=now, **kw)
        ticket_start_work(ticket=ticket, actor=engineer, now=now + after)
        return ticket

    started(1 * H, now=at(2))
    started(2 * H, now=at(3))
    started(10 * M, priority="high", now=at(4))
    started(5 * H, now=at(5))
    started(30 * M, now=at(6))
    started(3 * H, now=at(7))
    started(20 * M, priority="high", now=at(1, 3, 0, month=4))
    started(45 * M, priority="high", now=at(14))
    started(8 * H, now=at(15))

    downgraded = make_ticket(customer=customer, priority="high", now=at(19))
    misses_record_due(now=at(19, 10, 31))
    ticket_downgrade(ticket=downgraded, actor=engineer, reason="Not an outage", now=at(19, 10, 40))
    ticket_start_work(ticket=downgraded, actor=engineer, now=at(19, 11))

    make_ticket(customer=customer, now=at(16))
    make_ticket(customer=customer, priority="high", now=at(17))
    make_ticket(customer=customer, priority="high", now=at(18))
    exclusion_create(
        created_by=billing_admin,
        kind="force_majeure",
        account=customer.account,
        starts_at=at(18, 9),
        ends_at=at(18, 11),
        note="Flood",
    )
    make_ticket(customer=customer, priority="high", now=at(1, 2, 30))
    make_ticket(customer=customer, priority="high", now=at(1, 3, 45, month=4))

    theirs = make_ticket(customer=other_customer, now=at(10))
    ticket_start_work(ticket=theirs, actor=engineer, now=at(10) + H)
    make_ticket(customer=other_customer, now=at(10, 11))

    AccountFactory(name="Zeta Quiet")
    misses_record_due(now=at(10, month=4))
    return customer.account, other_customer.account


def rows_by_name(rows) -> dict:
    return {row.account_name: row for row in rows}


def test_a_hand_built_month(march):
    mine, theirs = march

    rows = rows_by_name(sla_report(month="2026-03", accounts_qs=Account.objects.all()))

    assert set(rows) == {mine.name, theirs.name, "Zeta Quiet"}
    row = rows[mine.name]
    assert (row.tickets, row.met, row.missed, row.counted_misses) == (13, 8, 5, 5)
    assert row.compliance_percent == Decimal("61.54")  # 8 / 13
    # Sorted: 10m 20m 30m 45m 1h 1h 2h 3h 5h 8h -> rank 5 of 10 and rank 9 of 10.
    assert row.median_seconds_to_work_started == 3600
    assert row.p90_seconds_to_work_started == 5 * 3600
    other = rows[theirs.name]
    assert (other.tickets, other.met, other.missed, other.counted_misses) == (2, 1, 1, 1)
    assert other.compliance_percent == Decimal("50.00")
    assert other.median_seconds_to_work_started == other.p90_seconds_to_work_started == 3600
    quiet = rows["Zeta Quiet"]
    assert (quiet.tickets, quiet.met, quiet.missed, quiet.counted_misses) == (0, 0, 0, 0)
    assert quiet.compliance_percent is None
    assert quiet.median_seconds_to_work_started is None and quiet.p90_seconds_to_work_started is None


def test_the_month_boundary_is_the_support_time_zones(march):
    mine, _ = march

    feb = rows_by_name(sla_report(month="2026-02", accounts_qs=Account.objects.filter(pk=mine.pk)))
    apr = rows_by_name(sla_report(month="2026-04", accounts_qs=Account.objects.filter(pk=mine.pk)))

    # 1 March 03:00 UTC is 28 February 22:00 in New York; 1 April 04:15 UTC is April there too.
    assert (feb[mine.name].tickets, feb[mine.name].missed, feb[mine.name].counted_misses) == (1, 1, 1)
    assert (apr[mine.name].tickets, apr[mine.name].missed, apr[mine.name].counted_misses) == (1, 1, 1)
    assert Miss.objects.filter(account=mine, month="2026-03", counted=False).count() == 1  # the voided one


def test_the_api_shows_staff_every_account_and_a_customer_their_own(march, api, engineer, customer):
    mine, theirs = march

    staff_view = api(engineer).get(URL, {"month": "2026-03"})
    customer_view = api(customer).get(URL, {"month": "2026-03"})

    assert staff_view.status_code == 200
    body = staff_view.json()
    assert body["count"] == 3
    row = next(r for r in body["results"] if r["account"] == mine.pk)
    assert row == {
        "account": mine.pk,
        "account_name": mine.name,
        "month": "2026-03",
        "tickets": 13,
        "met": 8,
        "missed": 5,
        "counted_misses": 5,
        "compliance_percent": "61.54",
        "median_seconds_to_work_started": 3600,
        "p90_seconds_to_work_started": 18000,
        "ratings": 0,
        "good_ratings": 0,
        "good_rating_percent": None,
        "update_lapses": 0,
    }
    quiet = next(r for r in body["results"] if r["account_name"] == "Zeta Quiet")
    assert quiet["compliance_percent"] is None
    assert [r["account"] for r in customer_view.json()["results"]] == [mine.pk]


US = dt.timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("created", "started", "seconds"),
    [
        (at(3) - US, at(3), 0),  # one microsecond
        (at(3), at(3, 11) - US, 3599),  # a fraction on one side only
        (at(3) + 500_000 * US, at(3, 11) + 250_000 * US, 3599),  # the later fraction is the smaller
        (at(2, 23, 59) + 59_999_999 * US, at(3, 0, 0) + 1_000_001 * US, 1),  # across midnight
        (at(3) + 123_456 * US, at(3, 10, 5) + 123_456 * US, 300),
    ],
)
def test_a_duration_is_its_whole_seconds_to_the_microsecond(customer, created, started, seconds):
    ticket = make_ticket(customer=customer, now=at(3))
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=created, work_started_at=started, work_started_after=(started - created) // US
    )

    (row,) = sla_report(month="2026-03", accounts_qs=Account.objects.filter(pk=customer.account_id))

    assert int((started - created).total_seconds()) == seconds
    assert row.median_seconds_to_work_started == row.p90_seconds_to_work_started == seconds


def test_durations_rank_by_the_microsecond(customer):
    # 4.9996 s and 5 s: rounded to the millisecond they would tie and could rank either way.
    for after in (5_000_000 * US, 4_999_600 * US):
        ticket = make_ticket(customer=customer, now=at(3))
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=at(3), work_started_at=at(3) + after, work_started_after=after // US
        )

    (row,) = sla_report(month="2026-03", accounts_qs=Account.objects.filter(pk=customer.account_id))

    # Nearest rank of two: the median is the first, the 90th percentile the second.
    assert (row.median_seconds_to_work_started, row.p90_seconds_to_work_started) == (4, 5)


@pytest.mark.parametrize("month", ["2026-13", "March", "2026-3", "9999-01", "1999-12", "2026-03-01"])
def test_a_bad_month_is_a_400_naming_it(api, customer, month):
    response = api(customer).get(URL, {"month": month})

    assert response.status_code == 400
    assert "month" in response.json()


def test_without_a_month_the_api_reports_the_current_one(api, customer):
    response = api(customer).get(URL)

    assert response.status_code == 200
    assert response.json()["results"][0]["month"] == month_of(timezone.now())


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 401),
        ("customer", 200),
        ("other_customer", 200),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_report_permission_matrix(request, api, account, role, expected):
    user = None if role == "anonymous" else request.getfixturevalue(role)

    response = api(user).get(URL, {"month": "2026-03"})

    assert response.status_code == expected
    if role in ("customer", "other_customer"):
        assert [r["account"] for r in response.json()["results"]] == [user.account_id]


def test_the_report_is_read_only(api, billing_admin):
    assert api(billing_admin).post(URL, {"month": "2026-03"}).status_code == 405


# --- CSV ---------------------------------------------------------------------------------


def test_csv_has_the_api_values_and_a_download_name(march, client, engineer):
    mine, _ = march
    client.force_login(engineer)

    response = client.get(CSV_URL, {"month": "2026-03"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="sla-report-2026-03.csv"'
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0] == [
        "account",
        "account_name",
        "month",
        "tickets",
        "met",
        "missed",
        "counted_misses",
        "compliance_percent",
        "median_seconds_to_work_started",
        "p90_seconds_to_work_started",
        "ratings",
        "good_ratings",
        "good_rating_percent",
        "update_lapses",
    ]
    assert [
        str(mine.pk),
        mine.name,
        "2026-03",
        "13",
        "8",
        "5",
        "5",
        "61.54",
        "3600",
        "18000",
        "0",
        "0",
        "",
        "0",
    ] in table
    quiet = next(line for line in table if line[1] == "Zeta Quiet")
    assert quiet[7:10] == ["", "", ""]


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil")', "+1+2", "-2+3", "@SUM(A1)", "\tTab"])
def test_csv_cells_never_start_a_formula(client, plans, name):
    account = AccountFactory(name=name, plan=plans["standard"])
    client.force_login(CustomerFactory(account=account))

    response = client.get(CSV_URL, {"month": "2026-03"})

    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[1][1] == "'" + name


def test_csv_of_a_customer_holds_only_their_account(client, customer, other_customer):
    client.force_login(customer)

    table = list(csv.reader(io.StringIO(client.get(CSV_URL, {"month": "2026-03"}).content.decode())))

    assert [line[0] for line in table[1:]] == [str(customer.account_id)]


def test_csv_with_a_bad_month_is_a_400(client, customer):
    client.force_login(customer)

    response = client.get(CSV_URL, {"month": "2026-13"})

    assert response.status_code == 400
    assert b"month" in response.content


def test_csv_needs_a_login(client, db):
    response = client.get(CSV_URL)

    assert response.status_code == 302 and "/login/" in response["Location"]


# --- query counts --------------------------------------------------------------------------


def _tickets(count: int, *, accounts: int) -> None:
    """`count` tickets due in March 2026, spread over `accounts` accounts, half of them started."""
    engineer = EngineerFactory()
    customers = [CustomerFactory() for _ in range(accounts)]
    templates = []
    for customer in customers:
        started = make_ticket(customer=customer, now=at(3))
        ticket_start_work(ticket=started, actor=engineer, now=at(3, 11))
        templates.extend([started, make_ticket(customer=customer, now=at(4))])
    copies = []
    for n in range(count - len(templates)):
        template = templates[n % len(templates)]
        fields = {
            f.attname: getattr(template, f.attname) for f in Ticket._meta.concrete_fields if not f.primary_key
        }
        fields["created_at"] = template.created_at + dt.timedelta(seconds=n)
        copies.append(Ticket(**fields))
    Ticket.objects.bulk_create(copies, batch_size=250)
    misses_record_due(now=at(10))


@pytest.mark.parametrize(("count", "accounts"), [(5, 2), (200, 20)])
def test_the_report_costs_the_same_queries_at_5_and_200_tickets(
    count, accounts, api, billing_admin, django_assert_num_queries
):
    _tickets(count, accounts=accounts)
    assert Ticket.objects.count() >= count

    with CaptureQueriesContext(connection) as queries:
        rows = sla_report(month="2026-03", accounts_qs=Account.objects.all())
    assert len(queries) == REPORT_QUERIES
    assert sum(row.tickets for row in rows) == count

    with django_assert_num_queries(API_QUERIES):
        response = api(billing_admin).get(URL, {"month": "2026-03"})
    assert response.status_code == 200
