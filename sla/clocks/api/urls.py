"""Routes of the SLA part of the v1 API (mounted at /api/v1/ beside the other apps' routes)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from sla.clocks.api import views

router = SimpleRouter(use_regex_path=False)
router.register("misses", views.MissViewSet, basename="miss")
router.register("exclusion-periods", views.ExclusionPeriodViewSet, basename="exclusion-period")

app_name = "clocks_api"
urlpatterns = [
    path("reports/sla/", views.SlaReportView.as_view(), name="sla-report"),
    *router.urls,
]
