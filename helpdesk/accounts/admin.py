"""Django admin for accounts, users and their covered (monitored) items."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from helpdesk.accounts.models import Account, MonitoredItem, User


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "plan", "monthly_fee", "currency", "is_active", "created_at"]
    list_filter = ["plan", "currency", "is_active"]
    search_fields = ["name"]
    list_select_related = ["plan"]
    readonly_fields = ["plan_version"]
    fields = [
        "name",
        "plan",
        "plan_version",
        "monthly_fee",
        "currency",
        "is_active",
        "started_on",
        "billing_address",
        "tax_id",
    ]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "role", "account", "is_active", "last_login"]
    list_filter = ["role", "is_active", "is_superuser", "account__plan"]
    search_fields = ["username", "email", "first_name", "last_name", "account__name"]
    list_select_related = ["account"]
    fieldsets = DjangoUserAdmin.fieldsets + (("Pledge", {"fields": ("role", "account", "timezone")}),)
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (("Pledge", {"fields": ("role", "account", "email")}),)


@admin.register(MonitoredItem)
class MonitoredItemAdmin(admin.ModelAdmin):
    """Read-mostly: items change through sla.uptime.services (the API and the pages), which validate
    probe targets against the allowed networks and take the guarantee from the level."""

    list_display = ["name", "account", "level", "guarantee_percent", "probe_kind", "state", "last_probed_at"]
    list_filter = ["state", "probe_kind", "level", "is_active"]
    search_fields = ["name", "account__name", "probe_url", "probe_host"]
    raw_id_fields = ["account", "created_by"]
    readonly_fields = [f.name for f in MonitoredItem._meta.fields]

    def has_add_permission(self, request):
        return False
