"""Pledge settings, read from the environment (django-environ).

The embedded default needs no server: SQLite in the data directory and Celery on
kombu's filesystem transport. Setting DATABASE_URL and REDIS_URL switches to
PostgreSQL and Redis (Celery broker and, for live chat, the channel layer).
"""
import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DATA_DIR = Path(env.str("PLEDGE_DATA_DIR", default=str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="pledge-insecure-development-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

SUPPORT_TIME_ZONE = env.str("SUPPORT_TIME_ZONE", default="UTC")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "channels",
    "helpdesk",
    "sla",
    "billing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "helpdesk.middleware.UserTimezoneMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"
ASGI_APPLICATION = "helpdesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "helpdesk.context_processors.pledge",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'pledge.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "helpdesk.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = SUPPORT_TIME_ZONE
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "helpdesk" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True
# Uploaded files never live under a URL: attachments are served by a view that checks access.
MEDIA_ROOT = DATA_DIR / "private"
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Pledge <support@pledge.localhost>")

REDIS_URL = env.str("REDIS_URL", default="")

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport.
CELERY_BROKER_DIR = DATA_DIR / "celery-broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    for sub in ("in", "processed", "control"):
        (CELERY_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT = "helpdesk.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "in"),
        "data_folder_out": str(CELERY_BROKER_DIR / "in"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
        # The transport sleeps this long when its folder is empty; a second would delay every sweep.
        "polling_interval": 0.1,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="pledge")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {}

CHANNEL_LAYERS = {
    "default": (
        {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
        if REDIS_URL
        else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    )
}

REST_FRAMEWORK = {
    # Token first: DRF takes its WWW-Authenticate challenge from the first class, so an
    # anonymous request gets the contract's 401 rather than 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_RATES": {"auth-token": env.str("AUTH_TOKEN_THROTTLE", default="10/min")},
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pledge API",
    "DESCRIPTION": "Tickets, promised deadlines, misses, claims, vouchers and invoices.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# Production hardening: on whenever DEBUG is off (`manage.py check --deploy` passes).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
REST_FRAMEWORK["EXCEPTION_HANDLER"] = "helpdesk.api.exceptions.exception_handler"

# SLA timers: a sweep every second, on its own queue, records every overdue clock.
SLA_SWEEP_SECONDS = env.float("SLA_SWEEP_SECONDS", default=1.0)
CELERY_TIMERS_QUEUE = f"{CELERY_TASK_DEFAULT_QUEUE}-timers"
CELERY_TASK_ROUTES = {"sla.tasks.sweep": {"queue": CELERY_TIMERS_QUEUE}}
CELERY_BEAT_SCHEDULE = {
    "sla-sweep": {
        "task": "sla.tasks.sweep",
        "schedule": SLA_SWEEP_SECONDS,
        # A sweep nobody ran in time is useless: the next one does its work.
        "options": {"expires": max(5.0, SLA_SWEEP_SECONDS * 5)},
    },
}
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
SLA_COUNT_LISTENERS: list[str] = ["billing.services.months.counted_misses_changed"]

# --- Live chat ---------------------------------------------------------------------------
# How long a request waits for an engineer before the customer is offered a ticket, how many
# chats one engineer runs at once, and when both sides are warned before the session limit.
CHAT_WAIT_SECONDS = env.int("CHAT_WAIT_SECONDS", default=300)
CHAT_ENGINEER_LIMIT = env.int("CHAT_ENGINEER_LIMIT", default=3)
CHAT_WARNING_SECONDS = env.int("CHAT_WARNING_SECONDS", default=120)
# Threads for the chat sockets' database calls. SQLite takes one writer at a time and writers
# that collide sleep in its busy handler, so there one thread queues them without sleeping.
# A server database's thread spends most of a call waiting for its answers, so more of them
# overlap: with 2, 200 chats on a machine whose CPUs others kept busy queued posts behind each
# other for seconds and never caught up; with 8 they did (one connection each).
CHAT_DATABASE_THREADS = env.int(
    "CHAT_DATABASE_THREADS", default=1 if DATABASES["default"]["ENGINE"].endswith("sqlite3") else 8
)
# The chat sweep ends what is overdue (limits, unanswered requests), on the timers queue.
CHAT_SWEEP_SECONDS = env.float("CHAT_SWEEP_SECONDS", default=SLA_SWEEP_SECONDS)
CELERY_TASK_ROUTES["helpdesk.chat_tasks.chat_sweep"] = {"queue": CELERY_TIMERS_QUEUE}
CELERY_BEAT_SCHEDULE["chat-sweep"] = {
    "task": "helpdesk.chat_tasks.chat_sweep",
    "schedule": CHAT_SWEEP_SECONDS,
    "options": {"expires": max(5.0, CHAT_SWEEP_SECONDS * 5)},
}
# The channel layer, as live chat uses it. With Redis, pub/sub: a push is one PUBLISH and
# reaches each server's sockets without a round trip per socket; it keeps nothing for a socket
# that is away, which costs nothing here, as messages are stored first and every socket reads
# back what it missed. redis-py 8's pool refuses (not waits) past 100 connections and its 5 s
# read timeout cuts the layer's own waits, so both are set. Without Redis, an in-memory layer
# whose upkeep does not grow with every open socket (helpdesk.consumers).
CHANNEL_LAYERS["default"] = (
    {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [{
            "address": REDIS_URL,
            "max_connections": env.int("CHAT_REDIS_MAX_CONNECTIONS", default=2000),
            "socket_timeout": 30,
        }]},
    }
    if REDIS_URL
    else {"BACKEND": "helpdesk.consumers.InMemoryChannelLayer"}
)

# Billing: close the previous month (support time zone) into invoices. Hourly, because the 1st
# in UTC may still be the last day of the month in the support zone; an idle run costs a query.
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE["billing-close-month"] = {
    "task": "billing.tasks.close_previous_month",
    "schedule": crontab(minute=5),
}
# Names of choice sets in the OpenAPI schema. Chat's "status" and "kind" share their field names
# with tickets' and exclusion periods', so every set so named needs a name of its own; the ticket
# and exclusion sets keep the names they had before chat ("StatusEnum", "KindEnum").
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update({
    "StatusEnum": "helpdesk.models.core.TicketStatus",
    "KindEnum": "sla.models.ExclusionKind",
    "ChatStatusEnum": "helpdesk.models.chats.ChatStatus",
    "ChatKindEnum": "helpdesk.models.chats.ChatKind",
    "ChatEndReasonEnum": "helpdesk.models.chats.ChatEndReason",
    "ChatMessageKindEnum": "helpdesk.models.chats.ChatMessageKind",
})

# --- Uptime (seed 004) ---------------------------------------------------------------------
# Priority levels of monitored items and the uptime each guarantees (percent, as text: Decimal).
UPTIME_DEFAULT_GUARANTEE = env.str("UPTIME_DEFAULT_GUARANTEE", default="99.9")
UPTIME_LEVELS = {"critical": "99.95", "high": UPTIME_DEFAULT_GUARANTEE, "standard": "99.5"}
UPTIME_DEFAULT_LEVEL = "high"
# Credit terms of plans without their own sla.UptimeTerms row: marginal tiers of percent of the
# monthly fee per started hour beyond the permitted downtime, capped at 50% of the fee; the cap is
# the uptime penalties' own (seed 004), and a month below guarantee counts toward termination.
UPTIME_CREDIT_TIERS = [
    {"up_to_hours": 4, "percent_per_hour": "5"},
    {"up_to_hours": 8, "percent_per_hour": "7.5"},
    {"up_to_hours": None, "percent_per_hour": "10"},
]
UPTIME_CREDIT_CAP_PERCENT = "50"
UPTIME_SHARES_VOUCHER_CAP = False
UPTIME_COUNTS_TOWARD_TERMINATION = True
# Dotted path to a callable(account_id, month) -> Decimal: the response-time vouchers a month has
# issued, for terms that share the month's cap. Empty: none are known. Billing provides it.
UPTIME_VOUCHERS_ISSUED_READER = env.str(
    "UPTIME_VOUCHERS_ISSUED_READER", default="billing.selectors.response_time_vouchers_issued"
)
# The probe: every item once a minute, each check bounded, a bounded number at once.
UPTIME_PROBE_SECONDS = env.float("UPTIME_PROBE_SECONDS", default=60.0)
UPTIME_PROBE_TIMEOUT = env.float("UPTIME_PROBE_TIMEOUT", default=5.0)
UPTIME_PROBE_CONCURRENCY = env.int("UPTIME_PROBE_CONCURRENCY", default=200)
UPTIME_PROBE_ROUND_SECONDS = env.float("UPTIME_PROBE_ROUND_SECONDS", default=UPTIME_PROBE_SECONDS * 0.75)
UPTIME_FAILURES_TO_OPEN = env.int("UPTIME_FAILURES_TO_OPEN", default=2)
# Where probes may go. In development and tests only this machine's loopback; otherwise (an empty
# list) only public unicast addresses, never private, link-local or metadata ones.
import sys  # noqa: E402

from celery.schedules import crontab  # noqa: E402

UPTIME_PROBE_ALLOWED_NETWORKS = env.list(
    "UPTIME_PROBE_ALLOWED_NETWORKS",
    default=["127.0.0.0/8", "::1/128"] if DEBUG or "pytest" in sys.modules else [],
)
CELERY_BEAT_SCHEDULE["uptime-probe"] = {
    "task": "sla.uptime_tasks.probe_round",
    "schedule": UPTIME_PROBE_SECONDS,
    # A round nobody ran in time is skipped: the next one probes everything anyway.
    "options": {"expires": max(5.0, UPTIME_PROBE_SECONDS * 0.9)},
}
CELERY_BEAT_SCHEDULE["uptime-assess"] = {
    "task": "sla.uptime_tasks.assess_recent_months",
    "schedule": crontab(minute=20),
}
# Names of uptime's choice sets in the OpenAPI schema ("kind", "state" and "source" are shared names).
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update({
    "MaintenanceKindEnum": "sla.models.uptime.MaintenanceKind",
    "ProbeKindEnum": "sla.models.uptime.ProbeKind",
    "ItemStateEnum": "sla.models.uptime.ItemState",
    "DowntimeSourceEnum": "sla.models.uptime.DowntimeSource",
})
