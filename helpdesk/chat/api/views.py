"""The v1 API of live chat: request, the waiting line, accept, end, escalate, messages, phone calls.

Same conventions as every app's API (helpdesk.kit.api): token-then-session auth (anonymous is a 401),
querysets from access.py through selectors_chats (another account's session is a 404),
a role that may not act is a 403 decided after the lookup, and writes go through
helpdesk.chat.services. Messages are stored, then pushed on /ws/chats/{id}/.
"""

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import set_rollback

from helpdesk.accounts import access as accounts_access
from helpdesk.accounts.models import Account
from helpdesk.chat import access, selectors
from helpdesk.chat.models import ChatEndReason, ChatKind, ChatMessage, ChatMessageKind, ChatSession
from helpdesk.chat.models import ChatStatus as CS
from helpdesk.chat.services import chats, escalation
from helpdesk.kit import roles
from helpdesk.kit.api import AwareDateTimeField, PledgeAPIMixin
from helpdesk.tickets.api import serializers as tickets_serializers

# --- shapes ------------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    role = serializers.CharField(read_only=True, help_text='"customer" or "staff".')


class ChatSerializer(serializers.ModelSerializer):
    account = serializers.IntegerField(source="account_id", read_only=True)
    status = serializers.ChoiceField(choices=CS.choices, read_only=True)
    queue_position = serializers.SerializerMethodField(
        help_text="1 for the first in line; null once the chat is no longer waiting."
    )
    customer = serializers.SerializerMethodField()
    engineer = serializers.SerializerMethodField(help_text="Who accepted the chat or logged the call.")
    end_reason = serializers.SerializerMethodField()
    session_limit = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Seconds from acceptance; null means unlimited."
    )
    duration = serializers.SerializerMethodField(help_text="Seconds from acceptance to the end.")
    ticket = serializers.IntegerField(
        source="ticket_id",
        read_only=True,
        allow_null=True,
        help_text="The ticket this session was turned into.",
    )
    notes = serializers.SerializerMethodField(help_text="A phone call's notes (staff only).")

    class Meta:
        model = ChatSession
        fields = [
            "id",
            "kind",
            "account",
            "status",
            "queue_position",
            "topic",
            "customer",
            "caller",
            "engineer",
            "requested_at",
            "wait_deadline",
            "accepted_at",
            "ends_at",
            "warned_at",
            "ended_at",
            "end_reason",
            "session_limit",
            "duration",
            "ticket",
            "notes",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_queue_position(self, session: ChatSession) -> int | None:
        if session.status != CS.QUEUED:
            return None
        positions = self.context.get("positions")
        if positions is None:
            return selectors.queue_position(session)
        return positions.get(session.pk)

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_customer(self, session: ChatSession):
        return selectors.author_payload(session.customer) if session.customer_id else None

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_engineer(self, session: ChatSession):
        return selectors.author_payload(session.engineer) if session.engineer_id else None

    @extend_schema_field(serializers.ChoiceField(choices=ChatEndReason.choices, allow_null=True))
    def get_end_reason(self, session: ChatSession) -> str | None:
        return session.end_reason or None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_duration(self, session: ChatSession) -> int | None:
        return session.duration_seconds

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_notes(self, session: ChatSession) -> str | None:
        request = self.context.get("request")
        if session.kind != ChatKind.PHONE or request is None or not roles.is_staff(request.user):
            return None
        return session.notes


class ChatCreateSerializer(serializers.Serializer):
    topic = serializers.CharField(
        max_length=chats.MAX_TOPIC_LENGTH,
        allow_blank=True,
        default="",
        help_text="What the customer needs help with.",
    )
    message = serializers.CharField(
        max_length=chats.MAX_MESSAGE_LENGTH,
        allow_blank=True,
        default="",
        help_text="A first message, stored as the chat's first line.",
    )


class ChatConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(help_text="chat_closed, no_live_chat, chat_already_open, …")
    opens_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="chat_closed: when chat opens next."
    )


class ChatFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CS.choices, required=False)
    kind = serializers.ChoiceField(choices=ChatKind.choices, required=False)
    account = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, help_text="Account id (staff)."
    )


class ChatMessageSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField(help_text="null for notices from Pledge itself.")
    kind = serializers.ChoiceField(choices=ChatMessageKind.choices, read_only=True)
    seq = serializers.IntegerField(read_only=True, help_text="1, 2, 3… within the chat.")

    class Meta:
        model = ChatMessage
        fields = ["id", "seq", "kind", "author", "body", "created_at"]
        read_only_fields = fields

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_author(self, message: ChatMessage):
        return selectors.author_payload(message.author)


class ChatMessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=chats.MAX_MESSAGE_LENGTH)


