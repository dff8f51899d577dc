"""Django admin for calendars and plans."""

from django.contrib import admin

from sla.terms.models import Calendar, Holiday, OpeningHours, Plan, ResponseTarget


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
        "name",
        "code",
        "response_calendar",
        "chat_calendar",
        "chat_session_limit",
        "voucher_percent",
        "monthly_cap_percent",
        "termination_threshold",
        "version",
    ]
    list_filter = ["response_calendar", "uses_severity"]
    search_fields = ["name", "code"]
    readonly_fields = ["version"]
    inlines = [ResponseTargetInline]

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)
