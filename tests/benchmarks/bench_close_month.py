"""Closing a month at scale, measured in one run on this machine.

10,000 active accounts, 200,000 misses and 50,000 approved vouchers waiting to be credited;
`month_close` issues the month's 10,000 invoices (subscription line + one credit line per
voucher). Targets: under 60 s, memory flat from batch to batch, the same number of queries
in every batch. A second close of the same month must issue nothing.

Run as ``python tests/benchmarks/bench_close_month.py`` (``python3 run.py bench`` runs every
benchmark). It uses DATABASE_URL when set (a scratch database `pledge_bench_billing` beside
the one named), else a scratch SQLite file under var/bench-billing. Exits non-zero when a
target is missed.
"""

import datetime as dt
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.benchmarks.scratch import scratch_database  # noqa: E402

BENCH_DIR = ROOT / "var" / "bench-billing"

ACCOUNTS = 10_000
MISSES_PER_ACCOUNT = 20  # 200,000 misses
VOUCHERS_PER_ACCOUNT = 5  # 50,000 vouchers
CHUNK = 5_000


def _scratch_database() -> None:
    scratch_database("pledge_bench_billing", BENCH_DIR)


_scratch_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from billing.models import Claim, Invoice, InvoiceLine, Voucher  # noqa: E402
from billing.services import invoices as invoice_services  # noqa: E402
from helpdesk.accounts.models import Account, User
from helpdesk.kit.months import month_bounds, month_of
from helpdesk.kit.roles import Role
from helpdesk.tickets.models import Ticket
from sla.clocks.models import Miss
from sla.terms.models import Plan
from sla.terms.seeds import seed_plans


def _in_chunks(rows, model) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            model.objects.bulk_create(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch)


