"""Pledge's settings, read from the environment (django-environ), one module per concern.

The embedded default needs no server: SQLite in the data directory and Celery on kombu's
filesystem transport. DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis (Celery's
broker and live chat's channel layer). Tests use `helpdesk.settings.test`.
"""

from helpdesk.settings.api import *  # noqa: F403
from helpdesk.settings.base import *  # noqa: F403
from helpdesk.settings.billing import *  # noqa: F403
from helpdesk.settings.celery import *  # noqa: F403
from helpdesk.settings.channels import *  # noqa: F403
from helpdesk.settings.database import *  # noqa: F403
from helpdesk.settings.logins import *  # noqa: F403
from helpdesk.settings.mail import *  # noqa: F403
from helpdesk.settings.security import *  # noqa: F403
from helpdesk.settings.uptime import *  # noqa: F403
