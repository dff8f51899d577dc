"""Pledge under load, run the production-like way, measured in one run on this machine.

`run.py`'s own supervisor (`serve`) runs uvicorn, the Celery worker, the timers worker and beat
on PostgreSQL and Redis, on a free loopback port, with a scratch database, the Redis database
REDIS_URL names and a Celery queue of the benchmark's own. Plans and people are seeded, then
locust (headless, tests/benchmarks/locust_pledge.py) runs 50 users for 10 minutes: customers
reading the portal and the API, opening tickets and replying; engineers reading the queue,
starting work and replying; chatters asking for a chat over the API and talking over its
WebSocket. Checked and reported:

* errors: every request answered as expected (target: 0 failures);
* p50 and p99 per request kind;
* PostgreSQL connections of the scratch database, sampled every second from pg_stat_activity,
  against the README's sizing (`DATABASE_POOL_SIZE` for the web server + the worker's
  concurrency + 1 for the timers worker; beat holds none);
* afterwards every ticket, reply and chat message whose id the server acknowledged is stored,
  exactly once.

With ``--faults`` (bench_faults.py) the timers worker, the worker and beat are SIGKILLed 20
times in all, spread over the run, and the supervisor must restart each; one more user opens a
ticket a second on a plan whose targets are 3 seconds and never starts work. Checked besides:
every deadline the sweep passed has exactly one miss, each recorded at most (outage + 2 s) late,
where a kill's outage runs from the kill to the restarted process being ready (the timers
worker or beat: the sweep ran again; the worker: it answers a ping).

Run as ``python tests/benchmarks/bench_load.py [--minutes 10] [--users 50] [--faults]``, or
through ``python3 run.py bench`` (``--skip load,faults`` leaves both out, ``--only load`` runs
this one; PLEDGE_BENCH_LOAD_MINUTES sets the length there). Needs DATABASE_URL (PostgreSQL)
and REDIS_URL; without them it says so and skips. Exits non-zero when a check fails.
"""

import argparse
import csv
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.benchmarks.scratch import scratch_database  # noqa: E402

OBSERVER = "pledge-bench-observer"  # application_name of this script's own connections, not counted
POOL_SIZE = 10
WORKER_CONCURRENCY = 2
DEADLINE_TARGET_SECONDS = 3
LATE_MARGIN = 2.0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        "--minutes", type=float, default=float(os.environ.get("PLEDGE_BENCH_LOAD_MINUTES", "10"))
    )
    parser.add_argument("--users", type=int, default=int(os.environ.get("PLEDGE_BENCH_LOAD_USERS", "50")))
    parser.add_argument("--faults", action="store_true", help="SIGKILL the workers and beat during the load")
    parser.add_argument("--kills", type=int, default=20)
    return parser.parse_args()


ARGS = _arguments()
ON_SERVERS = os.environ.get("DATABASE_URL", "").startswith("postgres") and bool(os.environ.get("REDIS_URL"))
if not ON_SERVERS:
    print("SKIPPED: the load benchmark runs on PostgreSQL and Redis (set DATABASE_URL and REDIS_URL)")
    sys.exit(0)
NAME = "pledge_bench_faults" if ARGS.faults else "pledge_bench_load"
BENCH_DIR = ROOT / "var" / NAME.replace("pledge_", "").replace("_", "-")
scratch_database(NAME, BENCH_DIR)

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import F, Q  # noqa: E402

from helpdesk.accounts.models import Account, User
from helpdesk.accounts.services.tokens import auth_token_issue
from helpdesk.celery import app as celery_app
from helpdesk.chat.models import ChatMessage
from helpdesk.kit.roles import Role
from helpdesk.tickets.models import Message, Ticket
from helpdesk.tickets.services.tickets import ticket_create
from sla.clocks.models import Miss
from sla.terms.models import Calendar, Plan, Priority, ResponseTarget
from sla.terms.seeds import seed_plans


def _cookie(user: User) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "helpdesk.accounts.backends.AccountModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def _person(user: User, **extra) -> dict:
    return {"id": user.pk, "token": auth_token_issue(user=user)[1], "session": _cookie(user), **extra}


