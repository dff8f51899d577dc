"""Miss timers at scale, measured in one run on this machine.

1. A sweep that finds 10,000 overdue tickets records them all (target: under 10 s).
2. 100,000 open tickets with pending deadlines: the worker's memory stays flat while beat
   sweeps every second (no per-ticket task is ever held).
3. 1,000 deadlines falling inside one minute, recorded by a real worker and beat
   (target: p99 lateness under 2 s).

Run as ``python tests/benchmarks/bench_sweep.py`` (``python3 run.py bench`` runs every benchmark).
It uses DATABASE_URL/REDIS_URL when set (a scratch database `pledge_bench` beside the one
named), else a scratch SQLite file and the filesystem broker under var/bench. Exits
non-zero when a target is missed.
"""

import datetime as dt
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.benchmarks.scratch import scratch_database  # noqa: E402

BENCH_DIR = ROOT / "var" / "bench"


def _scratch_database() -> None:
    scratch_database("pledge_bench", BENCH_DIR)


_scratch_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from helpdesk.accounts.models import Account, User
from helpdesk.kit.roles import Role
from helpdesk.tickets.models import Ticket
from sla.clocks.models import Miss
from sla.clocks.services.misses import misses_record_due
from sla.terms.models import Plan
from sla.terms.seeds import seed_plans


def _tickets(count: int, deadlines) -> None:
    """Insert open tickets whose clocks end at the given instants (the sweep reads only these)."""
    plan = Plan.objects.get(code="premium")
    account = Account.objects.get_or_create(name="Bench", defaults={"plan": plan, "monthly_fee": 1000})[0]
    user = User.objects.get_or_create(username="bench", defaults={"role": Role.CUSTOMER, "account": account})[
        0
    ]
    now = timezone.now()
    batch = []
    for deadline in deadlines:
        batch.append(
            Ticket(
                account=account,
                created_by=user,
                subject="Bench",
                description="Bench",
                priority="high",
                service_unavailable=True,
                affected_service="Bench",
                created_at=now,
                clock_started_at=now,
                plan=plan,
                promise={},
                work_started_target=600,
                work_started_deadline=deadline,
                at_risk_at=deadline,
                at_risk_notified=True,
            )
        )
        if len(batch) == 5000:
            Ticket.objects.bulk_create(batch)
            batch = []
    Ticket.objects.bulk_create(batch)
    assert Ticket.objects.count() >= count


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        stack.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def _start(name: str, *args: str) -> subprocess.Popen:
    log = (BENCH_DIR / f"{name}.log").open("a")
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", *args],
        cwd=ROOT,
        env=os.environ,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _processes() -> tuple[subprocess.Popen, subprocess.Popen, subprocess.Popen]:
    """Worker, timers worker and beat as run.py starts them; stale messages purged first."""
    common = ["worker", "-l", "warning", "--purge", "--without-gossip", "--without-mingle"]
    return (
        _start("worker", *common, "--concurrency", "2", "-Q", "pledge-bench", "-n", "w@%h"),
        _start("timers", *common, "--concurrency", "1", "-Q", "pledge-bench-timers", "-n", "t@%h"),
        _start("beat", "beat", "-l", "warning", "-s", str(BENCH_DIR / "beat-schedule")),
    )


def _stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        process.wait(timeout=30)


def bench_sweep_10k() -> bool:
    past = timezone.now() - dt.timedelta(minutes=5)
    _tickets(10_000, (past for _ in range(10_000)))
    began = time.perf_counter()
    recorded = misses_record_due()
    took = time.perf_counter() - began
    ok = recorded == 10_000 and Miss.objects.count() == 10_000 and took < 10
    print(
        f"sweep of 10,000 overdue tickets: {recorded} misses in {took:.2f} s "
        f"({recorded / took:,.0f}/s) target < 10 s: {'OK' if ok else 'MISSED'}"
    )
    return ok


def bench_worker_memory_100k() -> bool:
    now = timezone.now()
    _tickets(100_000, (now + dt.timedelta(hours=2, seconds=i % 86_400) for i in range(100_000)))
    began = time.perf_counter()
    misses_record_due()
    idle_sweep = time.perf_counter() - began
    worker, timers, beat = _processes()
    try:
        time.sleep(10)
        samples = []
        for _ in range(7):
            samples.append(_tree_rss_kib(worker.pid) + _tree_rss_kib(timers.pid))
            time.sleep(5)
    finally:
        _stop(worker, timers, beat)
    growth = samples[-1] - samples[0]
    # 20 MiB is noise, not 100,000 tasks; a zero reading means the workers were not measured.
    ok = min(samples) > 0 and growth < 20_000
    print(
        f"worker RSS with 100,000 pending deadlines over 30 s of sweeps: "
        f"{samples[0] / 1024:.1f} MiB -> {samples[-1] / 1024:.1f} MiB (growth {growth / 1024:+.1f} MiB); "
        f"a sweep that finds nothing due takes {idle_sweep * 1000:.1f} ms: {'OK' if ok else 'GREW'}"
    )
    return ok


def bench_lateness_1000_in_a_minute() -> bool:
    Ticket.objects.update(miss_pending=False)  # the 100,000 above are not part of this run
    worker, timers, beat = _processes()
    try:
        time.sleep(8)  # both up and sweeping
        start = timezone.now() + dt.timedelta(seconds=5)
        _tickets(1000, (start + dt.timedelta(milliseconds=60 * i) for i in range(1000)))
        end = start + dt.timedelta(seconds=60)
        while timezone.now() < end + dt.timedelta(seconds=10) and Miss.objects.count() < 11_000:
            time.sleep(1)
    finally:
        _stop(worker, timers, beat)
    lateness = sorted(
        (recorded - deadline).total_seconds()
        for recorded, deadline in Miss.objects.filter(deadline__gte=start).values_list(
            "recorded_at", "deadline"
        )
    )
    if len(lateness) < 1000:
        print(f"lateness: only {len(lateness)} of 1000 misses recorded: MISSED")
        return False
    p99 = lateness[int(len(lateness) * 0.99) - 1]
    ok = p99 < 2.0
    print(
        f"1,000 deadlines in one minute: lateness p50 {statistics.median(lateness):.3f} s, "
        f"p99 {p99:.3f} s, max {lateness[-1]:.3f} s; target p99 < 2 s: {'OK' if ok else 'MISSED'}"
    )
    return ok


def main() -> int:
    call_command("migrate", "--no-input", verbosity=0)
    seed_plans()
    broker = "redis" if os.environ.get("REDIS_URL") else "filesystem"
    print(f"database: {connection.vendor}; broker: {broker}")
    results = [bench_sweep_10k()]
    results.append(bench_worker_memory_100k())
    results.append(bench_lateness_1000_in_a_minute())
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
