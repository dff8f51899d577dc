"""API shapes of items, downtime, maintenance windows, months and shortfalls."""

from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from helpdesk.accounts.models import Account, ItemState, MonitoredItem, ProbeKind
from helpdesk.kit import roles
from helpdesk.kit.api import AwareDateTimeField, BlankAsNullCharField, MonthField
from helpdesk.tickets import access as tickets_access
from sla.uptime import providers, selectors
from sla.uptime.models import Downtime, MaintenanceKind, MaintenanceWindow, UptimeShortfall

BIG_ID = 2**63 - 1


def _seconds(minutes) -> int:
    """Minutes (int or Decimal) as whole seconds, rounded down."""
    return int((Decimal(minutes) * 60).to_integral_value(rounding=ROUND_DOWN))


def _money(amount, currency: str) -> str:
    return providers.pricing().format_amount(amount, currency)


# What a customer is told of a failed probe: the probe's own detail (an exception such as
# "ConnectionRefusedError: [Errno 111]", or an address) is for staff, as on the uptime pages.
CUSTOMER_PROBE_NOTE = "Our monitoring could not reach this service."


def _for_customer(serializer) -> bool:
    request = serializer.context.get("request")
    return request is not None and roles.is_customer(request.user)


# --- items -----------------------------------------------------------------------------------


class MonitoredItemSerializer(serializers.ModelSerializer):
    account = serializers.IntegerField(source="account_id", read_only=True)
    guarantee_percent = serializers.DecimalField(
        max_digits=7, decimal_places=4, read_only=True, help_text="Guaranteed uptime of the item's level."
    )
    probe_url = BlankAsNullCharField(read_only=True)
    probe_host = BlankAsNullCharField(read_only=True)

    class Meta:
        model = MonitoredItem
        fields = [
            "id",
            "account",
            "name",
            "description",
            "level",
            "guarantee_percent",
            "is_active",
            "probe_kind",
            "probe_url",
            "probe_expected_status",
            "probe_host",
            "probe_port",
            "state",
            "state_changed_at",
            "last_probed_at",
            "last_probe_ok",
            "last_probe_detail",
            "created_at",
        ]
        read_only_fields = fields

    def to_representation(self, item):
        data = super().to_representation(item)
        if data["last_probe_detail"] and _for_customer(self):
            data["last_probe_detail"] = "" if item.last_probe_ok else CUSTOMER_PROBE_NOTE
        return data


class MonitoredItemUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=2000, allow_blank=True, default="")
    level = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="A priority level of the uptime terms (default: high).",
    )
    is_active = serializers.BooleanField(default=True)
    probe_kind = serializers.ChoiceField(choices=ProbeKind.choices, default=ProbeKind.NONE)
    probe_url = serializers.CharField(
        max_length=500, allow_blank=True, default="", help_text="http(s) URL, for probe_kind http."
    )
    probe_expected_status = serializers.IntegerField(min_value=100, max_value=599, default=200)
    probe_host = serializers.CharField(
        max_length=253, allow_blank=True, default="", help_text="Host or IP address, for probe_kind tcp."
    )
    probe_port = serializers.IntegerField(min_value=1, max_value=65535, allow_null=True, default=None)


class MonitoredItemCreateSerializer(MonitoredItemUpdateSerializer):
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all())


class _ItemFilter(serializers.Serializer):
    account = serializers.IntegerField(min_value=1, max_value=BIG_ID, required=False)
    state = serializers.ChoiceField(choices=ItemState.choices, required=False)


# --- monthly uptime ----------------------------------------------------------------------------