def _seed() -> dict:
    """Accounts on premium (chat always open), their people, tickets; a plan of 3-second targets."""
    call_command("migrate", "--no-input", "-v", "0")
    seed_plans()
    always = Calendar.objects.create(name="Bench: always open", timezone="UTC")
    premium = Plan.objects.get(code="premium")
    premium.chat_calendar = always
    premium.save(update_fields=["chat_calendar"])
    seconds = Plan.objects.create(code="bench-seconds", name="Bench: seconds-long targets")
    ResponseTarget.objects.bulk_create(
        ResponseTarget(plan=seconds, priority=priority, seconds=DEADLINE_TARGET_SECONDS)
        for priority in Priority
    )
    people: dict = {"customers": [], "engineers": [], "chatters": [], "deadlines": [], "tickets": []}
    for a in range(20):
        account = Account.objects.create(name=f"Load {a}", plan=premium, monthly_fee="1000.00")
        for c in range(3):
            customer = User.objects.create_user(
                username=f"customer{a}-{c}", role=Role.CUSTOMER, account=account, email=f"c{a}-{c}@load.test"
            )
            tickets = [
                ticket_create(
                    account=account, created_by=customer, subject=f"Seeded {i}", description="Seeded."
                ).pk
                for i in range(2)
            ]
            people["customers"].append(_person(customer, tickets=tickets))
            people["tickets"].extend(tickets)
    for e in range(15):
        engineer = User.objects.create_user(username=f"engineer{e}", role=Role.ENGINEER, first_name=f"E{e}")
        people["engineers"].append(_person(engineer))
    for p in range(10):
        account = Account.objects.create(name=f"Chat {p}", plan=premium, monthly_fee="1000.00")
        customer = User.objects.create_user(username=f"chatter{p}", role=Role.CUSTOMER, account=account)
        engineer = User.objects.create_user(username=f"chat-engineer{p}", role=Role.ENGINEER)
        people["chatters"].append({"customer": _person(customer), "engineer": _person(engineer)})
    account = Account.objects.create(name="Deadlines", plan=seconds, monthly_fee="1000.00")
    setter = User.objects.create_user(username="deadlines", role=Role.CUSTOMER, account=account)
    people["deadlines"].append(_person(setter))
    return people


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_pledge(port: int) -> subprocess.Popen:
    """`python3 run.py serve` as an operator starts it, in production mode, on loopback."""
    env = {
        **os.environ,
        "PLEDGE_VENV": sys.prefix,
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_POOL_SIZE": str(POOL_SIZE),
        "CELERY_CONCURRENCY": str(WORKER_CONCURRENCY),
    }
    log = (BENCH_DIR / "pledge.log").open("w")
    command = [sys.executable, str(ROOT / "run.py"), "serve", "--no-install", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"run.py exited with {process.returncode}; see {BENCH_DIR / 'pledge.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz?format=json", timeout=5) as answer:
                if answer.status == 200:
                    return process
        except OSError:
            pass
        time.sleep(1)
    _stop_pledge(process)
    raise SystemExit(f"Pledge did not answer /healthz within 300 s; see {BENCH_DIR / 'pledge.log'}")


def _stop_pledge(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)  # the supervisor stops web, workers and beat, then exits
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _observer(dbname: str = "") -> psycopg.Connection:
    url = os.environ["DATABASE_URL"]
    if dbname:
        url = f"{url.rpartition('/')[0]}/{dbname}"
    return psycopg.connect(url, autocommit=True, application_name=OBSERVER)


class ConnectionSampler(threading.Thread):
    """pg_stat_activity every second: the scratch database's connections, this script's left out."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[int] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        with _observer("postgres") as conn:
            while not self.stopping.is_set():
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name <> %s",
                    [NAME, OBSERVER],
                ).fetchone()
                self.samples.append(row[0])
                self.stopping.wait(1.0)


def _children(parent: int) -> dict[str, int]:
    """The supervisor's children by role (web, worker, timers, beat), from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid != parent:
                continue
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if b"uvicorn" in command:
            found["web"] = int(entry.name)
        elif b"timers@%h" in command:
            found["timers"] = int(entry.name)
        elif b"worker@%h" in command:
            found["worker"] = int(entry.name)
        elif b"beat" in command:
            found["beat"] = int(entry.name)
    return found


