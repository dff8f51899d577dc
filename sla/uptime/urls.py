"""Uptime pages: the status overview, an item, incidents, maintenance and months."""

from django.urls import path

from sla.uptime.views import incidents, maintenance, months, status

urlpatterns = [
    path("uptime/", status.uptime_overview, name="uptime"),
    path("uptime/items/<int:pk>/", status.uptime_item, name="uptime_item"),
    path("uptime/incidents/", incidents.uptime_incidents, name="uptime_incidents"),
    path("uptime/incidents/<int:pk>/", incidents.uptime_incident, name="uptime_incident"),
    path("uptime/maintenance/", maintenance.uptime_maintenance, name="uptime_maintenance"),
    path(
        "uptime/maintenance/<int:pk>/cancel/",
        maintenance.uptime_maintenance_cancel,
        name="uptime_maintenance_cancel",
    ),
    path("uptime/months/", months.uptime_months, name="uptime_months"),
]
