"""The v1 API of uptime: monitored items, downtime, maintenance windows, monthly uptime and shortfalls.

Same conventions as sla.api: token-then-session auth (anonymous is a 401), querysets from
access.py through sla.uptime_selectors (another account's object is a 404), a role that
may not act is a 403 decided after the lookup, every write through sla.services.uptime.
Durations are whole seconds; percentages and money are decimal strings.
"""
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk import access
from helpdesk.api.serializers import BlankAsNullCharField
from helpdesk.api.views import PledgeAPIMixin
from helpdesk.models import Account
from sla import uptime
from sla import uptime_selectors as selectors
from sla.api import AwareDateTimeField, MonthField
from sla.models import (
    Downtime,
    ItemState,
    MaintenanceKind,
    MaintenanceWindow,
    MonitoredItem,
    ProbeKind,
    UptimeShortfall,
)
from sla.selectors import is_month
from sla.services import uptime as services

MONTH_PARAMETER = OpenApiParameter(
    "month", OpenApiTypes.STR, OpenApiParameter.PATH,
    description='"YYYY-MM" in the support time zone, between 2000-01 and 2100-12.',
)
BIG_ID = 2**63 - 1


def _seconds(minutes) -> int:
    """Minutes (int or Decimal) as whole seconds, rounded down."""
    return int((Decimal(minutes) * 60).to_integral_value(rounding=ROUND_DOWN))


def _money(amount, currency: str) -> str:
    return str(uptime.money(amount, currency))


def _month_or_400(month: str) -> str:
    if not is_month(month):
        raise ValidationError({"month": ["Give a month as YYYY-MM, between 2000-01 and 2100-12."]})
    return month


# --- permissions -----------------------------------------------------------------------------

class _UptimeAccess(BasePermission):
    """Reads for whoever may read uptime; writes for `may_write`, after a detail lookup (404 first)."""

    message = "Your role may not do this."

    def may_write(self, user) -> bool:
        return False

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and access.may_read_uptime(user)):
            return False
        if request.method in SAFE_METHODS:
            return True
        lookup = view.lookup_url_kwarg or view.lookup_field
        if lookup in view.kwargs:
            return True
        return self.may_write(user)

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or self.may_write(request.user)


class ItemAccess(_UptimeAccess):
    message = "Only billing admins manage monitored items."

    def may_write(self, user) -> bool:
        return access.may_manage_uptime(user)


class DowntimeAccess(_UptimeAccess):
    message = "Only support staff record, correct and annotate downtime."

    def may_write(self, user) -> bool:
        return access.may_record_downtime(user)


class MaintenanceAccess(_UptimeAccess):
    message = "Only support staff schedule or cancel maintenance."

    def may_write(self, user) -> bool:
        return access.may_schedule_maintenance(user)


class MayReadUptime(BasePermission):
    message = "Your role may not read uptime."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and access.may_read_uptime(request.user))


class MayAssessUptime(BasePermission):
    message = "Only billing admins run a month's assessment."

    def has_permission(self, request, view) -> bool:
        return access.may_assess_uptime(request.user)


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
            "id", "account", "name", "description", "level", "guarantee_percent", "is_active", "probe_kind",
            "probe_url", "probe_expected_status", "probe_host", "probe_port", "state", "state_changed_at",
            "last_probed_at", "last_probe_ok", "last_probe_detail", "created_at",
        ]
        read_only_fields = fields


class MonitoredItemUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=2000, allow_blank=True, default="")
    level = serializers.CharField(
        max_length=32, required=False, allow_blank=True,
        help_text="A priority level of settings.UPTIME_LEVELS (default: settings.UPTIME_DEFAULT_LEVEL).",
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


@extend_schema_view(
    create=extend_schema(request=MonitoredItemCreateSerializer, responses={201: MonitoredItemSerializer}),
    update=extend_schema(request=MonitoredItemUpdateSerializer, responses=MonitoredItemSerializer),
    partial_update=extend_schema(request=MonitoredItemUpdateSerializer, responses=MonitoredItemSerializer),
    list=extend_schema(parameters=[
        OpenApiParameter("account", OpenApiTypes.INT, description="Account id (staff)."),
        OpenApiParameter("state", OpenApiTypes.STR, enum=ItemState.values),
    ]),
)
class MonitoredItemViewSet(
    PledgeAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Monitored items: a customer's own account's, or every account's for staff. Billing admins edit."""

    serializer_class = MonitoredItemSerializer
    permission_classes = [IsAuthenticated, ItemAccess]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        if self.action != "list":
            return selectors.items_for(user=self.request.user)
        filters = _ItemFilter(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.items_for(user=self.request.user, **filters.validated_data)

    def create(self, request):
        item = services.item_create(created_by=request.user, **self.validated(MonitoredItemCreateSerializer))
        return self.render(item, status_code=status.HTTP_201_CREATED)

    def update(self, request, pk=None):
        item = self.get_object()
        changes = self.validated(MonitoredItemUpdateSerializer, partial=request.method == "PATCH")
        item = services.item_update(item=item, actor=request.user, **changes)
        return self.render(item)

    def partial_update(self, request, pk=None):
        return self.update(request, pk)


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
        max_digits=7, decimal_places=4, source="report.uptime_percent",
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


@extend_schema(
    parameters=[MONTH_PARAMETER, OpenApiParameter("account", OpenApiTypes.INT, description="Account id.")],
    responses=MonthUptimeSerializer(many=True),
)
class MonthUptimeView(PledgeAPIMixin, generics.ListAPIView):
    """Each visible item's uptime for a month, computed now from its downtime and exclusions."""

    serializer_class = MonthUptimeSerializer
    permission_classes = [IsAuthenticated, MayReadUptime]

    def get_queryset(self):
        filters = _MonthFilter(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.items_for(user=self.request.user, **filters.validated_data)

    def list(self, request, month: str):
        month = _month_or_400(month)
        page = self.paginate_queryset(self.get_queryset())
        rows = selectors.month_rows(items=list(page), month=month, now=timezone.now())
        data = MonthUptimeSerializer(rows, many=True, context={"month": month}).data
        return self.get_paginated_response(data)


@extend_schema(parameters=[MONTH_PARAMETER], responses=MonthUptimeSerializer)
class ItemMonthView(PledgeAPIMixin, APIView):
    """One item's uptime for a month."""

    permission_classes = [IsAuthenticated, MayReadUptime]

    def get(self, request, pk: int, month: str):
        item = selectors.item_for(user=request.user, pk=pk)
        month = _month_or_400(month)
        row = selectors.month_rows(items=[item], month=month, now=timezone.now())[0]
        return Response(MonthUptimeSerializer(row, context={"month": month}).data)


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
            "id", "item", "item_name", "account", "month", "active", "counted", "final", "claimable",
            "guarantee_percent", "uptime_percent", "counted_seconds", "downtime_seconds",
            "permitted_downtime_seconds", "excess_seconds", "started_hours", "credit_percent_requested",
            "credit_percent", "credit_amount_requested", "credit_amount", "monthly_fee", "currency", "capped",
            "shares_voucher_cap", "assessed_at", "claim",
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


@extend_schema_view(list=extend_schema(parameters=[_ShortfallFilter]))
class UptimeShortfallViewSet(PledgeAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Months below guarantee, with their credit: a customer's own, or every account's for staff."""

    serializer_class = UptimeShortfallSerializer
    permission_classes = [IsAuthenticated, MayReadUptime]

    def get_queryset(self):
        if self.action != "list":
            return selectors.shortfalls_for(user=self.request.user).select_related("claim")
        filters = _ShortfallFilter(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        shortfalls = selectors.shortfalls_for(user=self.request.user, **filters.validated_data)
        return shortfalls.select_related("claim")

    @extend_schema(request=_AssessSerializer, responses=AssessSummarySerializer)
    @action(detail=False, methods=["post"], permission_classes=[IsAuthenticated, MayAssessUptime])
    def assess(self, request):
        """Measure a month again now and bring its shortfalls up to date (hourly by itself)."""
        month = self.validated(_AssessSerializer)["month"]
        summary = services.uptime_month_assess(month=month)
        return Response(AssessSummarySerializer(summary).data)


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
            "id", "item", "item_name", "account", "starts_at", "ends_at", "ongoing", "duration_seconds",
            "source", "note", "tickets", "created_by", "created_at", "voided", "voided_at", "voided_by",
            "void_reason",
        ]
        read_only_fields = fields

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
        ticket = access.tickets_visible_to(self.context["request"].user).filter(pk=value).first()
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


@extend_schema_view(
    list=extend_schema(parameters=[_DowntimeFilter]),
    retrieve=extend_schema(responses=DowntimeDetailSerializer),
    create=extend_schema(request=DowntimeCreateSerializer, responses={201: DowntimeDetailSerializer}),
    partial_update=extend_schema(request=DowntimeEditSerializer, responses=DowntimeDetailSerializer),
)
class DowntimeViewSet(
    PledgeAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Downtime of monitored items: the probe's and staff's. Customers read their own; staff edit."""

    permission_classes = [IsAuthenticated, DowntimeAccess]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return DowntimeSerializer if self.action == "list" else DowntimeDetailSerializer

    def get_queryset(self):
        if self.action != "list":
            return selectors.downtimes_for(user=self.request.user)
        filters = _DowntimeFilter(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.downtimes_for(user=self.request.user, **filters.validated_data)

    def create(self, request):
        data = self.validated(DowntimeCreateSerializer)
        downtime = services.downtime_record(actor=request.user, **data)
        return self.render(downtime, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        downtime = self.get_object()
        data = self.validated(DowntimeEditSerializer)
        if not data:
            raise ValidationError({"detail": "Give starts_at, ends_at (with a reason) or note."})
        reason = data.pop("reason", "")
        downtime = services.downtime_edit(downtime=downtime, actor=request.user, reason=reason, **data)
        return self.render(downtime)

    @extend_schema(request=DowntimeVoidSerializer, responses=DowntimeDetailSerializer)
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        """A record made in error stops counting; it stays, with who voided it and why."""
        downtime = self.get_object()
        reason = self.validated(DowntimeVoidSerializer)["reason"]
        downtime = services.downtime_void(downtime=downtime, actor=request.user, reason=reason)
        return self.render(downtime)

    @extend_schema(request=TicketLinkSerializer, responses=DowntimeDetailSerializer)
    @action(detail=True, methods=["post"], url_path="link-ticket")
    def link_ticket(self, request, pk=None):
        """Link a ticket of the same account (the incidents list shows what the outage caused)."""
        downtime = self.get_object()
        ticket = self.validated(TicketLinkSerializer)["ticket"]
        downtime = services.downtime_link_ticket(downtime=downtime, actor=request.user, ticket=ticket)
        return self.render(downtime)

    @extend_schema(request=TicketLinkSerializer, responses=DowntimeDetailSerializer)
    @action(detail=True, methods=["post"], url_path="unlink-ticket")
    def unlink_ticket(self, request, pk=None):
        downtime = self.get_object()
        ticket = self.validated(TicketLinkSerializer)["ticket"]
        downtime = services.downtime_link_ticket(
            downtime=downtime, actor=request.user, ticket=ticket, linked=False
        )
        return self.render(downtime)


# --- maintenance windows --------------------------------------------------------------------------

class MaintenanceWindowSerializer(serializers.ModelSerializer):
    account = serializers.IntegerField(source="account_id", read_only=True)
    item = serializers.IntegerField(
        source="item_id", read_only=True, allow_null=True, help_text="null: every item of the account."
    )
    item_name = serializers.SerializerMethodField()
    exclusion_period = serializers.IntegerField(
        source="exclusion_period_id", read_only=True, allow_null=True,
        help_text="Emergency windows: the exclusion period declared for them.",
    )
    cancelled = serializers.BooleanField(read_only=True)

    class Meta:
        model = MaintenanceWindow
        fields = [
            "id", "account", "item", "item_name", "kind", "starts_at", "ends_at", "note", "exclusion_period",
            "created_at", "cancelled", "cancelled_at",
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


@extend_schema_view(
    list=extend_schema(parameters=[_WindowFilter]),
    create=extend_schema(
        request=MaintenanceWindowInputSerializer, responses={201: MaintenanceWindowSerializer}
    ),
)
class MaintenanceWindowViewSet(
    PledgeAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Maintenance windows: customers see their account's; staff schedule and cancel them."""

    serializer_class = MaintenanceWindowSerializer
    permission_classes = [IsAuthenticated, MaintenanceAccess]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        if self.action != "list":
            return selectors.maintenance_windows_for(user=self.request.user)
        filters = _WindowFilter(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        return selectors.maintenance_windows_for(
            user=self.request.user, account=wanted.get("account"),
            upcoming_at=timezone.now() if wanted.get("upcoming") else None,
        )

    def create(self, request):
        window = services.maintenance_schedule(
            created_by=request.user, **self.validated(MaintenanceWindowInputSerializer)
        )
        return self.render(window, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=MaintenanceWindowSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Call off a scheduled window before it starts (409 once begun, or for an emergency one)."""
        window = services.maintenance_cancel(window=self.get_object(), actor=request.user)
        return self.render(window)

