"""API shapes of misses, exclusion periods and the SLA report."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from helpdesk.accounts.models import Account
from helpdesk.kit.api import MONTH_HELP, AwareDateTimeField, BlankAsNullCharField, MonthField
from helpdesk.kit.fastlist import FastListSerializer
from sla.clocks.models import ExclusionKind, ExclusionPeriod, Miss

# --- misses ----------------------------------------------------------------------------------


class TouchingPeriodSerializer(serializers.ModelSerializer):
    """An exclusion period as the customer whose clock it paused sees it."""

    class Meta:
        model = ExclusionPeriod
        fields = ["id", "kind", "starts_at", "ends_at", "provider", "note", "cancelled_at"]
        read_only_fields = fields


class MissSerializer(serializers.ModelSerializer):
    ticket = serializers.IntegerField(source="ticket_id", read_only=True)
    account = serializers.IntegerField(source="account_id", read_only=True)
    excluded_reason = BlankAsNullCharField(
        read_only=True, help_text="Why the miss is not counted; null when it is counted."
    )
    lateness_seconds = serializers.SerializerMethodField(
        help_text="Working seconds from the deadline (extended by exclusion periods) to the response; "
        "while no response has come, wall-clock seconds so far."
    )
    excused_seconds = serializers.IntegerField(
        read_only=True, help_text="Clock time paused by exclusion periods, seconds."
    )
    exclusion_period = serializers.IntegerField(
        source="exclusion_period_id", read_only=True, allow_null=True, help_text="The period that excuses it."
    )
    exclusion_periods = TouchingPeriodSerializer(
        source="touching_periods",
        many=True,
        read_only=True,
        help_text="Exclusion periods (cancelled ones too) that overlapped this miss's clock.",
    )
    voided = serializers.BooleanField(read_only=True, help_text="Voided by a downgrade (misclassified).")
    voided_by = serializers.SerializerMethodField(help_text="Who voided it (display name), or null.")
    void_reason = BlankAsNullCharField(read_only=True)

    class Meta:
        model = Miss
        fields = [
            "id",
            "ticket",
            "account",
            "priority",
            "clock_started_at",
            "deadline",
            "recorded_at",
            "month",
            "counted",
            "excluded_reason",
            "lateness_seconds",
            "excused_seconds",
            "exclusion_period",
            "exclusion_periods",
            "voided",
            "voided_at",
            "voided_by",
            "void_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_lateness_seconds(self, miss: Miss) -> int:
        if miss.lateness_seconds is not None:
            return miss.lateness_seconds
        return max(0, int(miss.late_by.total_seconds()))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_voided_by(self, miss: Miss) -> str | None:
        return miss.voided_by.display_name if miss.voided_by_id else None


class MissFilterSerializer(serializers.Serializer):
    month = MonthField(required=False)
    account = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        help_text="Account id (staff; a customer only ever sees their own account).",
    )
    counted = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true: counted only; false: not counted."
    )


# --- exclusion periods -----------------------------------------------------------------------


class ExclusionPeriodSerializer(serializers.ModelSerializer):
    account = serializers.IntegerField(
        source="account_id",
        read_only=True,
        allow_null=True,
        help_text="The one account the period applies to; null: every account.",
    )
    misses_excluded = serializers.IntegerField(
        read_only=True, help_text="How many (unvoided) misses this period excludes."
    )
    cancelled_by = serializers.SerializerMethodField(help_text="Who cancelled it (username), or null.")
    cancel_reason = BlankAsNullCharField(read_only=True)
    events = serializers.ListField(
        child=serializers.DictField(),
        read_only=True,
        help_text="The period's history: [{at, actor, action: created|changed|cancelled, detail}].",
    )

    class Meta:
        model = ExclusionPeriod
        fields = [
            "id",
            "kind",
            "starts_at",
            "ends_at",
            "provider",
            "provider_sla_url",
            "note",
            "account",
            "misses_excluded",
            "created_at",
            "cancelled_at",
            "cancelled_by",
            "cancel_reason",
            "events",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_cancelled_by(self, period: ExclusionPeriod) -> str | None:
        return period.cancelled_by.get_username() if period.cancelled_by_id else None


class ExclusionCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the period no longer applies.")


class ExclusionPeriodInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ExclusionKind.choices)
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField()
    provider = serializers.CharField(
        max_length=100,
        allow_blank=True,
        default="",
        help_text="Required for cloud_provider: whose failure it was.",
    )
    provider_sla_url = serializers.URLField(
        max_length=200, allow_blank=True, default="", help_text="http(s) link to the provider's SLA."
    )
    note = serializers.CharField(max_length=2000, allow_blank=True, default="")
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(),
        allow_null=True,
        default=None,
        help_text="Limit the period to one account; null: every account.",
    )


# --- the monthly SLA report --------------------------------------------------------------------


class SlaReportRowSerializer(serializers.Serializer):
    account = serializers.IntegerField()
    account_name = serializers.CharField()
    month = serializers.CharField(help_text=MONTH_HELP)
    tickets = serializers.IntegerField(
        help_text="Tickets whose current Work Started deadline is in the month."
    )
    met = serializers.IntegerField(help_text="Work Started at or before the deadline.")
    missed = serializers.IntegerField(
        help_text="The current clock has a miss (counted or not), or work started late."
    )
    counted_misses = serializers.IntegerField(help_text="Misses of the month that count (not excluded).")
    compliance_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="met / (met + missed) × 100; null when nothing was due.",
    )
    median_seconds_to_work_started = serializers.IntegerField(
        allow_null=True, help_text="Nearest-rank median, seconds from submission to Work Started."
    )
    p90_seconds_to_work_started = serializers.IntegerField(
        allow_null=True, help_text="Nearest-rank 90th percentile, seconds."
    )
    ratings = serializers.IntegerField(help_text="Customer ratings (CSAT) given in the month.")
    good_ratings = serializers.IntegerField(help_text="Of those, rated good.")
    good_rating_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="good / ratings × 100; null without ratings.",
    )
    update_lapses = serializers.IntegerField(
        help_text="Progress updates (plan's progress_update_every) that fell due in the month with none "
        "given. They earn no money."
    )

    class Meta:
        list_serializer_class = FastListSerializer


class SlaReportFilterSerializer(serializers.Serializer):
    month = MonthField(required=False, help_text=f"{MONTH_HELP} Default: the current month.")
