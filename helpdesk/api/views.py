"""The v1 API: parse input, check access, call one service or selector, render.

Querysets come from access.py (through selectors where one exists), so anything outside
the caller's account is a 404; a role that may not act is a 403, decided after the lookup.
"""
from django.contrib.auth import authenticate
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from helpdesk import access, selectors
from helpdesk.api import permissions
from helpdesk.api import serializers as s
from helpdesk.models import Message
from helpdesk.services import accounts as account_services
from helpdesk.services.messages import message_create
from helpdesk.services.tickets import (
    ticket_create,
    ticket_downgrade,
    ticket_start_work,
    ticket_transition,
    ticket_upgrade,
)
from sla.models import Calendar, Plan
from sla.services import plans as plan_services


class PledgeAPIMixin:
    # Token first: DRF takes the WWW-Authenticate challenge from the first class, and
    # without one it answers an anonymous request with 403 instead of the contract's 401.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    lookup_value_converter = "int"

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def validated(self, serializer_class, *, partial: bool = False) -> dict:
        serializer = serializer_class(
            data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def render(self, instance, *, status_code: int = status.HTTP_200_OK) -> Response:
        """The object as this endpoint's list shows it (re-read with the same related data)."""
        instance = self.get_queryset().get(pk=instance.pk)
        return Response(self.get_serializer(instance).data, status=status_code)


class _AdminEditableViewSet(
    PledgeAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """List and read for whoever the permission lets read; create and update through services."""

    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    input_serializer_class: type
    create_service: staticmethod
    update_service: staticmethod
    update_keyword: str

    def create(self, request):
        instance = self.create_service(**self.validated(self.input_serializer_class))
        return self.render(instance, status_code=status.HTTP_201_CREATED)

    def update(self, request, pk=None):
        partial = request.method == "PATCH"
        instance = self.get_object()
        changes = self.validated(self.input_serializer_class, partial=partial)
        instance = self.update_service(**{self.update_keyword: instance}, **changes)
        return self.render(instance)

    def partial_update(self, request, pk=None):
        return self.update(request, pk)


# --- auth -------------------------------------------------------------------------------

class AuthTokenView(APIView):
    """Exchange a username and password for the user's API token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    # Password guessing through the API is slowed per client address.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth-token"

    @extend_schema(
        request=s.AuthTokenRequestSerializer, responses={200: s.AuthTokenSerializer}, auth=[]
    )
    def post(self, request):
        serializer = s.AuthTokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None:
            raise ValidationError(
                {"detail": "Unable to log in with that username and password."},
                code="authentication",
            )
        token = account_services.auth_token_issue(user=user)
        return Response(s.AuthTokenSerializer(token).data)


# --- calendars and plans ----------------------------------------------------------------

@extend_schema_view(
    create=extend_schema(request=s.CalendarInputSerializer, responses={201: s.CalendarSerializer}),
    update=extend_schema(request=s.CalendarInputSerializer, responses=s.CalendarSerializer),
    partial_update=extend_schema(
        request=s.CalendarInputSerializer, responses=s.CalendarSerializer
    ),
)
class CalendarViewSet(_AdminEditableViewSet):
    """Business calendars: support staff read, billing admins edit."""

    queryset = Calendar.objects.prefetch_related("hours", "holidays").order_by("name", "id")
    serializer_class = s.CalendarSerializer
    input_serializer_class = s.CalendarInputSerializer
    permission_classes = [permissions.CalendarAccess]
    create_service = staticmethod(plan_services.calendar_create)
    update_service = staticmethod(plan_services.calendar_update)
    update_keyword = "calendar"


@extend_schema_view(
    create=extend_schema(request=s.PlanInputSerializer, responses={201: s.PlanSerializer}),
    update=extend_schema(request=s.PlanInputSerializer, responses=s.PlanSerializer),
    partial_update=extend_schema(request=s.PlanInputSerializer, responses=s.PlanSerializer),
)
class PlanViewSet(_AdminEditableViewSet):
    """Support plans: everyone signed in reads, billing admins edit (each edit is a new version)."""

    queryset = Plan.objects.prefetch_related("response_targets").order_by("name", "id")
    serializer_class = s.PlanSerializer
    input_serializer_class = s.PlanInputSerializer
    permission_classes = [permissions.PlanAccess]
    create_service = staticmethod(plan_services.plan_create)
    update_service = staticmethod(plan_services.plan_update)
    update_keyword = "plan"


# --- accounts and users -----------------------------------------------------------------

@extend_schema_view(
    create=extend_schema(request=s.AccountInputSerializer, responses={201: s.AccountSerializer}),
    update=extend_schema(request=s.AccountInputSerializer, responses=s.AccountSerializer),
    partial_update=extend_schema(
        request=s.AccountInputSerializer, responses=s.AccountSerializer
    ),
)
class AccountViewSet(_AdminEditableViewSet):
    """Customer accounts: a customer reads their own, staff read all, billing admins edit."""

    serializer_class = s.AccountSerializer
    input_serializer_class = s.AccountInputSerializer
    permission_classes = [permissions.AccountAccess]
    create_service = staticmethod(account_services.account_create)
    update_service = staticmethod(account_services.account_update)
    update_keyword = "account"

    def get_queryset(self):
        return access.accounts_visible_to(self.request.user).order_by("name", "id")


@extend_schema_view(
    create=extend_schema(request=s.UserCreateSerializer, responses={201: s.UserSerializer}),
)
class UserViewSet(
    PledgeAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """People who log in: billing admins list and create them."""

    serializer_class = s.UserSerializer
    permission_classes = [permissions.UserAccess]

    def get_queryset(self):
        return access.users_visible_to(self.request.user).order_by("username", "id")

    def create(self, request):
        user = account_services.user_create(**self.validated(s.UserCreateSerializer))
        return self.render(user, status_code=status.HTTP_201_CREATED)


# --- tickets ----------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(parameters=[s.TicketFilterSerializer]),
    create=extend_schema(request=s.TicketCreateSerializer, responses={201: s.TicketSerializer}),
)
class TicketViewSet(
    PledgeAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Tickets of the caller's account (customers) or of every account (staff)."""

    serializer_class = s.TicketSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if self.action != "list":
            return selectors.account_tickets(user=self.request.user, with_chat=True)
        filters = s.TicketFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        tickets = selectors.account_tickets(
            user=self.request.user, status=wanted.get("status", ""), with_chat=True
        )
        if "priority" in wanted:
            tickets = tickets.filter(priority=wanted["priority"])
        if "account" in wanted:
            tickets = tickets.filter(account_id=wanted["account"])
        return tickets

    def get_object(self):
        ticket = selectors.ticket_for(user=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, ticket)
        return ticket

    def create(self, request):
        data = self.validated(s.TicketCreateSerializer)
        account = data.pop("account", None) or request.user.account
        ticket = ticket_create(account=account, created_by=request.user, **data)
        return self.render(ticket, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.TicketSerializer)
    @action(
        detail=True, methods=["post"], url_path="start-work",
        permission_classes=[IsAuthenticated, permissions.MayWorkTickets],
    )
    def start_work(self, request, pk=None):
        """Work Started: stops the clock. Calling it again returns the first instant."""
        ticket = ticket_start_work(ticket=self.get_object(), actor=request.user)
        return self.render(ticket)

    @extend_schema(request=s.ReasonSerializer, responses=s.TicketSerializer)
    @action(
        detail=True, methods=["post"],
        permission_classes=[IsAuthenticated, permissions.MayWorkTickets],
    )
    def downgrade(self, request, pk=None):
        """High → General with a reason; the deadline is recounted from creation."""
        ticket = self.get_object()
        ticket = ticket_downgrade(ticket=ticket, actor=request.user, **self.validated(s.ReasonSerializer))
        return self.render(ticket)

    @extend_schema(request=s.UpgradeSerializer, responses=s.TicketSerializer)
    @action(
        detail=True, methods=["post"],
        permission_classes=[IsAuthenticated, permissions.MayWorkTickets],
    )
    def upgrade(self, request, pk=None):
        """General → High with a reason; the new deadline is now plus the High target."""
        ticket = self.get_object()
        ticket = ticket_upgrade(ticket=ticket, actor=request.user, **self.validated(s.UpgradeSerializer))
        return self.render(ticket)

    @extend_schema(request=s.TransitionSerializer, responses=s.TicketSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Resolve, wait on the customer, close or reopen; an illegal move is a 409."""
        ticket = self.get_object()
        data = self.validated(s.TransitionSerializer)
        ticket = ticket_transition(
            ticket=ticket, actor=request.user, to_status=data["status"], reason=data["reason"]
        )
        return self.render(ticket)


@extend_schema(
    methods=["POST"], request=s.MessageCreateSerializer, responses={201: s.MessageSerializer}
)
class TicketMessagesView(PledgeAPIMixin, mixins.ListModelMixin, generics.GenericAPIView):
    """A ticket's conversation. Customers never see internal notes and cannot write them."""

    serializer_class = s.MessageSerializer
    permission_classes = [IsAuthenticated]
    _ticket = None

    def get_ticket(self):
        if self._ticket is None:
            self._ticket = selectors.ticket_for(user=self.request.user, pk=self.kwargs["pk"])
        return self._ticket

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Message.objects.none()
        return selectors.ticket_messages(user=self.request.user, ticket=self.get_ticket())

    def get(self, request, pk):
        return self.list(request)

    def post(self, request, pk):
        ticket = self.get_ticket()
        data = self.validated(s.MessageCreateSerializer)
        message = message_create(
            ticket=ticket, author=request.user, body=data["body"], public=data["public"],
            files=data["attachments"],
        )
        return self.render(message, status_code=status.HTTP_201_CREATED)