class MonthUptimeSerializer(serializers.Serializer):
    item = serializers.IntegerField(source="item.pk")
    item_name = serializers.CharField(source="item.name")
    account = serializers.IntegerField(source="item.account_id")
    month = serializers.SerializerMethodField(help_text='"YYYY-MM", support time zone.')
    guarantee_percent = serializers.DecimalField(
        max_digits=7, decimal_places=4, source="report.guarantee_percent"
    )
    uptime_percent = serializers.DecimalField(
        max_digits=7,
        decimal_places=4,
        source="report.uptime_percent",
        help_text="Of the counted minutes, rounded down. The current month counts minutes yet to come as up.",
    )
    month_seconds = serializers.SerializerMethodField(help_text="Real seconds of the month (DST-aware).")
    excluded_seconds = serializers.SerializerMethodField(
        help_text="Agreed maintenance and exclusion periods, not measured."
    )
    counted_seconds = serializers.SerializerMethodField()
    downtime_seconds = serializers.SerializerMethodField(help_text="Merged downtime outside exclusions.")
    permitted_downtime_seconds = serializers.SerializerMethodField(
        help_text="(100 - guarantee)% of the counted time, rounded down."
    )
    excess_seconds = serializers.SerializerMethodField(help_text="Downtime beyond the permitted downtime.")
    started_hours = serializers.IntegerField(
        source="report.started_hours", help_text="Started hours beyond the permitted downtime."
    )
    below_guarantee = serializers.BooleanField(source="report.below_guarantee")
    shortfall = serializers.SerializerMethodField(help_text="The stored shortfall of the month, if any.")

    @extend_schema_field(OpenApiTypes.STR)
    def get_month(self, row) -> str:
        return self.context["month"]

    @extend_schema_field(OpenApiTypes.INT)
    def get_month_seconds(self, row) -> int:
        return row.report.month_minutes * 60

    @extend_schema_field(OpenApiTypes.INT)
    def get_excluded_seconds(self, row) -> int:
        return row.report.excluded_minutes * 60

    @extend_schema_field(OpenApiTypes.INT)
    def get_counted_seconds(self, row) -> int:
        return row.report.counted_minutes * 60

    @extend_schema_field(OpenApiTypes.INT)
    def get_downtime_seconds(self, row) -> int:
        return row.report.downtime_minutes * 60

    @extend_schema_field(OpenApiTypes.INT)
    def get_permitted_downtime_seconds(self, row) -> int:
        return _seconds(row.report.permitted_minutes)

    @extend_schema_field(OpenApiTypes.INT)
    def get_excess_seconds(self, row) -> int:
        return _seconds(row.report.excess_minutes)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_shortfall(self, row) -> int | None:
        return row.shortfall.pk if row.shortfall else None


class _MonthFilter(serializers.Serializer):
    account = serializers.IntegerField(min_value=1, max_value=BIG_ID, required=False)


# --- shortfalls --------------------------------------------------------------------------------


