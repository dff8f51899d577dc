#!/usr/bin/env python3
"""Install and run Pledge, or its tests, with nothing but Python.

    python3 run.py            install, migrate, seed, then serve: web (ASGI), Celery worker and beat,
                              each restarted with a growing delay when it dies
    python3 run.py test       install the test extras and run the whole suite (args go to pytest)
    python3 run.py bench      run the benchmarks in tests/benchmarks/ (--only NAME,.. / --skip NAME,..)

Without DATABASE_URL and REDIS_URL Pledge runs embedded: SQLite and Celery on kombu's
filesystem transport, both under ./var. With them set, it uses PostgreSQL and Redis.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes.util
import functools
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("PLEDGE_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
CHROMIUM = Path("/usr/bin/chromium")
DOVECOT = Path("/usr/sbin/dovecot")
PDFTOTEXT = Path("/usr/bin/pdftotext")


def say(message: str) -> None:
    print(f"\033[1m[pledge]\033[0m {message}", flush=True)


def ensure_venv(extras: str) -> None:
    """Create .venv and install the project (editable) when pyproject.toml changed since last time."""
    if not PYTHON.exists():
        say(f"creating virtualenv in {VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".pledge-installed-{extras or 'base'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    say("installing dependencies (first run only)")
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    target = f".[{extras}]" if extras else "."
    subprocess.run([*pip, "-e", target], check=True, cwd=ROOT)
    stamp.write_text(digest)


def manage(*args: str, env: dict | None = None) -> None:
    subprocess.run([str(PYTHON), "manage.py", *args], check=True, cwd=ROOT, env=env)


def ensure_chromium() -> None:
    """The browser journeys drive Debian's chromium; install it when we can (root with apt)."""
    if CHROMIUM.exists() or os.environ.get("PLEDGE_SKIP_BROWSER"):
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("installing Debian's chromium for the browser tests")
        apt_update()
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium", "fonts-dejavu-core"], check=True, env=env
        )
    else:
        say(
            f"{CHROMIUM} is missing: the browser tests will fail (apt-get install chromium), "
            "or set PLEDGE_SKIP_BROWSER=1 to leave them out on purpose"
        )


@functools.cache
def apt_update() -> None:
    """Refresh apt's lists once per run, however many packages it then installs."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)


def ensure_debian_package(package: str, binary: Path, why: str) -> None:
    """Install a Debian package the suite needs when its binary is missing and we can (root with apt)."""
    if binary.exists():
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        say(f"installing Debian's {package} {why}")
        apt_update()
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True, env=env)
    else:
        say(f"{binary} is missing, so the tests that need it cannot run (apt-get install {package})")


def ensure_pango() -> None:
    """WeasyPrint renders the statements and invoices with Debian's Pango (and its fonts)."""
    if ctypes.util.find_library("pango-1.0"):
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("installing Debian's Pango and DejaVu fonts for WeasyPrint")
        apt_update()
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core"],
            check=True,
            env=env,
        )
    else:
        say("Pango is missing: statements and invoices cannot be rendered (apt-get install libpango-1.0-0)")


def run_tests(pytest_args: list[str]) -> int:
    ensure_venv("test")
    ensure_chromium()
    ensure_debian_package("dovecot-imapd", DOVECOT, "for the IMAP tests")
    ensure_debian_package("poppler-utils", PDFTOTEXT, "to read the statements' and invoices' PDFs back")
    ensure_pango()
    env = os.environ.copy()
    # A queue of this run's own: tasks the suite enqueues never reach another run's worker.
    env.setdefault("CELERY_QUEUE", f"pledge-test-{uuid.uuid4().hex[:8]}")
    env.setdefault("PLEDGE_DATA_DIR", str(ROOT / "var" / "test"))
    args = list(pytest_args)
    if env.get("PLEDGE_SKIP_BROWSER"):
        args = ["-m", "not browser", *args]
    say(
        "running the suite on "
        + ("PostgreSQL" if env.get("DATABASE_URL", "").startswith("postgres") else "SQLite")
        + (" + Redis" if env.get("REDIS_URL") else " (filesystem broker)")
    )
    code = subprocess.run([str(PYTHON), "-m", "pytest", *args], cwd=ROOT, env=env).returncode
    if code == 5:
        say("pytest collected no tests: that is a failure")
        return 1
    return code


