#!/usr/bin/env python3
"""Install and run Pledge, or its tests, with nothing but Python.

    python3 run.py            install, migrate, seed, then serve: web (ASGI), Celery worker and beat
    python3 run.py test       install the test extras and run the whole suite (args go to pytest)
    python3 run.py bench      run the benchmarks in tests/benchmarks/

Without DATABASE_URL and REDIS_URL Pledge runs embedded: SQLite and Celery on kombu's
filesystem transport, both under ./var. With them set, it uses PostgreSQL and Redis.
"""
from __future__ import annotations

import argparse
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
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium", "fonts-dejavu-core"], check=True, env=env
        )
    else:
        say(f"{CHROMIUM} is missing: the browser tests will fail (apt-get install chromium), "
            "or set PLEDGE_SKIP_BROWSER=1 to leave them out on purpose")


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


def run_tests(pytest_args: list[str]) -> int:
    ensure_venv("test")
    ensure_chromium()
    ensure_debian_package("dovecot-imapd", DOVECOT, "for the IMAP tests")
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


def run_benchmarks(args: list[str]) -> int:
    ensure_venv("test")
    failures = 0
    for script in sorted((ROOT / "tests" / "benchmarks").glob("bench_*.py")):
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
    return [python, "-m", "uvicorn", "helpdesk.asgi:application", "--host", host, "--port", str(port),
            "--log-level", "warning", "--ws-per-message-deflate", "false"]


def serve(host: str, port: int, install: bool) -> int:
    if install:
        ensure_venv("")
    env = os.environ.copy()
    # The embedded default is for trying Pledge on this machine: plain http, debug pages.
    env.setdefault("DEBUG", "true")
    env.setdefault("SITE_URL", f"http://{host}:{port}")
    queue = env.get("CELERY_QUEUE", "pledge")
    say("migrating the database")
    manage("migrate", "--no-input", "-v", "0", env=env)
    say("seeding plans and demo logins")
    manage("seed_plans", env=env)
    manage("seed_demo", env=env)
    commands = {
        "web": web_command(str(PYTHON), host, port),
        "worker": [str(PYTHON), "-m", "celery", "-A", "helpdesk", "worker", "-l", "warning",
                   "--concurrency", env.get("CELERY_CONCURRENCY", "2"), "-Q", queue, "-n", "worker@%h"],
        # The miss sweep has a worker of its own: no backlog of emails can make it late.
        "timers": [str(PYTHON), "-m", "celery", "-A", "helpdesk", "worker", "-l", "warning",
                   "--concurrency", "1", "-Q", f"{queue}-timers", "-n", "timers@%h"],
        "beat": [str(PYTHON), "-m", "celery", "-A", "helpdesk", "beat", "-l", "warning"],
    }
    processes = {name: subprocess.Popen(cmd, cwd=ROOT, env=env) for name, cmd in commands.items()}

    def stop(*_):
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    say(f"Pledge is running at http://{host}:{port}/  (web, workers and beat; Ctrl-C stops)")
    say("log in as customer / pledge-demo, engineer / pledge-demo or admin / pledge-demo")
    try:
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    say(f"{name} exited with {process.returncode}; stopping")
                    stop()
                    return process.returncode or 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        stop()
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