class UptimeShortfallSerializer(serializers.ModelSerializer):
    item = serializers.IntegerField(source="item_id", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)
    account = serializers.IntegerField(source="account_id", read_only=True)
    claimable = serializers.BooleanField(
        read_only=True, help_text="The month has ended below guarantee with a credit to claim."
    )
    counted_seconds = serializers.SerializerMethodField()
    downtime_seconds = serializers.SerializerMethodField()
    permitted_downtime_seconds = serializers.SerializerMethodField()
    excess_seconds = serializers.SerializerMethodField()
    credit_amount = serializers.SerializerMethodField(help_text="After every cap; decimal string.")
    credit_amount_requested = serializers.SerializerMethodField(help_text="What the tiers give, before caps.")
    monthly_fee = serializers.SerializerMethodField()
    claim = serializers.SerializerMethodField(
        help_text="The claim on this shortfall (POST /api/v1/claims/ {uptime_shortfall}), else null."
    )

    class Meta:
        model = UptimeShortfall
        fields = [
            "id",
            "item",
            "item_name",
            "account",
            "month",
            "active",
            "counted",
            "excluded_reason",
            "final",
            "claimable",
            "guarantee_percent",
            "uptime_percent",
            "counted_seconds",
            "downtime_seconds",
            "permitted_downtime_seconds",
            "excess_seconds",
            "started_hours",
            "credit_percent_requested",
            "credit_percent",
            "credit_amount_requested",
            "credit_amount",
            "monthly_fee",
            "currency",
            "capped",
            "shares_voucher_cap",
            "assessed_at",
            "claim",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_claim(self, row) -> int | None:
        try:  # the reverse of billing's Claim.shortfall, joined by the viewset; sla never imports billing
            return row.claim.pk
        except ObjectDoesNotExist:
            return None

    @extend_schema_field(OpenApiTypes.INT)
    def get_counted_seconds(self, row) -> int:
        return row.counted_minutes * 60

    @extend_schema_field(OpenApiTypes.INT)
    def get_downtime_seconds(self, row) -> int:
        return row.downtime_minutes * 60

    @extend_schema_field(OpenApiTypes.INT)
    def get_permitted_downtime_seconds(self, row) -> int:
        return _seconds(row.permitted_minutes)

    @extend_schema_field(OpenApiTypes.INT)
    def get_excess_seconds(self, row) -> int:
        return _seconds(row.excess_minutes)

    @extend_schema_field(OpenApiTypes.STR)
    def get_credit_amount(self, row) -> str:
        return _money(row.credit_amount, row.currency)

    @extend_schema_field(OpenApiTypes.STR)
    def get_credit_amount_requested(self, row) -> str:
        return _money(row.credit_amount_requested, row.currency)

    @extend_schema_field(OpenApiTypes.STR)
    def get_monthly_fee(self, row) -> str:
        return _money(row.monthly_fee, row.currency)


class _ShortfallFilter(serializers.Serializer):
    month = MonthField(required=False)
    account = serializers.IntegerField(min_value=1, max_value=BIG_ID, required=False)
    item = serializers.IntegerField(min_value=1, max_value=BIG_ID, required=False)
    active = serializers.BooleanField(required=False, allow_null=True, default=None)


class _AssessSerializer(serializers.Serializer):
    month = MonthField()


class AssessSummarySerializer(serializers.Serializer):
    month = serializers.CharField()
    items = serializers.IntegerField(help_text="Items measured.")
    below = serializers.IntegerField(help_text="Items below their guarantee.")
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


# --- downtime ----------------------------------------------------------------------------------


class DowntimeEventSerializer(serializers.Serializer):
    code = serializers.CharField()
    actor = serializers.SerializerMethodField()
    at = serializers.DateTimeField()
    data = serializers.JSONField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor(self, event) -> str | None:
        return event.actor.display_name if event.actor_id else None


class DowntimeSerializer(serializers.ModelSerializer):
    item = serializers.IntegerField(source="item_id", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)
    account = serializers.IntegerField(source="account_id", read_only=True)
    ongoing = serializers.BooleanField(source="is_open", read_only=True)
    duration_seconds = serializers.SerializerMethodField(help_text="To the end, or to now while it lasts.")
    tickets = serializers.SerializerMethodField(help_text="Ids of the tickets linked to it.")
    created_by = serializers.SerializerMethodField(help_text="Who recorded it; null: the probe.")
    voided = serializers.BooleanField(read_only=True)
    voided_by = serializers.SerializerMethodField()
    void_reason = BlankAsNullCharField(read_only=True)

    class Meta:
        model = Downtime
        fields = [
            "id",
            "item",
            "item_name",
            "account",
            "starts_at",
            "ends_at",
            "ongoing",
            "duration_seconds",
            "source",
            "note",
            "tickets",
            "created_by",
            "created_at",
            "voided",
            "voided_at",
            "voided_by",
            "void_reason",
        ]
        read_only_fields = fields

    def to_representation(self, downtime):
        data = super().to_representation(downtime)
        if downtime.source == "probe" and data["note"] and _for_customer(self):
            data["note"] = CUSTOMER_PROBE_NOTE
        return data

    @extend_schema_field(OpenApiTypes.INT)
    def get_duration_seconds(self, downtime) -> int:
        end = downtime.ends_at or self.context.get("now") or timezone.now()
        return max(0, int((end - downtime.starts_at).total_seconds()))

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_tickets(self, downtime) -> list[int]:
        return [ticket.pk for ticket in downtime.tickets.all()]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_created_by(self, downtime) -> str | None:
        return downtime.created_by.display_name if downtime.created_by_id else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_voided_by(self, downtime) -> str | None:
        return downtime.voided_by.display_name if downtime.voided_by_id else None


class DowntimeDetailSerializer(DowntimeSerializer):
    events = serializers.SerializerMethodField(help_text="Every edit, oldest first.")

    class Meta(DowntimeSerializer.Meta):
        fields = [*DowntimeSerializer.Meta.fields, "events"]
        read_only_fields = fields

    @extend_schema_field(DowntimeEventSerializer(many=True))
    def get_events(self, downtime) -> list:
        return DowntimeEventSerializer(selectors.downtime_events(downtime=downtime), many=True).data


class DowntimeCreateSerializer(serializers.Serializer):
    item = serializers.IntegerField(min_value=1, max_value=BIG_ID)
    starts_at = AwareDateTimeField(help_text="Truncated to the minute.")
    ends_at = AwareDateTimeField(
        allow_null=True, default=None, help_text="Truncated to the minute; null while it lasts."
    )
    note = serializers.CharField(max_length=2000, allow_blank=True, default="")

    def validate_item(self, value):
        item = selectors.items_for(user=self.context["request"].user).filter(pk=value).first()
        if item is None:
            raise serializers.ValidationError("No such item.")
        return item


class DowntimeEditSerializer(serializers.Serializer):
    starts_at = AwareDateTimeField(required=False)
    ends_at = AwareDateTimeField(
        required=False, allow_null=True, help_text="Set it to close an open downtime."
    )
    reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, help_text="Required when the times change."
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class DowntimeVoidSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class TicketLinkSerializer(serializers.Serializer):
    ticket = serializers.IntegerField(min_value=1, max_value=BIG_ID)

    def validate_ticket(self, value):
        ticket = tickets_access.tickets_visible_to(self.context["request"].user).filter(pk=value).first()
        if ticket is None:
            raise serializers.ValidationError("No such ticket.")
        return ticket


class _DowntimeFilter(serializers.Serializer):
    item = serializers.IntegerField(min_value=1, max_value=BIG_ID, required=False)
    account = serializers.IntegerField(min_value=1, max_value=BIG_ID, required=False)
    month = MonthField(required=False)
    open_only = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true: ongoing only; false: ended only."
    )


