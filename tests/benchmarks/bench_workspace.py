"""The engineer's workspace at 100,000 tickets, measured against a bare DRF list of the same table.

Builds about 300 accounts, 100,000 tickets (most open) and 300,000 messages with bulk_create,
then times each page with the Django test client in this one process and prints its median as
a ratio to the floor: a bare DRF ListAPIView of 25 tickets (ModelSerializer, PageNumberPagination)
measured in the same run. Targets (issue 14): queue pages ≤ 1.5× and under 200 KB of HTML, portal
≤ 1.5×, ticket list API at any depth ≤ 1.5×, SLA report ≤ 3×, search ≤ 50 ms on PostgreSQL.

Run as ``python tests/benchmarks/bench_workspace.py [--tickets N] [--runs N] [--reuse]``
(``python3 run.py bench`` runs every benchmark). It builds a scratch database
`pledge_bench_workspace` (or $PLEDGE_BENCH_DB) beside the one DATABASE_URL names (PostgreSQL),
else a scratch SQLite file under var/bench/workspace (or $PLEDGE_BENCH_DIR); `--reuse` measures
again on the data the last run built. Every search, broad words too, must answer within 50 ms on
PostgreSQL. Exits non-zero when a target is missed.
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.benchmarks.scratch import scratch_database  # noqa: E402

BENCH_DIR = Path(os.environ.get("PLEDGE_BENCH_DIR") or ROOT / "var" / "bench" / "workspace")
NAME = os.environ.get("PLEDGE_BENCH_DB", "pledge_bench_workspace")
REUSE = "--reuse" in sys.argv  # measure again on the data the last run built


def _reuse_database() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        os.environ["DATABASE_URL"] = f"{url.rpartition('/')[0]}/{NAME}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}"
    os.environ["PLEDGE_DATA_DIR"] = str(BENCH_DIR)
    os.environ["CELERY_QUEUE"] = NAME.replace("_", "-")
    os.environ["EMAIL_URL"] = "dummymail://"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")


_reuse_database() if REUSE else scratch_database(NAME, BENCH_DIR)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework import generics, pagination, serializers  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from helpdesk.accounts.models import Account, User  # noqa: E402
from helpdesk.accounts.services.terms import account_plan_version  # noqa: E402
from helpdesk.kit import keyset  # noqa: E402
from helpdesk.kit.roles import Role  # noqa: E402
from helpdesk.tickets import selectors  # noqa: E402
from helpdesk.tickets.models import Message, Ticket  # noqa: E402
from sla.terms.models import Plan, Severity  # noqa: E402
from sla.terms.seeds import seed_plans  # noqa: E402
from sla.terms.versions import promise_snapshot  # noqa: E402

FLOOR_URL = "/bare/tickets/"
WORDS = [
    "printer",
    "server",
    "login",
    "password",
    "invoice",
    "email",
    "outage",
    "database",
    "backup",
    "network",
    "vpn",
    "disk",
    "slow",
    "error",
    "crash",
    "timeout",
    "certificate",
    "upgrade",
    "license",
    "report",
    "export",
    "import",
    "sync",
    "mobile",
    "browser",
    "cache",
    "memory",
    "cpu",
    "queue",
    "payment",
    "refund",
    "shipping",
    "order",
    "customer",
    "portal",
    "api",
    "token",
    "firewall",
]


# --- the floor: a bare DRF list of the same table -----------------------------------------


class BareTicketSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ticket
        fields = ["id", "subject", "status", "priority", "created_at", "work_started_deadline"]


class BarePagination(pagination.PageNumberPagination):
    page_size = 25


class BareTicketList(generics.ListAPIView):
    queryset = Ticket.objects.order_by("-id")
    serializer_class = BareTicketSerializer
    pagination_class = BarePagination


urls = types.ModuleType("bench_workspace_urls")
urls.urlpatterns = [path("bare/tickets/", BareTicketList.as_view()), path("", include(settings.ROOT_URLCONF))]
sys.modules["bench_workspace_urls"] = urls


# --- the data ---------------------------------------------------------------------------------


def _text(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


MICROSECOND = dt.timedelta(microseconds=1)
SEVERITIES = [value for value, _ in Severity.choices]


def build(tickets: int, accounts: int, messages_each: int) -> dict:
    rng = random.Random(14)
    seed_plans()
    # Both contracts: seed 000's 24x7 plans and seed 004's business-hours plan, whose unstarted
    # tickets count down in working time (a page works out each row's working windows).
    plans = list(
        Plan.objects.filter(code__in=["standard", "advanced", "premium", "business"]).order_by("code")
    )
    plans = plans or list(Plan.objects.all()[:4])
    Account.objects.bulk_create(
        Account(name=f"Account {n:03d}", plan=plans[n % len(plans)], monthly_fee=500 + n)
        for n in range(accounts)
    )
    account_list = list(Account.objects.order_by("id"))
    User.objects.bulk_create(
        User(username=f"customer{n:03d}", role=Role.CUSTOMER, account=account)
        for n, account in enumerate(account_list)
    )
    User.objects.bulk_create(User(username=f"engineer{n}", role=Role.ENGINEER) for n in range(5))
    customers = {u.account_id: u for u in User.objects.filter(role=Role.CUSTOMER)}
    # Each ticket keeps its plan's real promise, as ticket_create stores it (calendar and holidays).
    promises = {}
    for account in account_list:
        if account.plan_id not in promises:
            version = account_plan_version(account=account)
            promises[account.plan_id] = (
                promise_snapshot(
                    terms=version.terms,
                    plan_code=version.plan.code,
                    version=version.version,
                    today=dt.date.today(),
                ),
                bool(version.terms.get("uses_severity")),
            )
    engineers = list(User.objects.filter(role=Role.ENGINEER).order_by("id"))
    now = timezone.now()
    batch = []
    for n in range(tickets):
        account = account_list[n % len(account_list)]
        created = now - dt.timedelta(minutes=n // 3, seconds=n % 60)
        deadline = created + dt.timedelta(minutes=rng.choice([30, 60, 240, 480, 1440, 4320]))
        roll = rng.random()
        status = (
            "new"
            if roll < 0.55
            else "work_started"
            if roll < 0.7
            else "waiting_on_customer"
            if roll < 0.8
            else "resolved"
            if roll < 0.9
            else "closed"
        )
        started = None if status == "new" else created + dt.timedelta(minutes=rng.randint(1, 600))
        batch.append(
            Ticket(
                account=account,
                created_by=customers[account.pk],
                # A rare word in one ticket of 500: what a real search looks for.
                subject=_text(rng, 5) + (" kerberos" if n % 500 == 7 else ""),
                description=_text(rng, 40),
                status=status,
                created_at=created,
                clock_started_at=created,
                plan_id=account.plan_id,
                promise=promises[account.plan_id][0],
                severity=rng.choice(SEVERITIES) if promises[account.plan_id][1] else "",
                work_started_target=1800,
                work_started_deadline=deadline,
                at_risk_at=deadline - dt.timedelta(minutes=10),
                # No miss is recorded here: every unstarted clock is pending (the overdue ones
                # not yet swept), as the SLA report and the sweep read it.
                miss_pending=started is None,
                at_risk_notified=True,
                work_started_at=started,
                work_started_after=None
                if started is None
                else (started - created) // dt.timedelta(microseconds=1),
                assignee=engineers[n % 7] if n % 7 < len(engineers) else None,
            )
        )
        if len(batch) == 5000:
            Ticket.objects.bulk_create(batch)
            batch = []
    Ticket.objects.bulk_create(batch)
    ids = list(Ticket.objects.values_list("id", "created_by_id"))
    batch = []
    for ticket_id, author in ids:
        for m in range(messages_each):
            batch.append(
                Message(
                    ticket_id=ticket_id,
                    author_id=author if m % 2 == 0 else engineers[m % len(engineers)].pk,
                    body=_text(rng, 25) + (" segfault" if (ticket_id + m) % 1000 == 3 else ""),
                    public=m != 2,
                    created_at=now,
                )
            )
        if len(batch) >= 10_000:
            Message.objects.bulk_create(batch)
            batch = []
    Message.objects.bulk_create(batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"engineer": engineers[0], "customer": customers[account_list[0].pk]}


def deep_cursor(user, filters: dict, ordering: str, rows_deep: int) -> str:
    """The cursor of the row `rows_deep` into a listing (found once, by OFFSET, outside the timing)."""
    tickets = selectors.workspace_tickets(user=user, filters=filters, now=timezone.now())
    segments = selectors.ordered_segments(tickets, ordering=ordering)
    for index, segment in enumerate(segments):
        size = segment.queryset.count()
        if rows_deep < size:
            row = segment.queryset.order_by(*segment.keys)[rows_deep]
            return keyset._encode(index, keyset._position(row, segment.keys), False)
        rows_deep -= size
    raise SystemExit("the listing is not that deep")


# --- timing -----------------------------------------------------------------------------------


def _timed(client, url: str) -> tuple[float, int]:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return elapsed, len(response.content)


def side_by_side(client, url: str, floor_client, runs: int) -> tuple[float, float, int]:
    """Medians of the page and of the floor, requested alternately so both see the same machine."""
    for _ in range(2):
        _timed(client, url)
        _timed(floor_client, FLOOR_URL)
    page_times, floor_times = [], []
    for _ in range(runs):
        seconds, size = _timed(client, url)
        page_times.append(seconds)
        floor_times.append(_timed(floor_client, FLOOR_URL)[0])
    return statistics.median(page_times), statistics.median(floor_times), size


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--messages-each", type=int, default=3)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="Skip building: use the last run's data.")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    if args.reuse:
        cast = {
            "engineer": User.objects.filter(role=Role.ENGINEER).order_by("id").first(),
            "customer": User.objects.filter(role=Role.CUSTOMER).order_by("id").first(),
        }
    else:
        cast = build(args.tickets, args.accounts, args.messages_each)
    print(
        f"{connection.vendor}: {Ticket.objects.count():,} tickets, {Account.objects.count()} accounts, "
        f"{Message.objects.count():,} messages built in {time.perf_counter() - began:.0f} s"
    )
    engineer, customer = cast["engineer"], cast["customer"]
    staff, portal_client, api_staff = Client(), Client(), APIClient()
    staff.force_login(engineer)
    portal_client.force_login(customer)
    api_staff.force_authenticate(engineer)
    deep_rows = min(99_950, Ticket.objects.count() - 100)
    deep_queue = deep_cursor(engineer, {"view": "all"}, "deadline", deep_rows)
    deep_api = deep_cursor(engineer, {}, "newest", deep_rows)
    deep_api_deadline = deep_cursor(engineer, {}, "deadline", deep_rows)
    last_month = (timezone.now().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    pages = [
        ("queue (open) page 1", staff, "/queue/", 1.5),
        ("queue Mine", staff, "/queue/?view=mine", 1.5),
        ("queue Unassigned", staff, "/queue/?view=unassigned", 1.5),
        ("queue At risk", staff, "/queue/?view=at_risk", 1.5),
        ("queue Overdue", staff, "/queue/?view=overdue", 1.5),
        ("queue Waiting", staff, "/queue/?view=waiting", 1.5),
        ("queue Resolved", staff, "/queue/?view=resolved", 1.5),
        ("queue High", staff, "/queue/?priority=high", 1.5),
        (f"queue All, {deep_rows:,} rows deep", staff, f"/queue/?view=all&cursor={deep_queue}", 1.5),
        ("portal", portal_client, "/portal/", 1.5),
        ("API list page 1", api_staff, "/api/v1/tickets/", 1.5),
        (f"API list {deep_rows:,} rows deep", api_staff, f"/api/v1/tickets/?cursor={deep_api}", 1.5),
        ("API ordering=deadline page 1", api_staff, "/api/v1/tickets/?ordering=deadline", 1.5),
        (
            f"API deadline {deep_rows:,} rows deep",
            api_staff,
            f"/api/v1/tickets/?ordering=deadline&cursor={deep_api_deadline}",
            1.5,
        ),
        ("SLA report API (50 accounts)", api_staff, "/api/v1/reports/sla/", 3.0),
        # The month before: three quarters of the tickets fall due in it (the data spans 23 days).
        (
            f"SLA report API, {last_month} (50 accounts)",
            api_staff,
            f"/api/v1/reports/sla/?month={last_month}",
            3.0,
        ),
        ("search API q=kerberos (subjects)", api_staff, "/api/v1/tickets/?q=kerberos", None),
        ("search API q=segfault (messages)", api_staff, "/api/v1/tickets/?q=segfault", None),
        ("queue search q=kerberos", staff, "/queue/?q=kerberos", None),
    ]
    if connection.vendor == "postgresql":
        # Words in most tickets: ranks tens of thousands of matches (on SQLite it reads every row).
        pages.append(
            ("search API q=printer outage (most rows)", api_staff, "/api/v1/tickets/?q=printer+outage", None)
        )
    failures = []
    with override_settings(
        ROOT_URLCONF="bench_workspace_urls", ALLOWED_HOSTS=["testserver"], SECURE_SSL_REDIRECT=False
    ):
        print(f"{'page':44} {'median':>9} {'floor':>8} {'× floor':>8} {'bytes':>9}")
        for name, client, url, target in pages:
            seconds, floor, size = side_by_side(client, url, api_staff, args.runs)
            ratio = seconds / floor
            verdict = ""
            if target is not None and ratio > target:
                verdict = f"  MISSED (target {target}×)"
            if name.startswith("queue") and size > 200_000:
                verdict += "  MISSED (over 200 KB)"
            if "search" in name and connection.vendor == "postgresql" and seconds > 0.05:
                verdict += "  MISSED (search over 50 ms)"
            if verdict:
                failures.append(name)
            print(f"{name:44} {seconds * 1000:7.1f}ms {floor * 1000:6.1f}ms {ratio:7.2f}× {size:9,}{verdict}")
    print("all targets met" if not failures else f"{len(failures)} targets missed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
