"""Django admin for exclusion periods, misses and progress-update lapses."""

from django.contrib import admin

from helpdesk.kit.admin import EvidenceAdminMixin
from sla.clocks.models import ExclusionPeriod, Miss, UpdateLapse
from sla.clocks.services.exclusions import exclusion_create, exclusion_update


@admin.register(ExclusionPeriod)
class ExclusionPeriodAdmin(admin.ModelAdmin):
    list_display = ["kind", "starts_at", "ends_at", "account", "provider", "created_by", "cancelled_at"]
    readonly_fields = ["cancelled_at", "cancelled_by", "cancel_reason", "events"]
    list_filter = ["kind", "provider"]
    search_fields = ["note", "provider", "account__name"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["account", "created_by"]

    def save_model(self, request, obj, form, change):
        fields = {
            name: form.cleaned_data.get(name)
            for name in ("kind", "starts_at", "ends_at", "provider", "provider_sla_url", "note", "account")
        }
        if change:
            exclusion_update(period=obj, actor=request.user, **fields)
        else:
            created = exclusion_create(created_by=request.user, **fields)
            obj.pk = created.pk

    def has_delete_permission(self, request, obj=None):
        # Periods are records: cancel one (API or the exclusions page) with a reason instead.
        return False


@admin.register(Miss)
class MissAdmin(EvidenceAdminMixin, admin.ModelAdmin):
    list_display = [
        "ticket",
        "account",
        "priority",
        "deadline",
        "recorded_at",
        "month",
        "counted",
        "excluded_reason",
        "voided_at",
    ]
    list_filter = ["counted", "month", "priority"]
    search_fields = ["ticket__subject", "account__name", "excluded_reason"]
    raw_id_fields = ["ticket", "account", "exclusion_period", "voided_by"]
    date_hierarchy = "deadline"

    def has_add_permission(self, request):
        return False  # misses are recorded by the system only

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(UpdateLapse)
class UpdateLapseAdmin(EvidenceAdminMixin, admin.ModelAdmin):
    list_display = ["ticket", "account", "due_at", "recorded_at", "month"]
    list_filter = ["month"]
    search_fields = ["ticket__subject", "account__name"]
    raw_id_fields = ["ticket", "account"]
    date_hierarchy = "due_at"

    def has_add_permission(self, request):
        return False  # lapses are recorded by the sweep only

    def has_change_permission(self, request, obj=None):
        return False
