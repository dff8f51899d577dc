"""API: misses, exclusion periods and the SLA report."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated

from helpdesk.accounts import access as accounts_access
from helpdesk.kit.api import PledgeAPIMixin
from helpdesk.kit.months import month_of
from sla.clocks import selectors
from sla.clocks.api.permissions import MayManageExclusions, MayReadSlaReport
from sla.clocks.api.serializers import (
    ExclusionCancelSerializer,
    ExclusionPeriodInputSerializer,
    ExclusionPeriodSerializer,
    MissFilterSerializer,
    MissSerializer,
    SlaReportFilterSerializer,
    SlaReportRowSerializer,
)
from sla.clocks.services.exclusions import exclusion_cancel, exclusion_create, exclusion_update


@extend_schema_view(list=extend_schema(parameters=[MissFilterSerializer]))
class MissViewSet(PledgeAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Missed Work Started deadlines: a customer's own account's, or every account's for staff."""

    serializer_class = MissSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        now = self.get_serializer_context()["now"]
        if self.action != "list":
            return selectors.misses_for(user=self.request.user, now=now)
        filters = MissFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.misses_for(user=self.request.user, now=now, **filters.validated_data)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        selectors.periods_touching(page if page is not None else [])
        return page

    def get_object(self):
        miss = super().get_object()
        selectors.periods_touching([miss])
        return miss

    def get_serializer_context(self):
        if not hasattr(self, "_context"):
            self._context = super().get_serializer_context()
        return self._context


@extend_schema_view(
    create=extend_schema(request=ExclusionPeriodInputSerializer, responses={201: ExclusionPeriodSerializer}),
    update=extend_schema(request=ExclusionPeriodInputSerializer, responses=ExclusionPeriodSerializer),
    partial_update=extend_schema(request=ExclusionPeriodInputSerializer, responses=ExclusionPeriodSerializer),
)
class ExclusionPeriodViewSet(
    PledgeAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Declared exclusion periods (billing admins). Every change judges the misses it touches again."""

    serializer_class = ExclusionPeriodSerializer
    permission_classes = [IsAuthenticated, MayManageExclusions]

    def get_queryset(self):
        return selectors.exclusion_periods_for(user=self.request.user)

    def create(self, request):
        period = exclusion_create(created_by=request.user, **self.validated(ExclusionPeriodInputSerializer))
        return self.render(period, status_code=status.HTTP_201_CREATED)

    def update(self, request, pk=None):
        period = self.get_object()
        changes = self.validated(ExclusionPeriodInputSerializer, partial=request.method == "PATCH")
        period = exclusion_update(period=period, actor=request.user, **changes)
        return self.render(period)

    def partial_update(self, request, pk=None):
        return self.update(request, pk)

    @extend_schema(request=ExclusionCancelSerializer, responses=ExclusionPeriodSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """End a period's effect with a reason: it stays on record; what it touched is re-judged."""
        period = self.get_object()
        period = exclusion_cancel(
            period=period, actor=request.user, **self.validated(ExclusionCancelSerializer)
        )
        return self.render(period)


@extend_schema(parameters=[SlaReportFilterSerializer])
class SlaReportView(PledgeAPIMixin, generics.ListAPIView):
    """Work Started compliance per account for one month: staff see every account, a customer theirs."""

    serializer_class = SlaReportRowSerializer
    permission_classes = [IsAuthenticated, MayReadSlaReport]

    def get_queryset(self):
        return accounts_access.accounts_visible_to(self.request.user).order_by("name", "id")

    def list(self, request):
        filters = SlaReportFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        month = filters.validated_data.get("month") or month_of(timezone.now())
        page = self.paginate_queryset(self.get_queryset().values_list("pk", "name"))
        rows = selectors.sla_report_of(month=month, accounts=page)
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)
