"""API: tickets, their actions and messages."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from helpdesk.kit import keyset, lightrows, roles
from helpdesk.kit.api import PledgeAPIMixin, _AdminEditableViewSet, _ReadWrite
from helpdesk.tickets import canned, clock_facts, origins, selectors
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
from helpdesk.tickets.services.workspace import (
    canned_reply_delete,
    canned_reply_save,
    ticket_assign,
    ticket_open_for_customer,
    ticket_set_tags,
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
        return selectors.account_tickets(user=self.request.user, with_chat=True)

    def list(self, request):
        """Keyset pages: `next`/`previous` carry a cursor, so every depth costs the same."""
        wanted = {}
        if request.query_params:  # nothing to check on a bare list
            filters = serializers.TicketFilterSerializer(data=request.query_params)
            filters.is_valid(raise_exception=True)
            wanted = dict(filters.validated_data)
        cursor = wanted.pop("cursor", None)
        size = wanted.pop("page_size", None) or serializers.PAGE_SIZE
        now = timezone.now()
        # The rows carry the columns TicketSerializer reads and nothing more, as tuples built
        # straight into tickets (helpdesk.kit.lightrows), its item's name and plan code annotated:
        # it reads no other related object.
        tickets = selectors.workspace_tickets(
            user=request.user, filters=wanted, now=now, rows=serializers.list_rows()
        )
        rows = origins.with_origin(serializers.annotate_list_rows(tickets), user=request.user)
        segments = selectors.ordered_segments(
            rows,
            ordering=wanted.get("ordering", "newest"),
            searching=bool(wanted.get("q")),
            filters=wanted,
            build=lightrows.builder(rows),
        )
        try:
            page = keyset.paginate(segments, cursor=cursor, size=size)
        except keyset.BadCursor as error:
            raise ValidationError({"cursor": [str(error)]}) from error

        def link(position):
            if position is None:
                return None
            return replace_query_param(request.build_absolute_uri(), "cursor", position)

        return Response(
            {
                "count": tickets.count(),
                "next": link(page.next_cursor),
                "previous": link(page.previous_cursor),
                "results": self.get_serializer(
                    page.rows,
                    many=True,
                    context={
                        **self.get_serializer_context(),
                        "update_lapses": clock_facts.update_lapses(
                            ticket_ids=[ticket.pk for ticket in page.rows if ticket.lapsed_updates]
                        ),
                    },
                ).data,
            }
        )

    def get_object(self):
        ticket = selectors.ticket_for(user=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, ticket)
        return ticket

    def create(self, request):
        data = self.validated(serializers.TicketCreateSerializer)
        account = data.pop("account", None) or request.user.account
        requester, channel = data.pop("requester", None), data.pop("channel", None)
        if requester is not None or channel is not None:
            ticket = ticket_open_for_customer(
                actor=request.user,
                account=account,
                requester=requester or request.user,
                channel=channel or "web",
                **data,
            )
        else:
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

    @extend_schema(request=serializers.AssignSerializer, responses=serializers.TicketSerializer)
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated, permissions.MayWorkTickets],
    )
    def assign(self, request, pk=None):
        """Give the ticket to a staff member, or take it from them (`null`); an event records it."""
        ticket = self.get_object()
        data = self.validated(serializers.AssignSerializer)
        ticket = ticket_assign(ticket=ticket, actor=request.user, assignee=data["assignee"])
        return self.render(ticket)

    @extend_schema(request=serializers.TagsSerializer, responses=serializers.TagsSerializer)
    @action(
        detail=True,
        methods=["get", "post"],
        permission_classes=[IsAuthenticated, permissions.MayWorkTickets],
    )
    def tags(self, request, pk=None):
        """The ticket's tags (GET), or replace them with existing tags (POST); an event records it."""
        ticket = self.get_object()
        if request.method == "POST":
            names = self.validated(serializers.TagsSerializer)["tags"]
            ticket = ticket_set_tags(ticket=ticket, actor=request.user, names=names)
        return Response({"tags": sorted(ticket.tags.values_list("name", flat=True))})

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


# --- canned replies (issue 14) ----------------------------------------------------------------


class MayKeepCannedReplies(_ReadWrite):
    def may_read(self, user) -> bool:
        return roles.is_staff(user)

    def may_write(self, user) -> bool:
        return roles.is_staff(user)


class CannedReplyViewSet(_AdminEditableViewSet):
    """Replies staff keep for reuse; customers never see them (403)."""

    serializer_class = serializers.CannedReplySerializer
    permission_classes = [MayKeepCannedReplies]
    input_serializer_class = serializers.CannedReplyInputSerializer
    update_keyword = "reply"
    http_method_names = [*_AdminEditableViewSet.http_method_names, "delete"]

    def get_queryset(self):
        return selectors.canned_replies(user=self.request.user)

    def create(self, request):
        reply = canned_reply_save(
            actor=request.user, **self.validated(serializers.CannedReplyInputSerializer)
        )
        return self.render(reply, status_code=status.HTTP_201_CREATED)

    def update(self, request, pk=None):
        partial = request.method == "PATCH"
        reply = self.get_object()
        data = {"title": reply.title, "body": reply.body}
        data.update(self.validated(serializers.CannedReplyInputSerializer, partial=partial))
        return self.render(canned_reply_save(actor=request.user, reply=reply, **data))

    def destroy(self, request, pk=None):
        canned_reply_delete(actor=request.user, reply=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(responses=serializers.CannedReplyFilledSerializer(many=True))
class TicketCannedRepliesView(PledgeAPIMixin, generics.GenericAPIView):
    """Every canned reply filled in for one ticket, ready for the reply box (staff)."""

    permission_classes = [IsAuthenticated]
    serializer_class = serializers.CannedReplyFilledSerializer

    def get(self, request, pk):
        ticket = selectors.ticket_for(user=request.user, pk=pk)
        if not roles.is_staff(request.user):
            raise PermissionDenied("Only support staff use canned replies.")
        rows = [
            {"id": reply.pk, "title": reply.title, "body": canned.fill(reply.body, ticket)}
            for reply in selectors.canned_replies(user=request.user)
        ]
        return Response(rows)
