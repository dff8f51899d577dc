"""API: calendars and plans."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated

from helpdesk.kit.api import _AdminEditableViewSet
from sla.terms import selectors
from sla.terms.api import permissions, serializers
from sla.terms.models import Calendar, Plan
from sla.terms.services import calendars, plans

# --- calendars and plans ----------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(
        request=serializers.CalendarInputSerializer, responses={201: serializers.CalendarSerializer}
    ),
    update=extend_schema(
        request=serializers.CalendarInputSerializer, responses=serializers.CalendarSerializer
    ),
    partial_update=extend_schema(
        request=serializers.CalendarInputSerializer, responses=serializers.CalendarSerializer
    ),
)
class CalendarViewSet(_AdminEditableViewSet):
    """Business calendars: support staff read, billing admins edit."""

    queryset = Calendar.objects.prefetch_related("hours", "holidays").order_by("name", "id")
    serializer_class = serializers.CalendarSerializer
    input_serializer_class = serializers.CalendarInputSerializer
    permission_classes = [permissions.CalendarAccess]
    create_service = staticmethod(calendars.calendar_create)
    update_service = staticmethod(calendars.calendar_update)
    update_keyword = "calendar"
    passes_actor = frozenset({"update"})  # the plans on the calendar get a version naming who


@extend_schema_view(
    create=extend_schema(
        request=serializers.PlanInputSerializer, responses={201: serializers.PlanSerializer}
    ),
    update=extend_schema(request=serializers.PlanInputSerializer, responses=serializers.PlanSerializer),
    partial_update=extend_schema(
        request=serializers.PlanInputSerializer, responses=serializers.PlanSerializer
    ),
)
class PlanViewSet(_AdminEditableViewSet):
    """Support plans: everyone signed in reads, billing admins edit (each edit is a new version)."""

    queryset = Plan.objects.prefetch_related("response_targets").order_by("name", "id")
    serializer_class = serializers.PlanSerializer
    input_serializer_class = serializers.PlanInputSerializer
    permission_classes = [permissions.PlanAccess]
    create_service = staticmethod(plans.plan_create)
    update_service = staticmethod(plans.plan_update)
    update_keyword = "plan"
    passes_actor = frozenset({"create", "update"})

    @extend_schema(responses=serializers.PlanVersionSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        permission_classes=[IsAuthenticated, permissions.MayReadPlanVersions],
        serializer_class=serializers.PlanVersionSerializer,
    )
    def versions(self, request, pk=None):
        """The plan's versions, newest first: each with who, when, what changed and its terms (staff)."""
        plan = self.get_object()
        page = self.paginate_queryset(selectors.plan_versions(plan=plan))
        return self.get_paginated_response(serializers.PlanVersionSerializer(page, many=True).data)