def benchmarks_chosen(args: list[str]) -> tuple[list[Path], list[str]]:
    """The tests/benchmarks/bench_*.py to run, and the arguments left for them.

    All of them, or those `--only a,b` names, less those `--skip a,b` names; names are the file
    names without `bench_` and `.py` (`--skip load,faults` leaves out the two ten-minute ones).
    PLEDGE_BENCH_SKIP works like `--skip`.
    """
    parser = argparse.ArgumentParser(prog="run.py bench", allow_abbrev=False)
    parser.add_argument("--only", default="")
    parser.add_argument("--skip", default=os.environ.get("PLEDGE_BENCH_SKIP", ""))
    chosen, rest = parser.parse_known_args(args)
    only = {name for name in chosen.only.split(",") if name}
    skip = {name for name in chosen.skip.split(",") if name}
    scripts = []
    for script in sorted((ROOT / "tests" / "benchmarks").glob("bench_*.py")):
        name = script.stem.removeprefix("bench_")
        if (not only or name in only) and name not in skip:
            scripts.append(script)
    return scripts, rest


def run_benchmarks(args: list[str]) -> int:
    ensure_venv("test")
    scripts, args = benchmarks_chosen(args)
    failures = 0
    for script in scripts:
        say(f"benchmark {script.name}")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        failures += subprocess.run([str(PYTHON), str(script), *args], cwd=ROOT, env=env).returncode != 0
    return 1 if failures else 0


def web_command(python: str, host: str, port: int) -> list[str]:
    """uvicorn serving Pledge: as `serve` starts it, and as tests/benchmarks/bench_chat.py measures it.

    No per-message deflate on WebSockets: chat frames are a few hundred bytes, too small to
    gain from it, and every socket's compressor cost ~45 KiB of the server's memory (measured
    with 400 chat sockets: 118 MiB resident with it, 99 MiB without).
    """
    return [
        python,
        "-m",
        "uvicorn",
        "helpdesk.asgi:application",
        "--host",
        host,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--ws-per-message-deflate",
        "false",
    ]


RESTART_FIRST_DELAY = 1.0
RESTART_MAX_DELAY = 30.0
# A child that stayed up this long died of something new: its backoff starts over at the first delay.
STABLE_AFTER = 60.0
STOP_TIMEOUT = 10.0


def restart_delay(failures: int) -> float:
    """Seconds to wait before restarting a child that died `failures` times in a row: 1, 2, 4 ... 30."""
    return min(RESTART_MAX_DELAY, RESTART_FIRST_DELAY * 2 ** min(failures - 1, 16))


def exit_reason(returncode: int) -> str:
    if returncode >= 0:
        return f"exited with code {returncode}"
    try:
        return f"was killed by {signal.Signals(-returncode).name}"
    except ValueError:
        return f"was killed by signal {-returncode}"


class Child:
    """One process of the stack, restarted with a growing delay each time it dies."""

    def __init__(self, name: str, command: list[str], env: dict) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.process: subprocess.Popen | None = None
        self.started = 0.0
        self.failures = 0
        self.restart_at: float | None = None

    def start(self) -> None:
        # A process group of its own, so stopping the child also stops what it forked (Celery's pool),
        # and a Ctrl-C reaches run.py alone, which then stops every child in order.
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, process_group=0)
        self.started = time.monotonic()
        self.restart_at = None

    def check(self, now: float) -> None:
        """Notice the child's death and schedule its restart; restart it once the delay has passed."""
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.start()
                say(f"{self.name} restarted (pid {self.process.pid})")
            return
        returncode = self.process.poll()
        if returncode is None:
            return
        self.signal_group(signal.SIGKILL)
        uptime = now - self.started
        self.failures = 1 if uptime >= STABLE_AFTER else self.failures + 1
        delay = restart_delay(self.failures)
        self.restart_at = now + delay
        say(
            f"{self.name} (pid {self.process.pid}) {exit_reason(returncode)} after {uptime:.0f} s; "
            f"restarting in {delay:g} s"
        )

    def signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)


