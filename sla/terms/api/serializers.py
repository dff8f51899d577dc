"""API shapes of calendars and plans."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from helpdesk.kit.api import HourMinuteField
from sla.terms.models import (
    MAX_PROGRESS_UPDATE_SECONDS,
    MAX_TARGET_SECONDS,
    Calendar,
    Compensation,
    Plan,
    PlanVersion,
)
from sla.terms.services.calendars import MAX_HOLIDAYS, MAX_SHIFTS
from sla.terms.services.plans import (
    MAX_CHAT_SESSION_SECONDS,
    MAX_CLAIM_WINDOW_MONTHS,
    MAX_TERMINATION_THRESHOLD,
)

# --- calendars --------------------------------------------------------------------------


class OpeningHoursSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday … 6 = Sunday")
    start = HourMinuteField(help_text="HH:MM")
    end = HourMinuteField(help_text="HH:MM; at or before start runs overnight into the next day")


class CalendarSerializer(serializers.ModelSerializer):
    hours = OpeningHoursSerializer(many=True, read_only=True)
    holidays = serializers.SlugRelatedField(slug_field="date", many=True, read_only=True)

    class Meta:
        model = Calendar
        fields = ["id", "name", "timezone", "hours", "holidays", "holidays_country", "holidays_subdiv"]
        read_only_fields = fields


class CalendarInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    timezone = serializers.CharField(max_length=64, default="UTC", help_text="IANA time zone")
    hours = OpeningHoursSerializer(
        many=True,
        default=list,
        max_length=MAX_SHIFTS,
        help_text="Weekly opening hours; an empty list means open 24x7.",
    )
    holidays = serializers.ListField(
        child=serializers.DateField(),
        default=list,
        max_length=MAX_HOLIDAYS,
        help_text="YYYY-MM-DD, years 2000–2100",
    )
    holidays_country = serializers.CharField(
        max_length=3,
        allow_blank=True,
        default="",
        help_text='Public holidays of this country join the dates, e.g. "US" (holidays package codes).',
    )
    holidays_subdiv = serializers.CharField(
        max_length=10, allow_blank=True, default="", help_text='A subdivision of the country, e.g. "NY".'
    )


# --- plans ------------------------------------------------------------------------------


class PlanSerializer(serializers.ModelSerializer):
    response_targets = serializers.SerializerMethodField(
        help_text='Seconds until Work Started by "priority" or "priority:severity".'
    )

    class Meta:
        model = Plan
        fields = [
            "id",
            "code",
            "name",
            "description",
            "response_calendar",
            "uses_severity",
            "response_targets",
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
            "version",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(child=serializers.IntegerField()))
    def get_response_targets(self, plan: Plan) -> dict[str, int]:
        return {
            (f"{t.priority}:{t.severity}" if t.severity else t.priority): t.seconds
            for t in plan.response_targets.all()
        }


class PlanInputSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=40)
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(
        max_length=4000,
        allow_blank=True,
        required=False,
        help_text="What the plan is, and which figures are defaults still to agree with the client.",
    )
    response_calendar = serializers.PrimaryKeyRelatedField(
        queryset=Calendar.objects.all(),
        allow_null=True,
        default=None,
        help_text="Calendar the Work Started clock counts on; null means 24x7.",
    )
    uses_severity = serializers.BooleanField(default=False)
    response_targets = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_TARGET_SECONDS),
        help_text='Seconds by "general" and "high" (both required), plus "priority:severity" '
        "keys when the plan uses severity.",
    )
    chat_calendar = serializers.PrimaryKeyRelatedField(
        queryset=Calendar.objects.all(),
        allow_null=True,
        default=None,
        help_text="Live-chat hours; null means no live chat.",
    )
    chat_session_limit = serializers.IntegerField(
        min_value=1,
        max_value=MAX_CHAT_SESSION_SECONDS,
        allow_null=True,
        default=None,
        help_text="Seconds; null means unlimited.",
    )
    voucher_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
        help_text="The per-miss percent: the same as a per_miss response_penalty (either sets the other).",
    )
    monthly_cap_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, default=Decimal("100.00")
    )
    termination_threshold = serializers.IntegerField(
        min_value=0,
        max_value=MAX_TERMINATION_THRESHOLD,
        default=5,
        allow_null=True,
        help_text="null: no termination right.",
    )
    claim_window_months = serializers.IntegerField(
        min_value=0,
        max_value=MAX_CLAIM_WINDOW_MONTHS,
        default=1,
        allow_null=True,
        help_text="null: no deadline.",
    )
    at_risk_percent = serializers.IntegerField(min_value=1, max_value=100, default=80)
    # --- money terms (issue 12): their rules are checked by the service (sla.terms.checks)
    compensation = serializers.ChoiceField(choices=Compensation.choices, default=Compensation.CLAIM)
    response_penalty = serializers.JSONField(
        required=False,
        help_text='{"basis": "per_miss", "percent": "5.00"} or {"basis": "hours_late", "tiers": [...]}',
    )
    uptime_terms = serializers.JSONField(
        required=False,
        help_text="{levels, default_level, credit_tiers, cap_percent, shares_voucher_cap, "
        "counts_toward_termination, excluded_kinds}",
    )
    item_targets = serializers.JSONField(
        required=False,
        help_text='Seconds by "level:severity" (a level of uptime_terms), on a plan that uses severity: '
        "a ticket naming a covered item takes the item's level, one naming none the default level.",
    )
    # --- progress reports (seed 004)
    progress_update_every = serializers.IntegerField(
        min_value=1,
        max_value=MAX_PROGRESS_UPDATE_SECONDS,
        allow_null=True,
        default=None,
        help_text="Working seconds between public staff updates once work has started; null: none.",
    )


# --- plan versions ----------------------------------------------------------------------


class PlanChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class PlanVersionSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="Who made the edit; null: recorded by the system."
    )
    changes = PlanChangeSerializer(
        many=True, read_only=True, help_text="What differs from the version before."
    )
    terms = serializers.JSONField(read_only=True, help_text="Every term of this version, as it was.")

    class Meta:
        model = PlanVersion
        fields = ["version", "created_at", "created_by", "changes", "terms"]
        read_only_fields = fields