class ChatMessageFilterSerializer(serializers.Serializer):
    after = serializers.IntegerField(
        min_value=0,
        max_value=2**63 - 1,
        required=False,
        help_text="Only messages after this message id (a reconnecting client's catch-up).",
    )


class PhoneCallCreateSerializer(serializers.Serializer):
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.none())
    caller = serializers.CharField(max_length=200, help_text="Who phoned.")
    started_at = AwareDateTimeField()
    duration = serializers.IntegerField(min_value=1, max_value=chats.MAX_CALL_SECONDS, help_text="Seconds.")
    notes = serializers.CharField(max_length=chats.MAX_NOTES_LENGTH, allow_blank=True, default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["account"].queryset = accounts_access.accounts_visible_to(request.user)


# --- views ---------------------------------------------------------------------------------

CONFLICT = {409: ChatConflictSerializer}


class ChatAPIMixin(PledgeAPIMixin):
    def handle_exception(self, exc):
        # A 409 about chat carries its details (when chat opens next, the chat already open).
        if isinstance(exc, chats.ChatConflict):
            set_rollback()
            return Response(
                {"detail": exc.message, "code": exc.code, **exc.extra}, status=status.HTTP_409_CONFLICT
            )
        return super().handle_exception(exc)

    def get_chat(self) -> ChatSession:
        if getattr(self, "_chat", None) is None:
            self._chat = selectors.chat_for(user=self.request.user, pk=self.kwargs["pk"])
        return self._chat


@extend_schema_view(
    list=extend_schema(parameters=[ChatFilterSerializer]),
    create=extend_schema(
        request=ChatCreateSerializer,
        responses={201: ChatSerializer, **CONFLICT},
        description="A customer asks for a live chat and joins the waiting line. Outside the plan's "
        "chat hours the answer is 409 with `opens_at`, when chat opens next.",
    ),
)
class ChatViewSet(ChatAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Live chats and logged phone calls: a customer's own account's, or (staff) every account's."""

    serializer_class = ChatSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ChatSession.objects.none()
        if self.action != "list":
            return selectors.chat_list(user=self.request.user)
        filters = ChatFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.chat_list(user=self.request.user, **filters.validated_data)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["positions"] = selectors.queue_positions()
        return context

    def get_object(self):
        return self.get_chat()

    def create(self, request):
        data = self.validated(ChatCreateSerializer)
        session = chats.chat_request(customer=request.user, **data)
        return self.render(session, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ChatSerializer, **CONFLICT})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Staff take a waiting chat; the plan's session limit runs from now. A second engineer gets 409."""
        session = chats.chat_accept(session=self.get_chat(), engineer=request.user)
        return self.render(session)

    @extend_schema(request=None, responses=ChatSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        """End the chat (the customer who asked, or staff). Ending it again changes nothing."""
        session = chats.chat_end(session=self.get_chat(), actor=request.user)
        return self.render(session)

    @extend_schema(
        request=None,
        responses={200: tickets_serializers.TicketSerializer, 201: tickets_serializers.TicketSerializer},
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        """Turn the session into a ticket whose description carries the whole transcript.

        201 with the new ticket; 200 with the same ticket when it was escalated before.
        """
        ticket, created = escalation.chat_escalate(session=self.get_chat(), actor=request.user)
        data = tickets_serializers.TicketSerializer(ticket, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=PhoneCallCreateSerializer, responses={201: ChatSerializer})
    @action(detail=False, methods=["post"], url_path="phone")
    def phone(self, request):
        """Staff log a phone call as a real-time session of the account (escalate it like a chat)."""
        roles.require(access.may_log_phone_calls(request.user), "Only support staff log phone calls.")
        data = self.validated(PhoneCallCreateSerializer)
        session = escalation.chat_log_phone(logged_by=request.user, **data)
        return self.render(session, status_code=status.HTTP_201_CREATED)


@extend_schema(methods=["GET"], parameters=[ChatMessageFilterSerializer])
@extend_schema(
    methods=["POST"],
    request=ChatMessageCreateSerializer,
    responses={201: ChatMessageSerializer, **CONFLICT},
)
class ChatMessagesView(ChatAPIMixin, mixins.ListModelMixin, generics.GenericAPIView):
    """A chat's lines, oldest first. The parties post; each message is stored, then pushed on the socket."""

    serializer_class = ChatMessageSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ChatMessage.objects.none()
        filters = ChatMessageFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.chat_messages(
            user=self.request.user, session=self.get_chat(), after=filters.validated_data.get("after")
        )

    def get(self, request, pk):
        return self.list(request)

    def post(self, request, pk):
        session = self.get_chat()
        if not access.may_post_chat(request.user, session):
            raise roles.Denied("Only the customer who asked and the engineer who accepted write here.")
        data = self.validated(ChatMessageCreateSerializer)
        message = chats.chat_post(session=session, author=request.user, body=data["body"])
        return Response(
            ChatMessageSerializer(message, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )
