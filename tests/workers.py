"""Real Celery worker and beat processes for the tests about timers, on the test database."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The URL of the database this test runs on (the test database pytest-django made)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Processes:
    """A worker and a beat, started and stopped (or killed) by the test."""

    def __init__(self, tmp_path: Path, *, env: dict | None = None, sweep_seconds: float = 0.25):
        self.tmp_path = tmp_path
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "PLEDGE_DATA_DIR": str(settings.DATA_DIR),
            "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
            "SLA_SWEEP_SECONDS": str(sweep_seconds),
            "EMAIL_URL": "consolemail://",
            **(env or {}),
        }
        self.worker: subprocess.Popen | None = None
        self.timers: subprocess.Popen | None = None
        self.beat: subprocess.Popen | None = None
        self.starts = 0

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = (self.tmp_path / f"{name}-{self.starts}.log").open("w")
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "helpdesk", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_worker(self, *, purge: bool = False, wait: bool = True) -> None:
        """The two workers `run.py` starts: general tasks, and the miss sweep's own."""
        self.starts += 1
        common = ["worker", "-l", "info", "--without-gossip", "--without-mingle"]
        common += ["--purge"] if purge else []
        self.worker = self._spawn(
            "worker",
            [
                *common,
                "--concurrency",
                "2",
                "-Q",
                settings.CELERY_TASK_DEFAULT_QUEUE,
                "-n",
                f"worker{self.starts}@%h",
            ],
        )
        self.timers = self._spawn(
            "timers",
            [
                *common,
                "--concurrency",
                "1",
                "-Q",
                settings.CELERY_TIMERS_QUEUE,
                "-n",
                f"timers{self.starts}@%h",
            ],
        )
        if wait:
            self._wait_for("worker", "ready")
            self._wait_for("timers", "ready")

    def start_beat(self, *, wait: bool = False) -> None:
        """`wait`: return once beat has sent its first task (its start-up can take seconds)."""
        schedule = self.tmp_path / "beat-schedule"
        self.beat = self._spawn("beat", ["beat", "-l", "info", "-s", str(schedule)])
        if wait:
            self._wait_for("beat", "Sending due task")

    def _wait_for(self, name: str, marker: str, timeout: float = 60) -> None:
        log = self.tmp_path / f"{name}-{self.starts}.log"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker in log.read_text():
                return
            time.sleep(0.1)
        raise AssertionError(f"{name} did not become {marker} in {timeout}s:\n{log.read_text()}")

    def kill_worker(self) -> None:
        """SIGKILL both workers' process groups: no chance to finish or ack anything."""
        for process in (self.worker, self.timers):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def stop(self) -> None:
        """SIGKILL what is left of the workers and beat, and wait for them to be gone.

        The test is over by then, so nothing is left to finish: a warm shutdown (SIGTERM) spent
        1.5-2.5 s of every worker test joining Celery's pool. Killed, their database connections
        close with them (PostgreSQL rolls back whatever was open) and no task of theirs can reach
        the next test; a message they held stays unacknowledged for the broker's visibility
        timeout (an hour), so no later worker is handed it during the run. What a worker does
        when it is killed or stopped is tested on its own: `kill_worker` here, and run.py's
        Ctrl-C in tests/test_run_supervisor.py.
        """
        for process in (self.worker, self.timers, self.beat):
            if process is not None and process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        connection.close()

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text()[-3000:]}" for path in sorted(self.tmp_path.glob("*.log"))
        )
