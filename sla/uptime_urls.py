"""Routes of uptime: the v1 API (`api_urlpatterns`, mounted at /api/v1/) and the pages (`urlpatterns`)."""
from django.urls import path
from rest_framework.routers import SimpleRouter

from sla import uptime_api, uptime_views

router = SimpleRouter(use_regex_path=False)
router.register("uptime/items", uptime_api.MonitoredItemViewSet, basename="uptime-item")
router.register("uptime/downtimes", uptime_api.DowntimeViewSet, basename="uptime-downtime")
router.register(
    "uptime/maintenance-windows", uptime_api.MaintenanceWindowViewSet, basename="uptime-maintenance-window"
)
router.register("uptime/shortfalls", uptime_api.UptimeShortfallViewSet, basename="uptime-shortfall")

api_urlpatterns = [
    path("uptime/months/<str:month>/", uptime_api.MonthUptimeView.as_view(), name="uptime-month"),
    path(
        "uptime/items/<int:pk>/months/<str:month>/", uptime_api.ItemMonthView.as_view(),
        name="uptime-item-month",
    ),
    *router.urls,
]

urlpatterns = [
    path("uptime/", uptime_views.uptime_overview, name="uptime"),
    path("uptime/items/<int:pk>/", uptime_views.uptime_item, name="uptime_item"),
    path("uptime/incidents/", uptime_views.uptime_incidents, name="uptime_incidents"),
    path("uptime/incidents/<int:pk>/", uptime_views.uptime_incident, name="uptime_incident"),
    path("uptime/maintenance/", uptime_views.uptime_maintenance, name="uptime_maintenance"),
    path(
        "uptime/maintenance/<int:pk>/cancel/", uptime_views.uptime_maintenance_cancel,
        name="uptime_maintenance_cancel",
    ),
    path("uptime/months/", uptime_views.uptime_months, name="uptime_months"),
]