def _populate(now: dt.datetime, month: str) -> None:
    plan = Plan.objects.get(code="advanced")
    began = time.perf_counter()
    _in_chunks(
        (Account(name=f"Bench {i:05d}", plan=plan, monthly_fee=Decimal("1000.00")) for i in range(ACCOUNTS)),
        Account,
    )
    accounts = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    _in_chunks(
        (User(username=f"bench{pk}", password="!", role=Role.CUSTOMER, account_id=pk) for pk in accounts),
        User,
    )
    users = dict(User.objects.values_list("account_id", "pk"))
    opened = now - dt.timedelta(hours=12)
    _in_chunks(
        (
            Ticket(
                account_id=pk,
                created_by_id=users[pk],
                subject="Bench",
                description="Bench",
                priority="general",
                created_at=opened,
                clock_started_at=opened,
                plan=plan,
                promise={},
                work_started_target=600,
                work_started_deadline=opened + dt.timedelta(minutes=10),
                at_risk_at=opened,
                miss_pending=False,
                deadline_version=MISSES_PER_ACCOUNT,
            )
            for pk in accounts
        ),
        Ticket,
    )
    tickets = dict(Ticket.objects.values_list("account_id", "pk"))
    _in_chunks(
        (
            Miss(
                ticket_id=tickets[pk],
                account_id=pk,
                deadline_version=version,
                priority="general",
                target_seconds=600,
                clock_started_at=opened,
                deadline=opened + dt.timedelta(minutes=10 + version),
                recorded_at=opened + dt.timedelta(minutes=11 + version),
                month=month,
            )
            for pk in accounts
            for version in range(1, MISSES_PER_ACCOUNT + 1)
        ),
        Miss,
    )
    claimed = (
        Miss.objects.filter(deadline_version__lte=VOUCHERS_PER_ACCOUNT)
        .order_by("pk")
        .values_list("pk", "account_id")
    )
    decided = now - dt.timedelta(hours=1)
    _in_chunks(
        (
            Claim(
                miss_id=miss,
                account_id=account,
                month=month,
                status="approved",
                created_by_id=users[account],
                created_at=decided,
                decided_at=decided,
            )
            for miss, account in claimed.iterator(chunk_size=CHUNK)
        ),
        Claim,
    )
    _in_chunks(
        (
            Voucher(
                claim_id=claim,
                account_id=account,
                month=month,
                amount=Decimal("50.00"),
                requested_amount=Decimal("50.00"),
                currency="USD",
                issued_at=decided,
            )
            for claim, account in Claim.objects.order_by("pk")
            .values_list("pk", "account_id")
            .iterator(chunk_size=CHUNK)
        ),
        Voucher,
    )
    print(
        f"populated {Account.objects.count():,} accounts, {Miss.objects.count():,} misses, "
        f"{Voucher.objects.count():,} vouchers in {time.perf_counter() - began:.1f} s"
    )


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def bench_close(month: str, now: dt.datetime) -> bool:
    """Close the month, counting the queries and sampling memory around every batch."""
    per_batch: list[int] = []
    rss: list[int] = []
    original = invoice_services._close_batch

    def measured(**kwargs):
        count = [0]

        def counter(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            result = original(**kwargs)
        if result is not None:
            per_batch.append(count[0])
            rss.append(_rss_kib())
        return result

    invoice_services._close_batch = measured
    try:
        began = time.perf_counter()
        result = invoice_services.month_close(month=month, now=now)
        took = time.perf_counter() - began
        again_began = time.perf_counter()
        again = invoice_services.month_close(month=month, now=now)
        again_took = time.perf_counter() - again_began
    finally:
        invoice_services._close_batch = original

    invoices = Invoice.objects.filter(month=month).count()
    credits = InvoiceLine.objects.filter(kind="voucher_credit").count()
    uncredited = Voucher.objects.filter(invoice__isnull=True).count()
    issuing = per_batch[: result.batches]
    rss_issuing = rss[: result.batches]
    growth = (max(rss_issuing[1:]) - rss_issuing[1]) if len(rss_issuing) > 2 else 0
    ok_time = took < 60
    ok_queries = len(set(issuing)) == 1
    ok_memory = growth < 30_000  # 30 MiB: noise, not 10,000 invoices held at once
    ok_result = (
        result.issued == invoices == ACCOUNTS
        and credits == ACCOUNTS * VOUCHERS_PER_ACCOUNT
        and not uncredited
        and again.issued == 0
        and again.already_issued == ACCOUNTS
    )
    print(
        f"close of {month}: {result.issued:,} invoices, {credits:,} credit lines in {took:.2f} s "
        f"({result.issued / took:,.0f} invoices/s); target < 60 s: {'OK' if ok_time else 'MISSED'}"
    )
    print(
        f"queries per batch of {invoice_services.CLOSE_BATCH}: {sorted(set(issuing))} over {result.batches} "
        f"batches (a second close: {sorted(set(per_batch[result.batches :]))} per batch): "
        f"{'constant' if ok_queries else 'NOT CONSTANT'}"
    )
    print(
        f"memory (RSS) after batch 2 -> peak: {rss_issuing[1] / 1024:.1f} MiB -> "
        f"{max(rss_issuing) / 1024:.1f} MiB "
        f"(growth {growth / 1024:+.1f} MiB): {'flat' if ok_memory else 'GREW'}"
    )
    print(
        f"second close of the same month: {again.issued} issued, {again.already_issued:,} found, "
        f"{again_took:.2f} s; "
        f"every voucher credited once: {'OK' if ok_result else 'WRONG'}"
    )
    return ok_time and ok_queries and ok_memory and ok_result


def main() -> int:
    call_command("migrate", "--no-input", verbosity=0)
    seed_plans()
    print(f"database: {connection.vendor}")
    now = timezone.now()
    month = month_of(now)
    with transaction.atomic():
        _populate(now, month)
    # A month is closed once it has ended (before that month_close is a 409).
    return 0 if bench_close(month, month_bounds(month)[1] + dt.timedelta(seconds=1)) else 1


if __name__ == "__main__":
    sys.exit(main())
