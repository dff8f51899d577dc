"""Django admin for downtime, maintenance and shortfalls (uptime terms are the plan's)."""

from django.contrib import admin

from helpdesk.kit.admin import EvidenceAdminMixin
from sla.uptime.models import Downtime, DowntimeEvent, MaintenanceWindow, UptimeShortfall


class DowntimeEventInline(admin.TabularInline):
    model = DowntimeEvent
    extra = 0
    can_delete = False
    readonly_fields = ["code", "actor", "at", "data"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Downtime)
class DowntimeAdmin(EvidenceAdminMixin, admin.ModelAdmin):
    list_display = ["item", "account", "starts_at", "ends_at", "source", "voided_at"]
    list_filter = ["source"]
    search_fields = ["item__name", "account__name", "note"]
    date_hierarchy = "starts_at"
    inlines = [DowntimeEventInline]
    readonly_fields = [f.name for f in Downtime._meta.fields]

    def has_add_permission(self, request):
        return False  # recorded by the probe or through the incident pages, each edit an event

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    list_display = ["account", "item", "kind", "starts_at", "ends_at", "cancelled_at", "exclusion_period"]
    list_filter = ["kind"]
    search_fields = ["account__name", "item__name", "note"]
    date_hierarchy = "starts_at"

    def has_add_permission(self, request):
        return False  # scheduled through the maintenance page, which tells the customer

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(UptimeShortfall)
class UptimeShortfallAdmin(EvidenceAdminMixin, admin.ModelAdmin):
    list_display = [
        "item",
        "account",
        "month",
        "active",
        "counted",
        "uptime_percent",
        "credit_amount",
        "currency",
        "final",
    ]
    list_filter = ["month", "active", "counted", "final"]
    search_fields = ["item__name", "account__name"]

    def has_add_permission(self, request):
        return False  # written by the month's assessment only

    def has_change_permission(self, request, obj=None):
        return False
