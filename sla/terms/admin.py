"""Django admin for calendars and plans."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q

from sla.terms import checks
from sla.terms.models import Calendar, Holiday, OpeningHours, Plan, PlanVersion, ResponseTarget
from sla.terms.services.plans import check_item_targets
from sla.terms.services.versions import plan_version_current, plan_version_record, plan_versions_before_edit
from sla.terms.versions import changes_text


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

    def save_model(self, request, obj, form, change):
        if change:
            # The plans counting on this calendar change with it: their terms before the edit.
            plans = list(
                Plan.objects.select_for_update()
                .filter(Q(response_calendar_id=obj.pk) | Q(chat_calendar_id=obj.pk))
                .order_by("pk")
            )
            request.pledge_plans_before = (plans, plan_versions_before_edit(plans))
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        plans, before = getattr(request, "pledge_plans_before", ([], {}))
        for plan in plans:
            plan_version_record(plan=plan, before=before[plan.pk], actor=request.user)


class ResponseTargetInline(admin.TabularInline):
    model = ResponseTarget
    extra = 0


class PlanVersionInline(admin.TabularInline):
    """The plan's change list: each version with who, when and what changed (read only)."""

    model = PlanVersion
    extra = 0
    can_delete = False
    fields = ["version", "created_at", "created_by", "what_changed"]
    readonly_fields = fields
    ordering = ["-version"]
    verbose_name = "version"
    verbose_name_plural = "versions (what changed, who and when)"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="What changed")
    def what_changed(self, version: PlanVersion) -> str:
        return changes_text(version.changes) or "(nothing)"


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
    inlines = [ResponseTargetInline, PlanVersionInline]

    def save_model(self, request, obj, form, change):
        if change:
            locked = Plan.objects.select_for_update().get(pk=obj.pk)
            request.pledge_plan_before = plan_version_current(plan=locked).terms
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # After the targets (an inline) are saved: the version holds them too.
        super().save_related(request, form, formsets, change)
        before = getattr(request, "pledge_plan_before", None) if change else None
        plan_version_record(plan=form.instance, before=before, actor=request.user)
