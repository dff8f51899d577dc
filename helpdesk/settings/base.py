"""Django itself: apps, middleware, templates, auth, time zone, static and uploaded files, logging."""

from csp.constants import NONE, SELF

from helpdesk.settings.env import BASE_DIR, DATA_DIR, DEBUG, REDIS_URL, env

__all__ = [
    "QUEUE_COUNTERS_SECONDS",
    "BASE_DIR",
    "DATA_DIR",
    "DEBUG",
    "REDIS_URL",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SUPPORT_TIME_ZONE",
    "INSTALLED_APPS",
    "MIDDLEWARE",
    "ROOT_URLCONF",
    "WSGI_APPLICATION",
    "ASGI_APPLICATION",
    "TEMPLATES",
    "DEFAULT_AUTO_FIELD",
    "AUTH_USER_MODEL",
    "LOGIN_URL",
    "LOGIN_REDIRECT_URL",
    "LOGOUT_REDIRECT_URL",
    "AUTH_PASSWORD_VALIDATORS",
    "LANGUAGE_CODE",
    "TIME_ZONE",
    "USE_I18N",
    "USE_TZ",
    "STATIC_URL",
    "STATIC_ROOT",
    "STATICFILES_DIRS",
    "STORAGES",
    "WHITENOISE_USE_FINDERS",
    "MEDIA_ROOT",
    "ATTACHMENT_MAX_BYTES",
    "DATA_UPLOAD_MAX_MEMORY_SIZE",
    "FILE_UPLOAD_MAX_MEMORY_SIZE",
    "REQUEST_BODY_MAX_BYTES",
    "LOGGING",
    "SITE_URL",
    "CONTENT_SECURITY_POLICY",
    "METRICS_TOKEN",
]

SECRET_KEY = env.str("SECRET_KEY", default="pledge-insecure-development-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Deadlines, months and chat hours are read in this zone.
SUPPORT_TIME_ZONE = env.str("SUPPORT_TIME_ZONE", default="UTC")

INSTALLED_APPS = [
    # Django's admin on Pledge's site (two-factor sign-in for staff who turned it on).
    "helpdesk.accounts.admin_apps.PledgeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "health_check",
    "django_prometheus",
    "channels",
    # Pledge, from the lowest floor up (see the README's "How Pledge is built").
    "sla.terms",
    "helpdesk.accounts",
    "helpdesk.tickets",
    "helpdesk.chat",
    "helpdesk.mailbox",
    "sla.clocks",
    "sla.uptime",
    "billing",
    "helpdesk",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the body: a request over REQUEST_BODY_MAX_BYTES is a 413.
    "helpdesk.kit.limits.RequestBodyLimitMiddleware",
    # Uploads named "." or ".." are kept under a safe name on pages too, as in the API.
    "helpdesk.kit.limits.KeepingUploadsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed a TOTP device's code.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "helpdesk.kit.middleware.UserTimezoneMiddleware",
    "helpdesk.kit.error_pages.PledgeErrorPagesMiddleware",
    # Last: turns a login that django-axes refused into the lockout answer.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
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
                "helpdesk.kit.context_processors.pledge",
            ],
        },
    },
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
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
# The largest request body: a message's ten attachments (MAX_FILES_PER_MESSAGE) at their largest,
# plus a margin for the form's text and the multipart framing. Anything larger is refused with
# 413 before it is read (helpdesk.kit.limits, around the ASGI app and as middleware).
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", default=ATTACHMENT_MAX_BYTES * 10 + 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"quiet_client_errors": {"()": "helpdesk.kit.error_pages.QuietClientErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["quiet_client_errors"]},
    },
}

# No inline script or style anywhere: scripts and styles come from our static files (Swagger UI and
# ReDoc from drf-spectacular-sidecar), WebSockets go to this origin, and nothing may frame a page.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# /metrics (helpdesk.metrics): loopback only, or a scraper sending this bearer token.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# --- workspace (issue 14): how long the queue's header counters are reused (the page polls them).
QUEUE_COUNTERS_SECONDS = env.int("QUEUE_COUNTERS_SECONDS", default=5)
