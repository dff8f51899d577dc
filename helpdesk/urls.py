"""URL map: pages, the v1 API, its schema and docs, and the Django admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from helpdesk.kit.health import healthz

handler404 = "helpdesk.kit.error_pages.not_found"
handler500 = "helpdesk.kit.error_pages.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("helpdesk.accounts.api.urls")),
    path("api/v1/", include("sla.terms.api.urls")),
    path("api/v1/", include("helpdesk.tickets.api.urls")),
    path("api/v1/", include("helpdesk.chat.api.urls")),
    path("api/v1/", include("sla.clocks.api.urls")),
    path("api/v1/", include("sla.uptime.api.urls")),
    path("api/v1/", include("billing.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("helpdesk.accounts.urls")),
    path("", include("helpdesk.tickets.urls")),
    path("", include("helpdesk.chat.urls")),
    path("", include("sla.clocks.urls")),
    path("", include("sla.uptime.urls")),
    path("", include("billing.urls")),
]
