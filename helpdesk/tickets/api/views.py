"""API: tickets, their actions and messages."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from helpdesk.kit.api import PledgeAPIMixin
from helpdesk.tickets import selectors
from helpdesk.tickets.api import permissions, serializers
from helpdesk.tickets.models import Message, TicketRating
from helpdesk.tickets.services.messages import message_create
from helpdesk.tickets.services.ratings import ticket_rate
from helpdesk.tickets.services.reclassify import ticket_reclassify
from helpdesk.tickets.services.tickets import (
    ticket_create,
    ticket_downgrade,
    ticket_log_call,
    ticket_start_work,
    ticket_transition,
    ticket_upgrade,
)

# --- tickets ----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(parameters=[serializers.TicketFilterSerializer]),
    create=extend_schema(
        request=serializers.TicketCreateSerializer, responses={201: serializers.TicketSerializer}
    ),
)
class TicketViewSet(
    PledgeAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Tickets of the caller's account (customers) or of every account (staff)."""

    serializer_class = serializers.TicketSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if self.action != "list":
            return selectors.account_tickets(user=self.request.user, with_chat=True)
        filters = serializers.TicketFilterSerializer(data=self.request.query_params)
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
        data = self.validated(serializers.TicketCreateSerializer)
        account = data.pop("account", None) or request.user.account
        ticket = ticket_create(account=account, created_by=request.user, **data)
        return self.render(ticket, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=serializers.TicketSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="start-work",
        permission_classes=[IsAuthenticated, permissions.MayWorkTickets],
    )
    def start_work(self, request, pk=None):
        """Work Started; on a work_started plan this stops the clock. Again: the first instant."""
        ticket = ticket_start_work(ticket=self.get_object(), actor=request.user)
        return self.render(ticket)

    @extend_schema(request=serializers.ReclassifySerializer, responses=serializers.TicketSerializer)
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated, permissions.MayWorkTickets],
    )
    def reclassify(self, request, pk=None):
        """Set the severity with a reason; the deadline is recounted from creation (409 once settled)."""
        ticket = self.get_object()
        ticket = ticket_reclassify(
            ticket=ticket, actor=request.user, **self.validated(serializers.ReclassifySerializer)
        )
        return self.render(ticket)

    @extend_schema(request=serializers.CallSerializer, responses=serializers.TicketSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="log-call",
        permission_classes=[IsAuthenticated, permissions.MayWorkTickets],
    )
    def log_call(self, request, pk=None):
        """A phone call staff made to the customer: it answers them, so the clock stops (any plan)."""
        ticket = self.get_object()
        ticket = ticket_log_call(
            ticket=ticket, actor=request.user, **self.validated(serializers.CallSerializer)
        )
        return self.render(ticket)

    @extend_schema(request=serializers.ReasonSerializer, responses=serializers.TicketSerializer)
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated, permissions.MayWorkTickets],
    )
    def downgrade(self, request, pk=None):
        """High → General with a reason; the deadline is recounted from creation."""
        ticket = self.get_object()
        ticket = ticket_downgrade(
            ticket=ticket, actor=request.user, **self.validated(serializers.ReasonSerializer)
        )
        return self.render(ticket)

    @extend_schema(request=serializers.UpgradeSerializer, responses=serializers.TicketSerializer)
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated, permissions.MayWorkTickets],
    )
    def upgrade(self, request, pk=None):
        """General → High with a reason; the new deadline is now plus the High target."""
        ticket = self.get_object()
        ticket = ticket_upgrade(
            ticket=ticket, actor=request.user, **self.validated(serializers.UpgradeSerializer)
        )
        return self.render(ticket)

    @extend_schema(request=serializers.TransitionSerializer, responses=serializers.TicketSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Resolve, wait on the customer, close or reopen; an illegal move is a 409."""
        ticket = self.get_object()
        data = self.validated(serializers.TransitionSerializer)
        ticket = ticket_transition(
            ticket=ticket, actor=request.user, to_status=data["status"], reason=data["reason"]
        )
        return self.render(ticket)


@extend_schema(
    methods=["POST"],
    request=serializers.MessageCreateSerializer,
    responses={201: serializers.MessageSerializer},
)
class TicketMessagesView(PledgeAPIMixin, mixins.ListModelMixin, generics.GenericAPIView):
    """A ticket's conversation. Customers never see internal notes and cannot write them."""

    serializer_class = serializers.MessageSerializer
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
        data = self.validated(serializers.MessageCreateSerializer)
        message = message_create(
            ticket=ticket,
            author=request.user,
            body=data["body"],
            public=data["public"],
            files=data["attachments"],
        )
        return self.render(message, status_code=status.HTTP_201_CREATED)


@extend_schema(
    methods=["POST"],
    request=serializers.TicketRatingCreateSerializer,
    responses={201: serializers.TicketRatingSerializer},
)
class TicketRatingView(PledgeAPIMixin, generics.GenericAPIView):
    """The customer's rating of a resolved ticket: 404 until rated; rated once (a second is a 409)."""

    serializer_class = serializers.TicketRatingSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return TicketRating.objects.select_related("rated_by")

    def get(self, request, pk):
        ticket = selectors.ticket_for(user=request.user, pk=pk)
        rating = get_object_or_404(self.get_queryset(), ticket=ticket)
        return Response(self.get_serializer(rating).data)

    def post(self, request, pk):
        ticket = selectors.ticket_for(user=request.user, pk=pk)
        data = self.validated(serializers.TicketRatingCreateSerializer)
        rating = ticket_rate(ticket=ticket, user=request.user, **data)
        return self.render(rating, status_code=status.HTTP_201_CREATED)