def supervise(children: list[Child]) -> None:
    """Run the children, restarting any that dies, until SIGINT or SIGTERM; then stop them all."""
    stop_signals: list[int] = []
    # A flag, not KeyboardInterrupt: an exception raised inside Popen could lose a child just forked.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda received, _frame: stop_signals.append(received))
    try:
        for child in children:
            child.start()
        while not stop_signals:
            now = time.monotonic()
            for child in children:
                child.check(now)
            time.sleep(0.5)
    finally:
        say("stopping web, workers and beat")
        stop(children)


def stop(children: list[Child]) -> None:
    """Terminate the children, give them 10 s to finish, then kill whatever is left of their groups."""
    alive = [child for child in children if child.process and child.restart_at is None]
    for child in alive:
        # The child alone: a Celery worker lets its pool finish the tasks at hand before it exits.
        child.process.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in alive:
        try:
            child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{child.name} did not stop within {STOP_TIMEOUT:g} s; killing it")
    for child in alive:
        child.signal_group(signal.SIGKILL)
        child.process.wait()


def stack(env: dict, host: str, port: int) -> list[Child]:
    """The processes `serve` supervises: web, worker, timers (the miss sweep's worker) and beat.

    psycopg's pool (DATABASE_POOL_SIZE) is the web server's alone, as in the compose file: a worker
    child runs one task at a time on a connection of its own, and a pool there would hold its
    minimum open in every child besides (bench_load.py measured 16 connections against the
    README's bound of 13 before the workers were left out of it).
    """
    queue = env.get("CELERY_QUEUE", "pledge")
    # fmt: off
    commands = {
        "web": web_command(str(PYTHON), host, port),
        "worker": [
            str(PYTHON),
            "-m",
            "celery",
            "-A",
            "helpdesk",
            "worker",
            "-l",
            "warning",
            "--concurrency",
            env.get("CELERY_CONCURRENCY", "2"),
            "-Q",
            queue,
            "-n",
            "worker@%h",
        ],
        # The miss sweep has a worker of its own: no backlog of emails can make it late.
        "timers": [
            str(PYTHON),
            "-m",
            "celery",
            "-A",
            "helpdesk",
            "worker",
            "-l",
            "warning",
            "--concurrency",
            "1",
            "-Q",
            f"{queue}-timers",
            "-n",
            "timers@%h",
        ],
        "beat": [str(PYTHON), "-m", "celery", "-A", "helpdesk", "beat", "-l", "warning"],
    }
    # fmt: on
    workers_env = {**env, "DATABASE_POOL_SIZE": "0"}
    return [Child(name, command, env if name == "web" else workers_env) for name, command in commands.items()]


def serve(host: str, port: int, install: bool) -> int:
    if install:
        ensure_venv("")
    env = os.environ.copy()
    # The embedded default is for trying Pledge on this machine: plain http, debug pages.
    env.setdefault("DEBUG", "true")
    env.setdefault("SITE_URL", f"http://{host}:{port}")
    say("migrating the database")
    manage("migrate", "--no-input", "-v", "0", env=env)
    say("seeding plans and demo logins")
    manage("seed_plans", env=env)
    manage("seed_demo", env=env)
    say(f"Pledge is running at http://{host}:{port}/  (web, workers and beat, restarted if one dies)")
    say("Ctrl-C stops them all")
    say("log in as customer / pledge-demo, engineer / pledge-demo or admin / pledge-demo")
    supervise(stack(env, host, port))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter, allow_abbrev=False
    )
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "test", "bench"])
    parser.add_argument("--host", default=os.environ.get("PLEDGE_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PLEDGE_PORT", "8000")))
    parser.add_argument("--no-install", action="store_true", help="use the virtualenv as it is")
    args, rest = parser.parse_known_args()
    if args.command == "test":
        return run_tests(rest)
    if args.command == "bench":
        return run_benchmarks(rest)
    return serve(args.host, args.port, install=not args.no_install)


if __name__ == "__main__":
    sys.exit(main())
