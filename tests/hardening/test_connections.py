"""Database connections are bounded under ASGI: a request's connection does not outlive it."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from knox.models import AuthToken

from run import stack
from sla.clocks.models import SweepHeartbeat
from sla.clocks.tasks import sweep
from tests.workers import Processes

ROOT = Path(__file__).resolve().parent.parent.parent


def _idle_connections_of_others() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connections_live_for_one_request_or_come_from_a_bounded_pool():
    default = settings.DATABASES["default"]
    assert default["CONN_MAX_AGE"] == 0
    pool = default.get("OPTIONS", {}).get("pool")
    assert not pool or pool["max_size"] >= 1


@pytest.mark.parametrize("pool_size", [0, 4])
@pytest.mark.django_db(transaction=True)
def test_uvicorn_under_concurrent_load_stays_within_its_bound(customer, ticket, tmp_path, pool_size):
    if connection.vendor != "postgresql":
        pytest.skip("counts PostgreSQL's own connections")
    _, token = AuthToken.objects.create(user=customer)
    db = connection.settings_dict
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "PLEDGE_DATA_DIR": str(tmp_path),
        "DEBUG": "true",
        "DATABASE_POOL_SIZE": str(pool_size),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "helpdesk.asgi:application",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/v1/tickets/"
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.2)

        def fetch(_):
            request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status

        # given 20 clients, each request on a thread of its own in the server
        with ThreadPoolExecutor(20) as pool:
            statuses = list(pool.map(fetch, range(200)))
        assert statuses == [200] * 200
        time.sleep(0.5)
        # then no connection stays behind once the requests are answered (the measured leak left 54),
        # or the pool keeps at most its size
        assert _idle_connections_of_others() <= pool_size
    finally:
        server.terminate()
        server.wait(timeout=10)


def _sessions_opened() -> int:
    """Connections ever made to this database (PostgreSQL's counter, flushed within a second)."""
    time.sleep(1.5)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def _sweep_once(after) -> object:
    """Send one sweep and wait until the timers worker has run it; the heartbeat it recorded."""
    sweep.apply_async(expires=30)
    deadline = time.monotonic() + 90
    while True:
        beat = SweepHeartbeat.objects.filter(pk=1).values_list("at", flat=True).first()
        if beat is not None and (after is None or beat > after):
            return beat
        assert time.monotonic() < deadline, "the timers worker ran no sweep"
        time.sleep(0.2)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_run_pys_timers_worker_opens_one_connection_a_task_with_the_pool_set(tmp_path):
    """DATABASE_POOL_SIZE set for `python3 run.py` once reached the workers too: each task opened a
    pool of its minimum (2) connections, so bench_load.py saw 16 against the README's bound of 13."""
    if connection.vendor != "postgresql":
        pytest.skip("counts PostgreSQL's own connections")
    env = {**Processes(tmp_path).env, "DATABASE_POOL_SIZE": "10"}
    timers = next(child for child in stack(env, "127.0.0.1", _free_port()) if child.name == "timers")
    log = (tmp_path / "timers.log").open("w")
    process = subprocess.Popen(
        [sys.executable, *timers.command[1:]],
        cwd=ROOT,
        env=timers.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        last = _sweep_once(None)  # up, and its first task done
        before = _sessions_opened()
        for _ in range(10):
            last = _sweep_once(last)
        opened = _sessions_opened() - before
        assert opened <= 10 + 1, (tmp_path / "timers.log").read_text()[-3000:]
    finally:  # killed, like tests/workers.py stops its workers: the test is over, nothing to finish
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        connection.close()
