"""Routes of the uptime API (mounted at /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from sla.uptime.api import views

router = SimpleRouter(use_regex_path=False)
router.register("uptime/items", views.MonitoredItemViewSet, basename="uptime-item")
router.register("uptime/downtimes", views.DowntimeViewSet, basename="uptime-downtime")
router.register(
    "uptime/maintenance-windows", views.MaintenanceWindowViewSet, basename="uptime-maintenance-window"
)
router.register("uptime/shortfalls", views.UptimeShortfallViewSet, basename="uptime-shortfall")

app_name = "uptime_api"
urlpatterns = [
    path("uptime/months/<str:month>/", views.MonthUptimeView.as_view(), name="uptime-month"),
    path(
        "uptime/items/<int:pk>/months/<str:month>/",
        views.ItemMonthView.as_view(),
        name="uptime-item-month",
    ),
    *router.urls,
]
