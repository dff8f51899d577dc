"""The scratch database every benchmark runs on, so that none ever touches the one DATABASE_URL names.

Call `scratch_database` before `django.setup()`: it empties `folder`, then points Django at a
fresh PostgreSQL database `name` beside the one named (when DATABASE_URL is PostgreSQL) or a
SQLite file in `folder`, with the data dir, a Celery queue of the benchmark's own and a mail
backend that sends nothing.
"""

import os
import shutil
from pathlib import Path


def scratch_database(name: str, folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        base, _, _ = url.rpartition("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
        os.environ["DATABASE_URL"] = f"{base}/{name}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["PLEDGE_DATA_DIR"] = str(folder)
    os.environ["CELERY_QUEUE"] = name.replace("_", "-")
    os.environ["EMAIL_URL"] = "dummymail://"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
