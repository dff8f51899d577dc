"""Live chat at load, measured in one run on this machine.

200 concurrent chats (400 sockets: each customer and its engineer) against uvicorn serving
helpdesk.asgi, started by `run.py`'s own command line (`web_command`), over loopback. Every
chat carries a message a second, the customer and the engineer taking turns, each sent over
the sender's socket (stored, then pushed). Measured at the other party's socket:

* delivery latency, from send to receipt (target: p99 under 100 ms);
* every message delivered exactly once to both sockets of its chat, in order (no loss,
  no duplicate);
* the server's resident memory, sampled through the run (target: flat, under 10% growth
  after warm-up).

Run as ``python tests/benchmarks/bench_chat.py [--chats 200] [--seconds 60]``
(``python3 run.py bench`` runs every benchmark). It uses DATABASE_URL/REDIS_URL when set
(a scratch database `pledge_bench_chat` beside the one named; Redis as the channel layer),
else a scratch SQLite file and the in-memory layer under var/bench-chat. Exits non-zero
when a target is missed.
"""

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.benchmarks.scratch import scratch_database  # noqa: E402

BENCH_DIR = ROOT / "var" / "bench-chat"
P99_TARGET_MS = 100.0
MEMORY_GROWTH_LIMIT = 0.10


def _scratch_database() -> None:
    scratch_database("pledge_bench_chat", BENCH_DIR)


_scratch_database()

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from helpdesk.accounts.models import Account, User
from helpdesk.chat.models import ChatMessage
from helpdesk.chat.services.chats import chat_accept, chat_request
from helpdesk.kit.roles import Role
from run import web_command  # noqa: E402
from sla.terms.models import Calendar, Plan
from sla.terms.seeds import seed_plans


def _cookie(user: User) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "helpdesk.accounts.backends.AccountModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def _chats(count: int) -> list[dict]:
    """`count` running chats, each with its customer's and its engineer's session cookie."""
    seed_plans()
    calendar = Calendar.objects.create(name="Bench: always open", timezone="UTC")
    plan = Plan.objects.get(code="premium")  # unlimited sessions: none ends during the run
    plan.chat_calendar = calendar
    plan.save(update_fields=["chat_calendar"])
    limit = settings.CHAT_ENGINEER_LIMIT
    engineers = [
        User.objects.create_user(username=f"engineer{i}", role=Role.ENGINEER, first_name=f"E{i}")
        for i in range((count + limit - 1) // limit)
    ]
    chats = []
    for i in range(count):
        account = Account.objects.create(name=f"Bench {i}", plan=plan, monthly_fee="100.00")
        customer = User.objects.create_user(
            username=f"customer{i}", role=Role.CUSTOMER, account=account, first_name=f"C{i}"
        )
        engineer = engineers[i // limit]
        session = chat_accept(session=chat_request(customer=customer, topic=f"Bench {i}"), engineer=engineer)
        chats.append({"id": session.pk, "customer": _cookie(customer), "engineer": _cookie(engineer)})
    return chats


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "LOG_LEVEL": "WARNING",
    }
    log = (BENCH_DIR / "uvicorn.log").open("w")
    process = subprocess.Popen(
        web_command(sys.executable, "127.0.0.1", port),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    raise SystemExit("uvicorn did not start; see var/bench-chat/uvicorn.log")


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Side:
    """One socket of a chat: what it sent and, in order, what it received."""

    def __init__(self, chat: dict, role: str):
        self.chat = chat
        self.role = role
        self.ws = None
        self.received: list[tuple[int, str]] = []  # (seq, body)
        self.acked = 0
        self.errors: list[dict] = []


async def _reader(side: Side, sent_at: dict, latencies: list, record) -> None:
    async for raw in side.ws:
        frame = json.loads(raw)
        kind = frame["type"]
        if kind == "message":
            message = frame["message"]
            if "ref" in frame:  # the sender's own message, stored: its acknowledgement
                side.acked += 1
            side.received.append((message["seq"], message["body"]))
            body = message["body"]
            if body.startswith("b") and not body.startswith(f"b{side.role[0]}"):
                started = sent_at.get(body)
                if started is not None and record():
                    latencies.append((started, time.monotonic() - started))
        elif kind == "ack":
            side.acked += 1
        elif kind == "error":
            side.errors.append(frame)


async def _talk(chat, sides, sent_at, stop_at, counter) -> None:
    """A message a second, customer and engineer taking turns, from a random phase."""
    await asyncio.sleep(random.random())
    turn = 0
    next_at = time.monotonic()
    while time.monotonic() < stop_at:
        sender = sides[turn % 2]
        body = f"b{sender.role[0]}{chat['id']}-{turn}"
        sent_at[body] = time.monotonic()
        await sender.ws.send(json.dumps({"type": "message", "body": body, "ref": turn}))
        counter[0] += 1
        turn += 1
        next_at += 1.0
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))


