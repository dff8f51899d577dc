"""Django admin for plans and calendars."""
from django.contrib import admin

from sla.models import Calendar, ExclusionPeriod, Holiday, Miss, OpeningHours, Plan, ResponseTarget


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "timezone", "updated_at"]
    search_fields = ["name"]
    list_filter = ["timezone"]
    inlines = [OpeningHoursInline, HolidayInline]


class ResponseTargetInline(admin.TabularInline):
    model = ResponseTarget
    extra = 0


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "name", "code", "response_calendar", "chat_calendar", "chat_session_limit",
        "voucher_percent", "monthly_cap_percent", "termination_threshold", "version",
    ]
    list_filter = ["response_calendar", "uses_severity"]
    search_fields = ["name", "code"]
    readonly_fields = ["version"]
    inlines = [ResponseTargetInline]

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)


@admin.register(ExclusionPeriod)
class ExclusionPeriodAdmin(admin.ModelAdmin):
    list_display = ["kind", "starts_at", "ends_at", "account", "provider", "created_by"]
    list_filter = ["kind", "provider"]
    search_fields = ["note", "provider", "account__name"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["account", "created_by"]

    def save_model(self, request, obj, form, change):
        from sla.services.exclusions import exclusion_create, exclusion_update

        fields = {name: form.cleaned_data.get(name) for name in (
            "kind", "starts_at", "ends_at", "provider", "provider_sla_url", "note", "account"
        )}
        if change:
            exclusion_update(period=obj, actor=request.user, **fields)
        else:
            created = exclusion_create(created_by=request.user, **fields)
            obj.pk = created.pk

    def delete_model(self, request, obj):
        from sla.services.exclusions import exclusion_delete

        exclusion_delete(period=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for period in queryset:
            self.delete_model(request, period)


@admin.register(Miss)
class MissAdmin(admin.ModelAdmin):
    list_display = [
        "ticket", "account", "priority", "deadline", "recorded_at", "month", "counted",
        "excluded_reason", "voided_at",
    ]
    list_filter = ["counted", "month", "priority"]
    search_fields = ["ticket__subject", "account__name", "excluded_reason"]
    raw_id_fields = ["ticket", "account", "exclusion_period", "voided_by"]
    date_hierarchy = "deadline"

    def has_add_permission(self, request):
        return False  # misses are recorded by the system only

    def has_change_permission(self, request, obj=None):
        return False


# --- uptime ------------------------------------------------------------------------------------

from django import forms  # noqa: E402

from sla.models import (  # noqa: E402
    Downtime,
    DowntimeEvent,
    MaintenanceWindow,
    MonitoredItem,
    UptimeShortfall,
    UptimeTerms,
)
from sla.uptime import parse_tiers, tiers_as_json  # noqa: E402


@admin.register(MonitoredItem)
class MonitoredItemAdmin(admin.ModelAdmin):
    """Read-mostly: items change through sla.services.uptime (the API and the pages), which validate
    probe targets against the allowed networks and take the guarantee from the level."""

    list_display = ["name", "account", "level", "guarantee_percent", "probe_kind", "state", "last_probed_at"]
    list_filter = ["state", "probe_kind", "level", "is_active"]
    search_fields = ["name", "account__name", "probe_url", "probe_host"]
    raw_id_fields = ["account", "created_by"]
    readonly_fields = [f.name for f in MonitoredItem._meta.fields]

    def has_add_permission(self, request):
        return False


class DowntimeEventInline(admin.TabularInline):
    model = DowntimeEvent
    extra = 0
    can_delete = False
    readonly_fields = ["code", "actor", "at", "data"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Downtime)
class DowntimeAdmin(admin.ModelAdmin):
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


class UptimeTermsForm(forms.ModelForm):
    class Meta:
        model = UptimeTerms
        fields = ["plan", "credit_tiers", "cap_percent", "shares_voucher_cap", "counts_toward_termination"]

    def clean_credit_tiers(self):
        try:
            return tiers_as_json(parse_tiers(self.cleaned_data["credit_tiers"]))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


@admin.register(UptimeTerms)
class UptimeTermsAdmin(admin.ModelAdmin):
    """A plan's sliding scale and cap; they apply when a month is next assessed (shortfalls keep theirs)."""

    form = UptimeTermsForm
    list_display = ["plan", "cap_percent", "shares_voucher_cap", "counts_toward_termination", "updated_at"]


@admin.register(UptimeShortfall)
class UptimeShortfallAdmin(admin.ModelAdmin):
    list_display = [
        "item", "account", "month", "active", "counted", "uptime_percent", "credit_amount", "currency",
        "final",
    ]
    list_filter = ["month", "active", "counted", "final"]
    search_fields = ["item__name", "account__name"]

    def has_add_permission(self, request):
        return False  # written by the month's assessment only

    def has_change_permission(self, request, obj=None):
        return False
