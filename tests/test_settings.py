"""Production settings pass Django's deployment checks; the embedded default needs no server."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args, env):
    unset = ("DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")
    base = {k: v for k, v in os.environ.items() if k not in unset and not k.startswith("SECURE_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    # The production settings module (pytest-django exports the suite's own to child processes).
    "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
    "DEBUG": "false",
    "SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-0123456789",
    "ALLOWED_HOSTS": "support.example.com",
}
DEPLOY_CHECK = ("check", "--deploy", "--fail-level", "WARNING")


def _production(tmp_path, **overrides) -> dict:
    return {**PRODUCTION, "PLEDGE_DATA_DIR": str(tmp_path), **overrides}


def test_production_settings_pass_check_deploy_without_a_warning(tmp_path):
    result = _manage(*DEPLOY_CHECK, env=_production(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    # no warning at all, and none silenced to get there
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stderr


def test_production_settings_are_https_only_with_hsts(tmp_path):
    script = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SESSION_COOKIE_HTTPONLY, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        " s.SECURE_HSTS_PRELOAD, s.SECURE_CONTENT_TYPE_NOSNIFF, s.X_FRAME_OPTIONS, s.SECURE_PROXY_SSL_HEADER,"
        " len(s.SILENCED_SYSTEM_CHECKS))"
    )
    result = _manage("shell", "-c", script, env=_production(tmp_path))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-12:] == [
        "False", "True", "True", "True", "True", "31536000", "True", "True", "True", "DENY", "None", "0"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "warnings"),
    [
        (
            {
                "SECRET_KEY": None,  # unset: the development key
                "SESSION_COOKIE_SECURE": "false",
                "CSRF_COOKIE_SECURE": "false",
                "SECURE_HSTS_SECONDS": "0",
                "SECURE_SSL_REDIRECT": "false",
                "ALLOWED_HOSTS": "",
            },
            [
                "security.W009",
                "security.W012",
                "security.W016",
                "security.W004",
                "security.W008",
                "security.W020",
            ],
        ),
        ({"DEBUG": "true", "SECRET_KEY": "short"}, ["security.W018", "security.W009"]),
    ],
)
def test_check_deploy_fails_when_production_settings_are_weakened(tmp_path, overrides, warnings):
    """The check above catches each of these, so its silence means something."""
    env = {k: v for k, v in _production(tmp_path, **overrides).items() if v is not None}

    result = _manage(*DEPLOY_CHECK, env=env)

    assert result.returncode != 0
    assert [code for code in warnings if code not in result.stderr] == []


def test_the_embedded_default_is_sqlite_and_the_filesystem_broker(tmp_path):
    script = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.CELERY_BROKER_TRANSPORT,"
        " s.CHANNEL_LAYERS['default']['BACKEND'], s.SESSION_ENGINE)"
    )
    result = _manage("shell", "-c", script, env={"PLEDGE_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-5:] == [
        "helpdesk.kit.sqlite3",  # Django's, subclassed (helpdesk/kit/sqlite3)
        "filesystem://",
        "helpdesk.kit.broker:Transport",
        "helpdesk.chat.consumers.InMemoryChannelLayer",
        # One web process: sessions read through its own cache.
        "django.contrib.sessions.backends.cached_db",
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
        "print(s.CELERY_BROKER_URL, s.CHANNEL_LAYERS['default']['BACKEND'], s.SESSION_ENGINE)"
    )
    result = _manage(
        "shell",
        "-c",
        script,
        env={"PLEDGE_DATA_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:6379/9"},
    )
    assert result.stdout.split()[-3:] == [
        "redis://127.0.0.1:6379/9",
        "channels_redis.pubsub.RedisPubSubChannelLayer",
        # Processes that may be many: sessions from the database, which every process shares.
        "django.contrib.sessions.backends.db",
    ]
