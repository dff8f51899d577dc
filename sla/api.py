"""The v1 API of the contract's records: misses, exclusion periods and the monthly SLA report.

Same conventions as helpdesk.api: token-then-session auth (anonymous is a 401), querysets
from access.py through sla.selectors (another account's miss is a 404), a role that may
not act is a 403, and every write goes through sla.services.exclusions.
"""
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from helpdesk import access
from helpdesk.api.serializers import BlankAsNullCharField
from helpdesk.api.views import PledgeAPIMixin
from helpdesk.models import Account
from sla import selectors
from sla.models import ExclusionKind, ExclusionPeriod, Miss
from sla.months import month_of
from sla.services.exclusions import exclusion_create, exclusion_delete, exclusion_update

MONTH_HELP = '"YYYY-MM", the month of the deadline in the support time zone.'


class MonthField(serializers.RegexField):
    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", MONTH_HELP)
        kwargs.setdefault(
            "error_messages", {"invalid": "Give a month as YYYY-MM, between 2000-01 and 2100-12."}
        )
        super().__init__(selectors.MONTH_RE, max_length=7, **kwargs)


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with its offset: a time without one is ambiguous, so it is refused."""

    default_error_messages = {"naive": "Give the time with its offset, e.g. 2026-03-10T10:00:00Z."}

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


# --- permissions -----------------------------------------------------------------------------

class MayManageExclusions(BasePermission):
    message = "Only billing admins manage exclusion periods."

    def has_permission(self, request, view) -> bool:
        return access.may_manage_exclusions(request.user)


class MayReadSlaReport(BasePermission):
    message = "Your role may not read the SLA report."

    def has_permission(self, request, view) -> bool:
        return access.may_read_sla_report(request.user)


# --- misses ----------------------------------------------------------------------------------

class MissSerializer(serializers.ModelSerializer):
    ticket = serializers.IntegerField(source="ticket_id", read_only=True)
    account = serializers.IntegerField(source="account_id", read_only=True)
    excluded_reason = BlankAsNullCharField(
        read_only=True, help_text="Why the miss is not counted; null when it is counted."
    )
    lateness_seconds = serializers.SerializerMethodField(
        help_text="Seconds from the deadline to Work Started, or to now while work has not started."
    )
    voided = serializers.BooleanField(read_only=True, help_text="Voided by a downgrade (misclassified).")
    voided_by = serializers.SerializerMethodField(help_text="Who voided it (display name), or null.")
    void_reason = BlankAsNullCharField(read_only=True)

    class Meta:
        model = Miss
        fields = [
            "id", "ticket", "account", "priority", "clock_started_at", "deadline", "recorded_at",
            "month", "counted", "excluded_reason", "lateness_seconds", "voided", "voided_at",
            "voided_by", "void_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_lateness_seconds(self, miss: Miss) -> int:
        return int(miss.late_by.total_seconds())

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_voided_by(self, miss: Miss) -> str | None:
        return miss.voided_by.display_name if miss.voided_by_id else None


class MissFilterSerializer(serializers.Serializer):
    month = MonthField(required=False)
    account = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False,
        help_text="Account id (staff; a customer only ever sees their own account).",
    )
    counted = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true: counted only; false: not counted."
    )


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

    def get_serializer_context(self):
        if not hasattr(self, "_context"):
            self._context = super().get_serializer_context()
        return self._context


# --- exclusion periods -----------------------------------------------------------------------

class ExclusionPeriodSerializer(serializers.ModelSerializer):
    account = serializers.IntegerField(
        source="account_id", read_only=True, allow_null=True,
        help_text="The one account the period applies to; null: every account.",
    )
    misses_excluded = serializers.IntegerField(
        read_only=True, help_text="How many (unvoided) misses this period excludes."
    )

    class Meta:
        model = ExclusionPeriod
        fields = [
            "id", "kind", "starts_at", "ends_at", "provider", "provider_sla_url", "note", "account",
            "misses_excluded", "created_at",
        ]
        read_only_fields = fields


class ExclusionPeriodInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ExclusionKind.choices)
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField()
    provider = serializers.CharField(
        max_length=100, allow_blank=True, default="",
        help_text="Required for cloud_provider: whose failure it was.",
    )
    provider_sla_url = serializers.URLField(
        max_length=200, allow_blank=True, default="", help_text="http(s) link to the provider's SLA."
    )
    note = serializers.CharField(max_length=2000, allow_blank=True, default="")
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(), allow_null=True, default=None,
        help_text="Limit the period to one account; null: every account.",
    )


@extend_schema_view(
    create=extend_schema(
        request=ExclusionPeriodInputSerializer, responses={201: ExclusionPeriodSerializer}
    ),
    update=extend_schema(request=ExclusionPeriodInputSerializer, responses=ExclusionPeriodSerializer),
    partial_update=extend_schema(
        request=ExclusionPeriodInputSerializer, responses=ExclusionPeriodSerializer
    ),
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

    def destroy(self, request, pk=None):
        exclusion_delete(period=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
        max_digits=5, decimal_places=2, allow_null=True,
        help_text="met / (met + missed) × 100; null when nothing was due.",
    )
    median_seconds_to_work_started = serializers.IntegerField(
        allow_null=True, help_text="Nearest-rank median, seconds from submission to Work Started."
    )
    p90_seconds_to_work_started = serializers.IntegerField(
        allow_null=True, help_text="Nearest-rank 90th percentile, seconds."
    )


class SlaReportFilterSerializer(serializers.Serializer):
    month = MonthField(required=False, help_text=f"{MONTH_HELP} Default: the current month.")


@extend_schema(parameters=[SlaReportFilterSerializer])
class SlaReportView(PledgeAPIMixin, generics.ListAPIView):
    """Work Started compliance per account for one month: staff see every account, a customer theirs."""

    serializer_class = SlaReportRowSerializer
    permission_classes = [IsAuthenticated, MayReadSlaReport]

    def get_queryset(self):
        return access.accounts_visible_to(self.request.user).order_by("name", "id")

    def list(self, request):
        filters = SlaReportFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        month = filters.validated_data.get("month") or month_of(timezone.now())
        page = self.paginate_queryset(self.get_queryset().only("pk"))
        rows = selectors.sla_report(
            month=month, accounts_qs=Account.objects.filter(pk__in=[account.pk for account in page])
        )
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

