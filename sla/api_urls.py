"""Routes of the SLA part of the v1 API (mounted at /api/v1/ after helpdesk.api.urls)."""
from django.urls import path
from rest_framework.routers import SimpleRouter

from sla import api

router = SimpleRouter(use_regex_path=False)
router.register("misses", api.MissViewSet, basename="miss")
router.register("exclusion-periods", api.ExclusionPeriodViewSet, basename="exclusion-period")

app_name = "sla_api"
urlpatterns = [
    path("reports/sla/", api.SlaReportView.as_view(), name="sla-report"),
    *router.urls,
]
