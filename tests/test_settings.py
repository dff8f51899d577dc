"""Production settings pass Django's deployment checks; the embedded default needs no server."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args, env):
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DEBUG": "false",
            "SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-0123456789",
            "ALLOWED_HOSTS": "support.example.com",
            "PLEDGE_DATA_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_embedded_default_is_sqlite_and_the_filesystem_broker(tmp_path):
    script = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.CELERY_BROKER_TRANSPORT,"
        " s.CHANNEL_LAYERS['default']['BACKEND'])"
    )
    result = _manage("shell", "-c", script, env={"PLEDGE_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-4:] == [
        "django.db.backends.sqlite3",
        "filesystem://",
        "helpdesk.kit.broker:Transport",
        "helpdesk.chat.consumers.InMemoryChannelLayer",
    ]
    # Reading settings makes no folder; the broker's own transport makes its folders when it connects.
    assert not (tmp_path / "celery-broker").exists()
    connect = (
        "from helpdesk.celery import app;"
        "conn = app.connection_for_write(); conn.connect(); conn.default_channel; conn.release()"
    )
    result = _manage("shell", "-c", connect, env={"PLEDGE_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "celery-broker" / "in").is_dir()


def test_reading_settings_creates_nothing(tmp_path):
    data_dir = tmp_path / "not-yet"
    script = "import helpdesk.settings as s; print(s.DATA_DIR)"
    env = {**os.environ, "PLEDGE_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "helpdesk.settings"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert not data_dir.exists()


def test_redis_url_switches_the_broker_and_the_channel_layer(tmp_path):
    script = (
        "from django.conf import settings as s;"
        "print(s.CELERY_BROKER_URL, s.CHANNEL_LAYERS['default']['BACKEND'])"
    )
    result = _manage(
        "shell",
        "-c",
        script,
        env={"PLEDGE_DATA_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:6379/9"},
    )
    assert result.stdout.split()[-2:] == [
        "redis://127.0.0.1:6379/9",
        "channels_redis.pubsub.RedisPubSubChannelLayer",
    ]
