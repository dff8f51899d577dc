"""Production hardening: on whenever DEBUG is off (`manage.py check --deploy` passes)."""

from helpdesk.settings.env import DEBUG, REDIS_URL, env
from helpdesk.settings.logins import TRUSTED_PROXY_COUNT

# X-Forwarded-Proto is a header any client can send: believed only behind a proxy we were told of,
# which must set (not pass on) it.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT > 0 else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# The embedded default runs one web process (its channel layer lives in that process's memory
# too), so sessions are read through that process's cache and the database is read once per
# session. With REDIS_URL, where more processes may serve pages, they are read from the database
# on every request: a cache of one process would keep a signed-out session alive in the others.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.db" if REDIS_URL else "django.contrib.sessions.backends.cached_db"
)
SECURE_SSL_REDIRECT = False
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
