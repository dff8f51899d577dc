"""The README's first command on an empty embedded install: migrate, seed, serve, log in."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def running_pledge(tmp_path):
    """`python run.py` exactly as the README runs it, but on an empty data dir and a free port."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG")}
    env.update(PLEDGE_DATA_DIR=str(tmp_path / "var"), CELERY_QUEUE="pledge-smoke")
    log = (tmp_path / "run.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "run.py", "--no-install", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, Path(log.name).read_text()
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("Pledge did not answer within 90 s:\n" + Path(log.name).read_text())
    yield base, process, Path(log.name)
    os.killpg(process.pid, 15)
    process.wait(timeout=30)


def test_the_readme_run_command_serves_a_seeded_pledge_with_demo_logins(running_pledge):
    base, process, log = running_pledge
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
    assert process.poll() is None, "web, worker or beat stopped:\n" + log.read_text()
    output = log.read_text()
    assert "customer / pledge-demo" in output
    assert "Pledge is running at" in output
