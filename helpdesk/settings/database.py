"""The database: SQLite under the data directory by default, DATABASE_URL otherwise."""

import os

from helpdesk.settings.env import DATA_DIR, env

__all__ = ["DATABASES", "SQLITE"]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'pledge.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
if SQLITE:
    # Django's SQLite backend with a leaner date-time converter (helpdesk/kit/sqlite3).
    DATABASES["default"]["ENGINE"] = "helpdesk.kit.sqlite3"
    # WAL and a busy timeout let the web server, worker and beat share one file.
    # Writers take the lock when their transaction begins and wait for it, never failing halfway.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
    # A file, not memory, so a Celery worker started by the tests sees the same test database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    # Connections are bounded by design. Under ASGI every request may run on a thread of its own,
    # and a persistent connection (CONN_MAX_AGE > 0) stays behind with each of those threads until
    # the server runs out (measured: 20 clients for 60 s exhausted 100 connections). So a
    # connection lives for one request or task, or is borrowed from psycopg's pool of at most
    # DATABASE_POOL_SIZE per process (the web server in production; see the README's sizing).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASE_POOL_SIZE = env.int("DATABASE_POOL_SIZE", default=0)
    if DATABASE_POOL_SIZE:
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(2, DATABASE_POOL_SIZE),
            "max_size": DATABASE_POOL_SIZE,
            # A request waits this long for a free connection, then fails rather than piling up.
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
        }