async def _run(url: str, chats: list[dict], seconds: float, server_pid: int) -> dict:
    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    pairs = []
    warm_until = [float("inf")]

    def record() -> bool:
        return time.monotonic() >= warm_until[0]

    for chat in chats:
        pair = []
        for role in ("customer", "engineer"):
            side = Side(chat, role)
            side.ws = await connect(
                f"{url.replace('http', 'ws')}/ws/chats/{chat['id']}/?after=0",
                origin=url,
                additional_headers={"Cookie": f"sessionid={chat[role]}"},
                open_timeout=30,
                max_queue=None,
            )
            pair.append(side)
        pairs.append(pair)
    readers = [
        asyncio.create_task(_reader(side, sent_at, latencies, record)) for pair in pairs for side in pair
    ]
    await asyncio.sleep(1.0)  # connected, history replayed
    for pair in pairs:
        for side in pair:
            side.received.clear()

    began = time.monotonic()
    warm_until[0] = began + 5.0
    stop_at = began + seconds
    counter = [0]
    memory: list[tuple[float, int]] = []

    async def sample_memory():
        while time.monotonic() < stop_at:
            memory.append((time.monotonic() - began, _rss_kib(server_pid)))
            await asyncio.sleep(2.0)

    sampler = asyncio.create_task(sample_memory())
    cpu_before = _cpu_seconds(server_pid)
    client_cpu_before = time.process_time()
    await asyncio.gather(
        *(_talk(chat, pair, sent_at, stop_at, counter) for chat, pair in zip(chats, pairs, strict=True))
    )
    await sampler
    cpu = _cpu_seconds(server_pid) - cpu_before
    client_cpu = time.process_time() - client_cpu_before
    await asyncio.sleep(5.0)  # stragglers
    for pair in pairs:
        for side in pair:
            await side.ws.close()
    for reader in readers:
        reader.cancel()
    return {
        "pairs": pairs,
        "latencies": latencies,
        "sent": counter[0],
        "memory": memory,
        "elapsed": time.monotonic() - began,
        "cpu": cpu,
        "client_cpu": client_cpu,
    }


def _check_delivery(pairs) -> tuple[int, int, int, int]:
    """(expected deliveries, lost, duplicated, out of order) over both sockets of every chat."""
    expected = lost = duplicated = disordered = 0
    for customer, engineer in pairs:
        stored = set(
            ChatMessage.objects.filter(session_id=customer.chat["id"], body__startswith="b").values_list(
                "body", flat=True
            )
        )
        for side in (customer, engineer):
            bodies = [body for _, body in side.received]
            seqs = [seq for seq, _ in side.received]
            expected += len(stored)
            lost += len(stored - set(bodies))
            duplicated += len(bodies) - len(set(bodies))
            disordered += sum(1 for a, b in zip(seqs, seqs[1:], strict=False) if b != a + 1)
    return expected, lost, duplicated, disordered


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()

    call_command("migrate", "--no-input", "-v", "0")
    chats = _chats(args.chats)
    port = _free_port()
    server = _start_server(port)
    layer = "Redis" if os.environ.get("REDIS_URL") else "in-memory"
    database = "PostgreSQL" if os.environ["DATABASE_URL"].startswith("postgres") else "SQLite"
    print(
        f"{args.chats} chats, {2 * args.chats} sockets, {args.seconds:.0f} s, uvicorn on {database} "
        f"with the {layer} channel layer"
    )
    try:
        result = asyncio.run(_run(f"http://127.0.0.1:{port}", chats, args.seconds, server.pid))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    pairs = result["pairs"]
    errors = [e for pair in pairs for side in pair for e in side.errors]
    acked = sum(side.acked for pair in pairs for side in pair)
    expected, lost, duplicated, disordered = _check_delivery(pairs)
    timed = result["latencies"]
    latencies = sorted(latency for _, latency in timed)
    if not latencies:
        print("no message was delivered: MISSED")
        return 1
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    ok_latency = p99 < P99_TARGET_MS
    print(
        f"messages sent {result['sent']:,} ({result['sent'] / result['elapsed']:.0f}/s), stored and "
        f"acknowledged {acked:,}, refused {len(errors)}; server CPU {result['cpu']:.1f} s, "
        f"{1000 * result['cpu'] / max(1, result['sent']):.2f} ms a message (this client: "
        f"{result['client_cpu']:.1f} s); load average "
        f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    print(
        f"delivery latency (sender's socket -> the other party's), {len(latencies):,} after warm-up: "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {latencies[-1] * 1000:.1f} ms; "
        f"target p99 < {P99_TARGET_MS:.0f} ms: {'OK' if ok_latency else 'MISSED'}"
    )
    if timed:
        began = min(at for at, _ in timed)
        windows: dict[int, list[float]] = {}
        for at, latency in timed:
            windows.setdefault(int((at - began) // 10), []).append(latency)
        print(
            "p99 by 10 s of the run (ms): "
            + ", ".join(
                f"{sorted(w)[max(0, int(len(w) * 0.99) - 1)] * 1000:.0f}" for _, w in sorted(windows.items())
            )
        )
    ok_delivery = lost == 0 and duplicated == 0 and disordered == 0 and not errors and acked == result["sent"]
    print(
        f"deliveries to both sockets of each chat: {expected:,} expected, {lost} lost, "
        f"{duplicated} duplicated, {disordered} out of order: {'OK' if ok_delivery else 'MISSED'}"
    )
    memory = [kib for at, kib in result["memory"] if at >= 10.0] or [kib for _, kib in result["memory"]]
    growth = (memory[-1] - memory[0]) / memory[0] if memory and memory[0] else float("inf")
    ok_memory = memory and min(memory) > 0 and growth < MEMORY_GROWTH_LIMIT
    print(
        f"server RSS after warm-up: {memory[0] / 1024:.1f} MiB -> {memory[-1] / 1024:.1f} MiB "
        f"(max {max(memory) / 1024:.1f} MiB, growth {growth:+.1%}); target flat (< "
        f"{MEMORY_GROWTH_LIMIT:.0%}): {'OK' if ok_memory else 'GREW'}"
    )
    return 0 if ok_latency and ok_delivery and ok_memory else 1


if __name__ == "__main__":
    sys.exit(main())
