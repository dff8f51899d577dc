"""Shared fixtures and helpers of the live chat tests (no tests here).

Chat tests that run at the wall clock's "now" use `open_chat`, which gives the seeded
plans an always-open chat calendar, so they pass at any hour of any day; the hours tests
use the seeded calendars with explicit `now=`.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from knox.models import AuthToken

from helpdesk.accounts.models import User
from helpdesk.chat.services.chats import chat_accept, chat_request
from sla.terms.models import Calendar, Plan
from tests.factories import CustomerFactory
from tests.workers import database_url

ROOT = Path(__file__).resolve().parents[2]


def always_open_calendar() -> Calendar:
    calendar, _ = Calendar.objects.get_or_create(name="Chat: always open", defaults={"timezone": "UTC"})
    return calendar


@pytest.fixture
def open_chat(plans):
    """Every seeded plan chats around the clock (limits as seeded: 20 min, 30 min, unlimited)."""
    calendar = always_open_calendar()
    Plan.objects.filter(code__in=list(plans)).update(chat_calendar=calendar)
    for plan in plans.values():
        plan.refresh_from_db()
    return plans


@pytest.fixture
def coworker(account):
    """Another customer of the same account."""
    return CustomerFactory(account=account)


def request_chat(customer: User, *, topic: str = "Cannot log in", message: str = "", now=None):
    return chat_request(customer=customer, topic=topic, message=message, now=now)


def active_chat(customer: User, engineer: User, *, now=None, **kwargs):
    session = request_chat(customer, now=now, **kwargs)
    return chat_accept(session=session, engineer=engineer, now=now)


def websocket_communicator_class():
    """Channels' WebsocketCommunicator.

    `channels.testing` imports daphne for its live-server test case, so daphne is in the
    `test` extra although Pledge serves with uvicorn.
    """
    return WebsocketCommunicator


def user_for(request, role: str):
    return None if role == "anonymous" else request.getfixturevalue(role)


# --- a real ASGI server (uvicorn) on the test database -------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Uvicorn:
    """`run.py`'s web process (uvicorn serving helpdesk.asgi) on a free loopback port."""

    def __init__(self, tmp_path: Path, *, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.log = tmp_path / f"uvicorn-{self.port}.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "PLEDGE_DATA_DIR": str(settings.DATA_DIR),
            "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "EMAIL_URL": "consolemail://",
            "LOG_LEVEL": "WARNING",
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> "Uvicorn":
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "helpdesk.asgi:application",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--log-level",
                    "warning",
                    "--ws",
                    "websockets",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"uvicorn exited:\n{self.log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"uvicorn did not listen in 60 s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)

    def logs(self) -> str:
        return self.log.read_text()[-5000:]


def session_cookie(user: User) -> str:
    """A signed-in session in the database, as the browser would hold it after logging in."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def token_for(user: User) -> str:
    return AuthToken.objects.create(user=user)[1]
