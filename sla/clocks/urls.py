"""SLA pages: misses, exclusion periods, the monthly report and its CSV export."""

from django.urls import path

from sla.clocks.views import misses as views

urlpatterns = [
    path("misses/", views.misses, name="misses"),
    path("exclusions/", views.exclusions, name="exclusions"),
    path("exclusions/<int:pk>/cancel/", views.exclusion_cancel_view, name="exclusion_cancel"),
    path("reports/sla/", views.sla_report, name="sla_report"),
    path("reports/sla.csv", views.sla_report_csv, name="sla_report_csv"),
]
