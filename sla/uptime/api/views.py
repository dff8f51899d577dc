"""The v1 API of uptime: monitored items, downtime, maintenance windows, monthly uptime and shortfalls.

Same conventions as every app's API (helpdesk.kit.api): token-then-session auth (anonymous is a
401), querysets from sla.uptime.access through sla.uptime.selectors (another account's object is
a 404), a role that may not act is a 403 decided after the lookup, every write through
sla.uptime.services.
Durations are whole seconds; percentages and money are decimal strings."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.accounts.models import ItemState
from helpdesk.kit.api import PledgeAPIMixin
from helpdesk.kit.months import is_month
from sla.uptime import access, selectors
from sla.uptime.api.serializers import (
    AssessSummarySerializer,
    DowntimeCreateSerializer,
    DowntimeDetailSerializer,
    DowntimeEditSerializer,
    DowntimeSerializer,
    DowntimeVoidSerializer,
    MaintenanceWindowInputSerializer,
    MaintenanceWindowSerializer,
    MonitoredItemCreateSerializer,
    MonitoredItemSerializer,
    MonitoredItemUpdateSerializer,
    MonthUptimeSerializer,
    TicketLinkSerializer,
    UptimeShortfallSerializer,
    _AssessSerializer,
    _DowntimeFilter,
    _ItemFilter,
    _MonthFilter,
    _ShortfallFilter,
    _WindowFilter,
)
from sla.uptime.services import assessment as assessment_services
from sla.uptime.services import downtime as downtime_services
from sla.uptime.services import items as items_services
from sla.uptime.services import maintenance as maintenance_services

MONTH_PARAMETER = OpenApiParameter(
    "month",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description='"YYYY-MM" in the support time zone, between 2000-01 and 2100-12.',
)


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
    message = "Only support staff manage monitored items."

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


@extend_schema_view(
    create=extend_schema(request=MonitoredItemCreateSerializer, responses={201: MonitoredItemSerializer}),
    update=extend_schema(request=MonitoredItemUpdateSerializer, responses=MonitoredItemSerializer),
    partial_update=extend_schema(request=MonitoredItemUpdateSerializer, responses=MonitoredItemSerializer),
    list=extend_schema(
        parameters=[
            OpenApiParameter("account", OpenApiTypes.INT, description="Account id (staff)."),
            OpenApiParameter("state", OpenApiTypes.STR, enum=ItemState.values),
        ]
    ),
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
        item = items_services.item_create(
            created_by=request.user, **self.validated(MonitoredItemCreateSerializer)
        )
        return self.render(item, status_code=status.HTTP_201_CREATED)

    def update(self, request, pk=None):
        item = self.get_object()
        changes = self.validated(MonitoredItemUpdateSerializer, partial=request.method == "PATCH")
        item = items_services.item_update(item=item, actor=request.user, **changes)
        return self.render(item)

    def partial_update(self, request, pk=None):
        return self.update(request, pk)


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
        summary = assessment_services.uptime_month_assess(month=month)
        return Response(AssessSummarySerializer(summary).data)


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
        downtime = downtime_services.downtime_record(actor=request.user, **data)
        return self.render(downtime, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        downtime = self.get_object()
        data = self.validated(DowntimeEditSerializer)
        if not data:
            raise ValidationError({"detail": "Give starts_at, ends_at (with a reason) or note."})
        reason = data.pop("reason", "")
        downtime = downtime_services.downtime_edit(
            downtime=downtime, actor=request.user, reason=reason, **data
        )
        return self.render(downtime)

    @extend_schema(request=DowntimeVoidSerializer, responses=DowntimeDetailSerializer)
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        """A record made in error stops counting; it stays, with who voided it and why."""
        downtime = self.get_object()
        reason = self.validated(DowntimeVoidSerializer)["reason"]
        downtime = downtime_services.downtime_void(downtime=downtime, actor=request.user, reason=reason)
        return self.render(downtime)

    @extend_schema(request=TicketLinkSerializer, responses=DowntimeDetailSerializer)
    @action(detail=True, methods=["post"], url_path="link-ticket")
    def link_ticket(self, request, pk=None):
        """Link a ticket of the same account (the incidents list shows what the outage caused)."""
        downtime = self.get_object()
        ticket = self.validated(TicketLinkSerializer)["ticket"]
        downtime = downtime_services.downtime_link_ticket(
            downtime=downtime, actor=request.user, ticket=ticket
        )
        return self.render(downtime)

    @extend_schema(request=TicketLinkSerializer, responses=DowntimeDetailSerializer)
    @action(detail=True, methods=["post"], url_path="unlink-ticket")
    def unlink_ticket(self, request, pk=None):
        downtime = self.get_object()
        ticket = self.validated(TicketLinkSerializer)["ticket"]
        downtime = downtime_services.downtime_link_ticket(
            downtime=downtime, actor=request.user, ticket=ticket, linked=False
        )
        return self.render(downtime)


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
            user=self.request.user,
            account=wanted.get("account"),
            upcoming_at=timezone.now() if wanted.get("upcoming") else None,
        )

    def create(self, request):
        window = maintenance_services.maintenance_schedule(
            created_by=request.user, **self.validated(MaintenanceWindowInputSerializer)
        )
        return self.render(window, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=MaintenanceWindowSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Call off a scheduled window before it starts (409 once begun, or for an emergency one)."""
        window = maintenance_services.maintenance_cancel(window=self.get_object(), actor=request.user)
        return self.render(window)
