"""URL map: pages, the v1 API, its schema and docs, and the Django admin."""
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from helpdesk.health import healthz
from sla import uptime_urls

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("helpdesk.api.urls")),
    path("api/v1/", include("helpdesk.api.chat_urls")),
    path("api/v1/", include("sla.api_urls")),
    path("api/v1/", include((uptime_urls.api_urlpatterns, "uptime_api"))),
    path("api/v1/", include("billing.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("helpdesk.views.urls")),
    path("", include("helpdesk.views.chat_urls")),
    path("", include("sla.urls")),
    path("", include(uptime_urls.urlpatterns)),
    path("", include("billing.urls")),
]
