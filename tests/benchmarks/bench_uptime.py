"""Uptime at scale, measured in one run on this machine.

1. One probe round over 5,000 items probed over HTTP on loopback (a small asyncio server on
   127.0.0.1 in a process of its own answers them: 98% healthy, 1% answering 500, 1% never
   answering) completes inside a minute (target: under 60 s), and the round after it opens
   the downtime of the failing ones.
2. The monthly uptime of those 5,000 items over a month of downtime history kept to the
   minute (by default 200 records per item, one to fifteen minutes each, some overlapping,
   plus maintenance windows and exclusion periods: 1,000,000 records) is computed in under
   10 s, and so is the month's assessment that writes the shortfalls.

Run as ``python tests/benchmarks/bench_uptime.py`` (``python3 run.py bench`` runs every benchmark).
It uses DATABASE_URL when set (a scratch database `pledge_bench_uptime` beside the one named),
else a scratch SQLite file under var/bench-uptime. UPTIME_BENCH_ITEMS and
UPTIME_BENCH_RECORDS_PER_ITEM change the sizes. Exits non-zero when a target is missed.
"""

import asyncio
import datetime as dt
import multiprocessing
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.benchmarks.scratch import scratch_database  # noqa: E402

BENCH_DIR = ROOT / "var" / "bench-uptime"
ITEMS = int(os.environ.get("UPTIME_BENCH_ITEMS", "5000"))
RECORDS_PER_ITEM = int(os.environ.get("UPTIME_BENCH_RECORDS_PER_ITEM", "200"))
ITEMS_PER_ACCOUNT = 5


def _scratch_database() -> None:
    scratch_database("pledge_bench_uptime", BENCH_DIR)
    # Only this machine is ever probed.
    os.environ["UPTIME_PROBE_ALLOWED_NETWORKS"] = "127.0.0.0/8,::1/128"
    os.environ.setdefault("UPTIME_PROBE_TIMEOUT", "5")
    os.environ.setdefault("UPTIME_PROBE_CONCURRENCY", "200")


# --- the loopback server ------------------------------------------------------------------------

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
FAIL = b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n\r\nfail"


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        path = head.split(b" ", 2)[1]
        if path.startswith(b"/hang"):
            await asyncio.sleep(60)
        writer.write(FAIL if path.startswith(b"/fail") else OK)
        await writer.drain()
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, IndexError):
        pass
    finally:
        writer.close()


def _serve(port_box) -> None:
    async def main():
        server = await asyncio.start_server(_answer, "127.0.0.1", 0, backlog=4096)
        port_box.value = server.sockets[0].getsockname()[1]
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def start_server() -> tuple[multiprocessing.Process, int]:
    port = multiprocessing.Value("i", 0)
    process = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
    process.start()
    deadline = time.monotonic() + 10
    while not port.value and time.monotonic() < deadline:
        time.sleep(0.05)
    if not port.value:
        raise SystemExit("the loopback server did not start")
    return process, port.value


_scratch_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from helpdesk.accounts.models import Account, MonitoredItem, User
from helpdesk.kit.months import month_bounds, month_of
from helpdesk.kit.roles import Role
from sla.clocks.models import ExclusionPeriod
from sla.terms.models import Plan
from sla.terms.seeds import seed_plans
from sla.uptime import measure as uptime
from sla.uptime import selectors
from sla.uptime.models import MaintenanceWindow, UptimeShortfall
from sla.uptime.services.assessment import uptime_month_assess
from sla.uptime.services.items import item_create
from sla.uptime.services.probing import probe_round