class Killer(threading.Thread):
    """SIGKILLs the timers worker, the worker and beat in turn, `kills` times spread over the run."""

    def __init__(self, supervisor: int, began: float, seconds: float, kills: int) -> None:
        super().__init__(daemon=True)
        self.supervisor, self.began, self.seconds, self.kills = supervisor, began, seconds, kills
        self.outages: list[dict] = []
        self.stopping = threading.Event()
        self.node = f"worker@{socket.gethostname()}"

    def run(self) -> None:
        with _observer() as conn:
            for i in range(self.kills):
                at = self.began + self.seconds * (i + 0.5) / self.kills
                if self.stopping.wait(max(0.0, at - time.monotonic())):
                    return
                self.outages.append(self._kill(conn, ("timers", "worker", "beat")[i % 3]))

    def _sweep_after(self, conn, instant: float) -> float | None:
        row = conn.execute("SELECT at FROM clocks_sweepheartbeat WHERE id = 1").fetchone()
        return row[0].timestamp() if row and row[0].timestamp() > instant else None

    def _kill(self, conn, role: str) -> dict:
        pid = None
        while pid is None and not self.stopping.is_set():
            pid = _children(self.supervisor).get(role)
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
        killed_at = time.time()
        new_pid, started_at, ready_at = None, None, None
        give_up = killed_at + 180
        while ready_at is None and time.time() < give_up:
            if new_pid is None:
                current = _children(self.supervisor).get(role)
                if current is not None and current != pid:
                    new_pid, started_at = current, time.time()
            elif role == "worker":
                if celery_app.control.ping(destination=[self.node], timeout=0.5):
                    ready_at = time.time()
            else:
                # Ready once the sweep runs again, sent by the new beat / run by the new timers worker.
                ready_at = self._sweep_after(conn, max(started_at, killed_at + 1.5))
            time.sleep(0.1)
        outage = (ready_at - killed_at) if ready_at else None
        return {
            "role": role,
            "pid": pid,
            "new_pid": new_pid,
            "killed_at": killed_at,
            "ready_at": ready_at,
            "outage": outage,
        }


def _locust(port: int, seconds: float, users: int) -> int:
    env = {
        **os.environ,
        "PLEDGE_LOAD_PEOPLE": str(BENCH_DIR / "people.json"),
        "PLEDGE_LOAD_RECORD": str(BENCH_DIR / "acknowledged.json"),
    }
    if ARGS.faults:
        env["PLEDGE_LOAD_DEADLINES"] = "1"
        users += 1  # the one opening a ticket a second on the plan of seconds-long targets
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(ROOT / "tests" / "benchmarks" / "locust_pledge.py"),
        "--headless",
        "--host",
        f"http://127.0.0.1:{port}",
        "--users",
        str(users),
        "--spawn-rate",
        "5",
        "--run-time",
        f"{seconds:.0f}s",
        "--stop-timeout",
        "30",
        "--csv",
        str(BENCH_DIR / "locust"),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    with (BENCH_DIR / "locust.log").open("w") as log:
        return subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT).returncode


def _report_requests() -> bool:
    rows = list(csv.DictReader((BENCH_DIR / "locust_stats.csv").open()))
    print(f"{'request kind':<58} {'count':>7} {'fail':>5} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>8}")
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "all requests"
        kind = f"{row['Type']} {name}"[:58]
        count, failed = int(row["Request Count"]), int(row["Failure Count"])
        print(
            f"{kind:<58} {count:>7} {failed:>5} {row['50%']:>7} {row['99%']:>7} "
            f"{float(row['Max Response Time']):>8.0f}"
        )
    total = next(row for row in rows if row["Name"] == "Aggregated")
    failures = int(total["Failure Count"])
    failures_file = BENCH_DIR / "locust_failures.csv"
    if failures and failures_file.exists():
        for row in list(csv.DictReader(failures_file.open()))[:10]:
            print(f"  failure: {row['Method']} {row['Name']} x{row['Occurrences']}: {row['Error'][:200]}")
    requests = int(total["Request Count"])
    ok = failures == 0 and requests > 0
    print(f"errors: {failures} of {requests:,} requests; target 0: {'OK' if ok else 'FAILED'}")
    return ok