# --- maintenance windows --------------------------------------------------------------------------


class MaintenanceWindowSerializer(serializers.ModelSerializer):
    account = serializers.IntegerField(source="account_id", read_only=True)
    item = serializers.IntegerField(
        source="item_id", read_only=True, allow_null=True, help_text="null: every item of the account."
    )
    item_name = serializers.SerializerMethodField()
    exclusion_period = serializers.IntegerField(
        source="exclusion_period_id",
        read_only=True,
        allow_null=True,
        help_text="Emergency windows: the exclusion period declared for them.",
    )
    cancelled = serializers.BooleanField(read_only=True)

    class Meta:
        model = MaintenanceWindow
        fields = [
            "id",
            "account",
            "item",
            "item_name",
            "kind",
            "starts_at",
            "ends_at",
            "note",
            "exclusion_period",
            "created_at",
            "cancelled",
            "cancelled_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_item_name(self, window) -> str | None:
        return window.item.name if window.item_id else None


class MaintenanceWindowInputSerializer(serializers.Serializer):
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all())
    item = serializers.IntegerField(
        min_value=1, max_value=BIG_ID, allow_null=True, default=None, help_text="null: every item."
    )
    kind = serializers.ChoiceField(
        choices=MaintenanceKind.choices,
        help_text="scheduled: agreed in advance, created before it starts; emergency: after the fact "
        "(billing admins; declared as an emergency_maintenance exclusion period).",
    )
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField()
    note = serializers.CharField(max_length=2000, allow_blank=True, default="")

    def validate_item(self, value):
        if value is None:
            return None
        item = MonitoredItem.objects.filter(pk=value).first()
        if item is None:
            raise serializers.ValidationError("No such item.")
        return item


class _WindowFilter(serializers.Serializer):
    account = serializers.IntegerField(min_value=1, max_value=BIG_ID, required=False)
    upcoming = serializers.BooleanField(
        required=False, default=False, help_text="Not yet over, not cancelled."
    )
