"""The environment every settings module reads, and the paths they share."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Where Pledge keeps its files (SQLite, the embedded broker, uploads): created by the project
# app when Django starts (helpdesk.apps), never by reading settings.
DATA_DIR = Path(env.str("PLEDGE_DATA_DIR", default=str(BASE_DIR / "var")))
DEBUG = env.bool("DEBUG", default=False)
REDIS_URL = env.str("REDIS_URL", default="")