def _report_connections(samples: list[int]) -> bool:
    bound = POOL_SIZE + WORKER_CONCURRENCY + 1
    peak = max(samples) if samples else None
    ok = peak is not None and peak <= bound
    print(
        f"PostgreSQL connections of {NAME} (pg_stat_activity, {len(samples)} samples a second apart): "
        f"max {peak}, mean {sum(samples) / max(1, len(samples)):.1f}; documented bound {bound} "
        f"(web pool {POOL_SIZE} + worker {WORKER_CONCURRENCY} + timers 1 + beat 0): {'OK' if ok else 'OVER'}"
    )
    return ok


def _exactly_once(kind: str, acknowledged: list, stored: dict, markers: dict) -> bool:
    """Every acknowledged id is stored with its marker; every marker is stored once."""
    missing = [row for row in acknowledged if row[0] not in stored or row[-1] not in stored[row[0]]]
    duplicated = {marker: n for marker, n in markers.items() if n != 1}
    ok = (
        bool(acknowledged)
        and not missing
        and not duplicated
        and len({row[0] for row in acknowledged}) == len(acknowledged)
    )
    print(
        f"{kind}: {len(acknowledged):,} acknowledged, {len(missing)} missing, {len(duplicated)} stored more "
        f"than once: {'OK' if ok else 'FAILED'}"
    )
    return ok


def _count_markers(texts, rows: list) -> dict:
    wanted = {row[-1]: 0 for row in rows}
    for text in texts:
        marker = text.rsplit(" ", 1)[-1]
        if marker in wanted:
            wanted[marker] += 1
    return wanted


def _report_records() -> bool:
    record = json.loads((BENCH_DIR / "acknowledged.json").read_text())
    tickets = record["tickets"] + record["deadline_tickets"]
    stored = dict(Ticket.objects.filter(pk__in=[row[0] for row in tickets]).values_list("pk", "subject"))
    subjects = Ticket.objects.filter(subject__regex=r"^(Load|Deadline) ").values_list("subject", flat=True)
    ok = _exactly_once("tickets", tickets, stored, _count_markers(subjects, tickets))
    messages = record["messages"]
    stored = dict(Message.objects.filter(pk__in=[row[0] for row in messages]).values_list("pk", "body"))
    bodies = Message.objects.filter(body__regex=r"^(Customer|Engineer) reply ").values_list("body", flat=True)
    ok &= _exactly_once("ticket replies", messages, stored, _count_markers(bodies, messages))
    chat = record["chat_messages"]
    stored = dict(ChatMessage.objects.filter(pk__in=[row[0] for row in chat]).values_list("pk", "body"))
    bodies = ChatMessage.objects.filter(body__startswith="Chat ").values_list("body", flat=True)
    ok &= _exactly_once("chat messages (WebSocket)", chat, stored, _count_markers(bodies, chat))
    return ok