def _items(port: int) -> list[MonitoredItem]:
    """ITEMS probed items on ITEMS / 5 accounts: 1% answer 500, 1% never answer."""
    plan = Plan.objects.get(code="business")
    admin = User.objects.create(username="bench-admin", role=Role.BILLING_ADMIN)
    accounts = Account.objects.bulk_create(
        Account(name=f"Bench {n}", plan=plan, monthly_fee=Decimal("1000.00"))
        for n in range(ITEMS // ITEMS_PER_ACCOUNT)
    )
    # One through the service, as staff would (it checks the target); the rest in bulk, alike.
    first = item_create(
        created_by=admin,
        account=accounts[0],
        name="Item 0",
        probe_kind="http",
        probe_url=f"http://127.0.0.1:{port}/health",
    )
    rows = []
    for n in range(1, ITEMS):
        path = "/fail" if n % 100 == 1 else "/hang" if n % 100 == 2 else "/health"
        rows.append(
            MonitoredItem(
                account=accounts[n // ITEMS_PER_ACCOUNT],
                name=f"Item {n}",
                level=first.level,
                guarantee_percent=first.guarantee_percent,
                probe_kind="http",
                probe_url=f"http://127.0.0.1:{port}{path}?item={n}",
                created_by=admin,
            )
        )
    MonitoredItem.objects.bulk_create(rows, batch_size=2000)
    return list(MonitoredItem.objects.order_by("pk"))


def bench_probe_round(port: int) -> bool:
    _items(port)
    now = timezone.now()
    began = time.perf_counter()
    first = probe_round(now=now)
    took = time.perf_counter() - began
    second = probe_round(now=now + dt.timedelta(minutes=1))
    failing = ITEMS // 100 * 2
    ok = took < 60 and first.checked == ITEMS and first.not_checked == 0 and second.opened >= failing * 0.9
    print(
        f"probe round over {ITEMS:,} loopback items: {took:.2f} s wall "
        f"({first.checked:,} checked, {first.up:,} up, {first.failed:,} failed, "
        f"{first.not_checked} not checked; {ITEMS / took:,.0f} items/s); target < 60 s: "
        f"{'OK' if ok else 'MISSED'}"
    )
    print(
        f"  next round: {second.seconds:.2f} s, {second.opened} downtime records opened "
        f"(the {failing} failing items, from the first failure's minute)"
    )
    return ok


def _history(month: str) -> int:
    """RECORDS_PER_ITEM downtime records per item over `month`, to the minute, some overlapping."""
    start, end = month_bounds(month)
    first, last = uptime.minute_of(start), uptime.minute_of(end)
    rng = random.Random(4)
    items = list(MonitoredItem.objects.values_list("pk", "account_id"))
    adapt = connection.ops.adapt_datetimefield_value
    written = adapt(end)
    insert = (
        "INSERT INTO sla_downtime (item_id, account_id, starts_at, ends_at, source, note, created_at,"
        " void_reason) VALUES "
    )
    made = 0
    # Straight through the cursor, a thousand rows a statement: the ORM's bulk_create would spend
    # minutes on a million rows here.
    with transaction.atomic(), connection.cursor() as cursor:
        rows: list = []
        for item_id, account_id in items:
            for _ in range(RECORDS_PER_ITEM):
                begin = rng.randrange(first - 30, last)
                length = rng.randint(1, 15)
                starts, ends = uptime.instant_of(begin), uptime.instant_of(begin + length)
                rows.append((item_id, account_id, adapt(starts), adapt(ends), written))
                if len(rows) == 1000:
                    made += _insert(cursor, insert, rows)
                    rows = []
        made += _insert(cursor, insert, rows)
    admin = User.objects.get(username="bench-admin")
    accounts = sorted({account for _, account in items})
    MaintenanceWindow.objects.bulk_create(
        MaintenanceWindow(
            account_id=account,
            kind="scheduled",
            starts_at=start + dt.timedelta(days=3, hours=n % 24),
            ends_at=start + dt.timedelta(days=3, hours=n % 24 + 2),
            created_by=admin,
            created_at=start,
        )
        for n, account in enumerate(accounts)
    )
    ExclusionPeriod.objects.bulk_create(
        ExclusionPeriod(
            kind="force_majeure",
            starts_at=start + dt.timedelta(days=d),
            ends_at=start + dt.timedelta(days=d, hours=1),
            created_by=admin,
        )
        for d in (5, 12, 19)
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum would have done by the month's end
    return made


def _insert(cursor, insert: str, rows: list) -> int:
    if rows:
        values = ", ".join(["(%s, %s, %s, %s, 'probe', '', %s, '')"] * len(rows))
        cursor.execute(insert + values, [value for row in rows for value in row])
    return len(rows)


def bench_month(now: dt.datetime) -> bool:
    month = month_of(month_bounds(month_of(now))[0] - dt.timedelta(days=1))  # the last whole month
    began = time.perf_counter()
    records = _history(month)
    setup = time.perf_counter() - began
    began = time.perf_counter()
    reports = selectors.month_reports(month=month, now=now, items=MonitoredItem.objects.all())
    compute = time.perf_counter() - began
    with transaction.atomic():
        began = time.perf_counter()
        summary = uptime_month_assess(month=month, now=now)
        assess = time.perf_counter() - began
        committed = time.perf_counter()
    listeners = time.perf_counter() - committed  # after commit: billing's termination listener, per account
    below = sum(r.below_guarantee for r in reports.values())
    worst = min(r.uptime_percent for r in reports.values())
    ok = (
        compute < 10
        and assess < 10
        and len(reports) == ITEMS
        and summary.created == below
        and UptimeShortfall.objects.filter(month=month).count() == below
    )
    print(
        f"monthly uptime of {len(reports):,} items over {month} ({records:,} downtime records to the "
        f"minute, written in {setup:.1f} s): computed in {compute:.2f} s; {below:,} below guarantee, worst "
        f"{worst}%; target < 10 s: {'OK' if compute < 10 else 'MISSED'}"
    )
    print(
        f"  the month's assessment (compute, cap per account, write {summary.created:,} shortfalls): "
        f"{assess:.2f} s; target < 10 s: {'OK' if assess < 10 else 'MISSED'}"
    )
    print(
        f"  then, after commit, the count listeners (billing's termination check of "
        f"{Account.objects.count():,} accounts): {listeners:.2f} s"
    )
    return ok


def main() -> int:
    call_command("migrate", "--no-input", verbosity=0)
    seed_plans()
    server, port = start_server()
    print(
        f"database: {connection.vendor}; loopback server on 127.0.0.1:{port}; "
        f"{ITEMS:,} items, probe timeout {os.environ['UPTIME_PROBE_TIMEOUT']} s, "
        f"concurrency {os.environ['UPTIME_PROBE_CONCURRENCY']}"
    )
    try:
        results = [bench_probe_round(port)]
    finally:
        server.terminate()
        server.join(timeout=5)
    results.append(bench_month(timezone.now()))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
