"""`python3 run.py` on an empty embedded install serves a seeded Pledge, keeps its stack up (a child
that dies is restarted alone), and Ctrl-C stops them all."""

import contextlib
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from run import RESTART_MAX_DELAY, STABLE_AFTER, Child, benchmarks_chosen, restart_delay, stack

ROOT = Path(__file__).resolve().parent.parent


def test_the_restart_delay_doubles_from_one_second_up_to_its_cap():
    assert [restart_delay(failures) for failures in range(1, 9)] == [1, 2, 4, 8, 16, 30, 30, 30]
    assert restart_delay(10_000) == RESTART_MAX_DELAY


def test_a_child_that_keeps_dying_waits_longer_each_time_until_it_stays_up_a_while(capsys):
    child = Child("crasher", [sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ))

    def dies_and_is_restarted(*, uptime: float) -> float:
        child.process.wait()
        child.check(child.started + uptime)
        delay = child.restart_at - (child.started + uptime)
        child.check(child.restart_at)
        return delay

    child.start()
    assert [dies_and_is_restarted(uptime=0.1) for _ in range(3)] == pytest.approx([1, 2, 4])
    assert dies_and_is_restarted(uptime=STABLE_AFTER + 1) == pytest.approx(1)
    child.process.wait()
    output = capsys.readouterr().out
    assert "exited with code 3 after 0 s; restarting in 4 s" in output
    assert f"exited with code 3 after {STABLE_AFTER + 1:.0f} s; restarting in 1 s" in output
    assert output.count("crasher restarted") == 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _session(sid: int) -> dict[int, tuple[int, list[str]]]:
    """The live processes of a session, read from /proc: pid -> (parent pid, command line)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:  # it ended while we looked
            continue
        # After the command name in parentheses: state, ppid, pgrp, session, ...
        state, ppid, _pgrp, session = stat.rsplit(")", 1)[1].split()[:4]
        if int(session) == sid and state != "Z":
            found[int(entry.name)] = (int(ppid), cmdline)
    return found


def _children(run_py: subprocess.Popen) -> dict[int, list[str]]:
    """The processes run.py started itself (not the pool processes a Celery worker forks)."""
    return {pid: cmd for pid, (ppid, cmd) in _session(run_py.pid).items() if ppid == run_py.pid}


def _timers_pid(run_py: subprocess.Popen, queue: str) -> int | None:
    pids = [pid for pid, cmd in _children(run_py).items() if f"{queue}-timers" in cmd]
    assert len(pids) <= 1, pids
    return pids[0] if pids else None


def _login_page_status(base: str) -> int:
    with urllib.request.urlopen(f"{base}/login/", timeout=5) as response:
        return response.status


def _start_pledge(tmp_path: Path) -> tuple[subprocess.Popen, str, str, Path]:
    """`python3 run.py` as the README runs it, on an empty embedded install, a free port and a queue
    of its own; returns once the web answers and the timers worker is up."""
    port = _free_port()
    queue = f"pledge-supervisor-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG")}
    env.update(
        PLEDGE_DATA_DIR=str(tmp_path / "var"),
        CELERY_QUEUE=queue,
        PLEDGE_VENV=os.environ.get("PLEDGE_VENV", sys.prefix),
    )
    log = tmp_path / "run.log"
    with log.open("w") as output:
        run_py = subprocess.Popen(
            [sys.executable, "run.py", "--no-install", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert run_py.poll() is None, log.read_text()
            try:
                if _login_page_status(base) == 200 and _timers_pid(run_py, queue):
                    return run_py, base, queue, log
            except OSError:
                pass
            assert time.monotonic() < deadline, "Pledge did not answer within 90 s:\n" + log.read_text()
            time.sleep(0.3)
    except BaseException:
        _stop_pledge(run_py)
        raise


def _stop_pledge(run_py: subprocess.Popen) -> None:
    if run_py.poll() is None:
        run_py.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            run_py.wait(timeout=20)
    for pid in _session(run_py.pid):  # only when a test failed half-way: leave nothing behind
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def _stacks():
    """The stacks started in this module: one, shared, unless a test took it down (SIGINT does)."""
    started: list[tuple[subprocess.Popen, str, str, Path]] = []
    yield started
    for run_py, *_ in started:
        _stop_pledge(run_py)


@pytest.fixture
def pledge(_stacks, tmp_path_factory):
    """A running `python3 run.py` stack: migrating, seeding and starting it takes 13+ s, so the tests
    share one. Each leaves it serving, with every child up (the restart test waits for the new
    timers worker); the SIGINT test stops it, so it runs last and a test after it gets a new stack."""
    if not _stacks or _stacks[-1][0].poll() is not None:
        _stacks.append(_start_pledge(tmp_path_factory.mktemp("pledge")))
    run_py, base, queue, log = _stacks[-1]
    assert run_py.poll() is None, log.read_text()
    return _stacks[-1]


def test_the_readme_run_command_serves_a_seeded_pledge_with_demo_logins(pledge):
    """The README's first command on an empty embedded install: migrate, seed, serve, log in."""
    run_py, base, _queue, log = pledge
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    login_page = opener.open(f"{base}/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    form = urllib.parse.urlencode(
        {"username": "customer", "password": "pledge-demo", "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(f"{base}/login/", data=form, headers={"Referer": f"{base}/login/"})
    portal = opener.open(request)

    assert portal.url.endswith("/portal/")
    assert "Globex Cloud" in portal.read().decode()
    time.sleep(3)
    assert run_py.poll() is None, "web, worker or beat stopped:\n" + log.read_text()
    output = log.read_text()
    assert "customer / pledge-demo" in output
    assert "Pledge is running at" in output


@pytest.mark.worker
def test_a_killed_timers_worker_is_restarted_while_the_rest_of_the_stack_keeps_serving(pledge):
    run_py, base, queue, log = pledge
    before = _children(run_py)
    killed = _timers_pid(run_py, queue)

    os.kill(killed, signal.SIGKILL)

    restarted = None
    deadline = time.monotonic() + 10
    while restarted in (None, killed):
        assert time.monotonic() < deadline, "no new timers worker within 10 s:\n" + log.read_text()
        assert _login_page_status(base) == 200
        time.sleep(0.2)
        restarted = _timers_pid(run_py, queue)
    for _ in range(10):  # the web keeps answering once timers is back, and nothing else stopped
        assert _login_page_status(base) == 200
        time.sleep(0.2)
    assert run_py.poll() is None, log.read_text()
    after = _children(run_py)
    assert set(before) - set(after) == {killed} and set(after) - set(before) == {restarted}
    output = log.read_text()
    assert re.search(rf"timers \(pid {killed}\) was killed by SIGKILL after \d+ s; restarting in 1 s", output)
    assert f"timers restarted (pid {restarted})" in output
    # The stack is shared: leave it as found, the new timers worker up to its pool (forked once booted).
    deadline = time.monotonic() + 60
    while not any(ppid == restarted for ppid, _cmd in _session(run_py.pid).values()):
        assert time.monotonic() < deadline, "no pool under the new timers worker:\n" + log.read_text()
        time.sleep(0.2)


@pytest.mark.worker
def test_sigint_stops_every_process_run_py_started(pledge):
    run_py, base, queue, log = pledge
    assert len(_session(run_py.pid)) >= 5  # run.py, web, worker, timers, beat (and the workers' pools)

    run_py.send_signal(signal.SIGINT)

    assert run_py.wait(timeout=15) == 0, log.read_text()
    deadline = time.monotonic() + 2
    while _session(run_py.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _session(run_py.pid) == {}, log.read_text()
    assert "stopping web, workers and beat" in log.read_text()


def test_the_connection_pool_is_the_web_servers_alone():
    """A pool in every worker child held its minimum open besides: 16 connections against a bound of 13."""
    env = {**os.environ, "DATABASE_POOL_SIZE": "10", "CELERY_QUEUE": "pledge-pool", "CELERY_CONCURRENCY": "2"}

    children = {child.name: child for child in stack(env, "127.0.0.1", 8000)}

    assert set(children) == {"web", "worker", "timers", "beat"}
    assert children["web"].env["DATABASE_POOL_SIZE"] == "10"
    for name in ("worker", "timers", "beat"):
        assert children[name].env["DATABASE_POOL_SIZE"] == "0"
        assert children[name].env["CELERY_QUEUE"] == "pledge-pool"
    assert children["worker"].command[children["worker"].command.index("--concurrency") + 1] == "2"
    assert children["timers"].command[children["timers"].command.index("-Q") + 1] == "pledge-pool-timers"


def test_run_py_bench_runs_the_benchmarks_named_and_leaves_out_those_skipped(monkeypatch):
    monkeypatch.delenv("PLEDGE_BENCH_SKIP", raising=False)

    def names(args):
        scripts, rest = benchmarks_chosen(args)
        return [script.stem.removeprefix("bench_") for script in scripts], rest

    everything, _ = names([])
    assert {"load", "faults", "chat", "sweep"} <= set(everything)
    assert names(["--only", "load", "--minutes", "2"]) == (["load"], ["--minutes", "2"])
    assert names(["--only", "faults,load"]) == (["faults", "load"], [])
    skipped, _ = names(["--skip", "load,faults"])
    assert skipped == [name for name in everything if name not in ("load", "faults")]
    monkeypatch.setenv("PLEDGE_BENCH_SKIP", "load")
    assert "load" not in names([])[0] and "faults" in names([])[0]