def _report_faults(killer: Killer, log_text: str, swept_until: dt.datetime) -> bool:
    outages = killer.outages
    restarted = log_text.count(" restarted (pid ")
    recovered = [o for o in outages if o["outage"] is not None]
    ok_restarts = len(outages) == ARGS.kills and len(recovered) == len(outages) and restarted >= len(outages)
    by_role: dict[str, list[float]] = {}
    for outage in recovered:
        by_role.setdefault(outage["role"], []).append(outage["outage"])
    print(
        f"kills: {len(outages)} SIGKILLs ("
        + ", ".join(
            f"{role} {len(values)}: outage {min(values):.1f}-{max(values):.1f} s"
            for role, values in by_role.items()
        )
        + f"); the supervisor logged {restarted} restarts; {len(outages) - len(recovered)} never ready: "
        + ("OK" if ok_restarts else "FAILED")
    )
    sweep_outages = [o for o in recovered if o["role"] in ("timers", "beat")]

    def allowed(deadline: float) -> float:
        covering = [
            o["outage"] for o in sweep_outages if o["killed_at"] - LATE_MARGIN <= deadline <= o["ready_at"]
        ]
        return max(covering, default=0.0) + LATE_MARGIN

    # Engineers of the load may start work on one of them in time: that deadline was met, not passed.
    met = Q(work_started_at__isnull=False, work_started_at__lte=F("work_started_deadline"))
    tickets = dict(
        Ticket.objects.filter(account__name="Deadlines", work_started_deadline__lte=swept_until)
        .exclude(met)
        .values_list("pk", "work_started_deadline")
    )
    misses: dict[int, list] = {}
    for ticket_id, deadline, recorded_at in Miss.objects.filter(ticket_id__in=tickets).values_list(
        "ticket_id", "deadline", "recorded_at"
    ):
        misses.setdefault(ticket_id, []).append((deadline, recorded_at))
    missing = [pk for pk in tickets if pk not in misses]
    doubled = [pk for pk, rows in misses.items() if len(rows) > 1]
    late = []
    lateness = []
    for pk, rows in misses.items():
        deadline, recorded_at = rows[0]
        seconds = (recorded_at - deadline).total_seconds()
        lateness.append(seconds)
        if seconds > allowed(deadline.timestamp()):
            late.append((pk, seconds, allowed(deadline.timestamp())))
    lateness.sort()
    ok_misses = bool(tickets) and not missing and not doubled and not late
    recorded = sum(len(rows) for rows in misses.values())
    print(
        f"deadlines passed: {len(tickets)}, misses {recorded}: {len(missing)} without a miss, "
        f"{len(doubled)} with more than one, {len(late)} later than outage + {LATE_MARGIN:g} s; lateness "
        f"p50 {lateness[len(lateness) // 2] if lateness else float('nan'):.2f} s, max "
        f"{lateness[-1] if lateness else float('nan'):.2f} s: {'OK' if ok_misses else 'FAILED'}"
    )
    for pk, seconds, limit in late[:10]:
        print(f"  ticket {pk}: miss {seconds:.2f} s late, allowed {limit:.2f} s")
    return ok_restarts and ok_misses


def main() -> int:
    people = _seed()
    (BENCH_DIR / "people.json").write_text(json.dumps(people))
    connection.close()
    port = _free_port()
    seconds = ARGS.minutes * 60
    print(
        f"{'fault' if ARGS.faults else 'load'} benchmark: {ARGS.users} users for {seconds:.0f} s against "
        f"run.py's supervisor (uvicorn, worker x{WORKER_CONCURRENCY}, timers, beat) on PostgreSQL + Redis, "
        f"port {port}; {os.cpu_count()} CPUs shared with other work (load average {os.getloadavg()[0]:.2f})"
    )
    pledge = _start_pledge(port)
    started_at_byte = len((BENCH_DIR / "pledge.log").read_text(errors="replace"))
    sampler = ConnectionSampler()
    sampler.start()
    killer = Killer(pledge.pid, time.monotonic(), seconds, ARGS.kills) if ARGS.faults else None
    try:
        if killer:
            killer.start()
        code = _locust(port, seconds, ARGS.users)
        if killer:
            killer.stopping.set()
            killer.join(timeout=200)
            with _observer() as conn:  # the sweep catches up with the last deadlines
                time.sleep(DEADLINE_TARGET_SECONDS + 3)
                swept_until = conn.execute("SELECT at FROM clocks_sweepheartbeat WHERE id = 1").fetchone()[0]
    finally:
        sampler.stopping.set()
        sampler.join(timeout=5)
        _stop_pledge(pledge)
    log_text = (BENCH_DIR / "pledge.log").read_text(errors="replace")
    # /healthz answers 503 with a traceback logged until the first sweep: those came before the load.
    during = log_text[started_at_byte:]
    print(f"locust exit code {code}; server log during the load: {during.count('Traceback')} tracebacks")
    ok = _report_requests()
    ok &= _report_connections(sampler.samples)
    ok &= _report_records()
    if killer:
        ok &= _report_faults(killer, log_text, swept_until)
    print(f"load average at the end {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
