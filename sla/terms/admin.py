"""Django admin for calendars and plans."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from sla.terms import checks
from sla.terms.models import Calendar, Holiday, OpeningHours, Plan, ResponseTarget
from sla.terms.services.plans import check_item_targets


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


class PlanAdminForm(forms.ModelForm):
    """The money terms are checked by the same rules as the API's (sla.terms.checks)."""

    class Meta:
        model = Plan
        fields = [
            "code",
            "name",
            "description",
            "response_calendar",
            "uses_severity",
            "chat_calendar",
            "chat_session_limit",
            "voucher_percent",
            "monthly_cap_percent",
            "termination_threshold",
            "claim_window_months",
            "at_risk_percent",
            "compensation",
            "response_penalty",
            "uptime_terms",
            "item_targets",
            "progress_update_every",
        ]

    def _term(self, term: str):
        try:
            return checks.check(term, self.cleaned_data.get(term))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_response_penalty(self):
        return self._term("response_penalty")

    def clean_uptime_terms(self):
        return self._term("uptime_terms")

    def clean(self):
        cleaned = super().clean()
        if "item_targets" in cleaned and cleaned.get("uptime_terms") is not None:
            try:
                cleaned["item_targets"] = check_item_targets(
                    cleaned["item_targets"] or {},
                    uses_severity=bool(cleaned.get("uses_severity")),
                    uptime_terms=cleaned["uptime_terms"],
                )
            except ValidationError as exc:
                self.add_error("item_targets", exc.message_dict["item_targets"])
        penalty = cleaned.get("response_penalty")
        if penalty and penalty["basis"] == "per_miss":
            # voucher_percent is the per-miss percent: the penalty term decides it.
            cleaned["voucher_percent"] = penalty["percent"]
            self.instance.voucher_percent = penalty["percent"]
        return cleaned


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
        "compensation",
        "version",
    ]
    form = PlanAdminForm
    list_filter = ["response_calendar", "uses_severity", "compensation"]
    search_fields = ["name", "code"]
    readonly_fields = ["version"]
    inlines = [ResponseTargetInline]

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)
