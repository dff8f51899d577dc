"""URL map: pages, the v1 API, its schema and docs, and the Django admin."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from health_check.checks import Database
from health_check.contrib.redis import Redis
from health_check.views import HealthCheckView
from redis.asyncio import Redis as RedisClient

from helpdesk.metrics import metrics
from sla.clocks.health import RecentSweep


def _health_checks() -> list:
    """/healthz: this web process answers, the database answers, Redis answers (when Pledge uses it),
    and the miss sweep ran recently (so the timers worker and beat are alive)."""
    checks: list = [Database, RecentSweep]
    if settings.REDIS_URL:
        checks.append((Redis, {"client_factory": lambda: RedisClient.from_url(settings.REDIS_URL)}))
    return checks


handler404 = "helpdesk.kit.error_pages.not_found"
handler500 = "helpdesk.kit.error_pages.server_error"

urlpatterns = [
    path("metrics", metrics, name="metrics"),
    path("healthz", HealthCheckView.as_view(checks=_health_checks()), name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("helpdesk.accounts.api.urls")),
    path("api/v1/", include("sla.terms.api.urls")),
    path("api/v1/", include("helpdesk.tickets.api.urls")),
    path("api/v1/", include("helpdesk.chat.api.urls")),
    path("api/v1/", include("sla.clocks.api.urls")),
    path("api/v1/", include("sla.uptime.api.urls")),
    path("api/v1/", include("billing.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file of its own (no inline script).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # ReDoc writes its styles into <style> elements at run time: allowed on this page only.
    path(
        "api/redoc/",
        csp_update({"style-src": [SELF, UNSAFE_INLINE]})(SpectacularRedocView.as_view(url_name="api-schema")),
        name="api-redoc",
    ),
    path("", include("helpdesk.accounts.urls")),
    path("", include("helpdesk.tickets.urls")),
    path("", include("helpdesk.chat.urls")),
    path("", include("sla.clocks.urls")),
    path("", include("sla.uptime.urls")),
    path("", include("billing.urls")),
]
