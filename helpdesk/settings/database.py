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
    # WAL and a busy timeout let the web server, worker and beat share one file.
    # Writers take the lock when their transaction begins and wait for it, never failing halfway.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
    # A file, not memory, so a Celery worker started by the tests sees the same test database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
