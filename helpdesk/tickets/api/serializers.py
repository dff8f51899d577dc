"""API shapes of tickets, messages and attachments."""

import copy

from django.db.models import F
from django.db.models.fields.json import KT
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from helpdesk.accounts import access as accounts_access
from helpdesk.accounts.models import Account, User
from helpdesk.kit import lightrows, roles
from helpdesk.kit.api import BlankAsNullCharField, BlankAsNullChoiceField
from helpdesk.kit.fastlist import FastListSerializer
from helpdesk.tickets import clock_facts, origins
from helpdesk.tickets.models import (
    Attachment,
    CannedReply,
    Message,
    Rating,
    Ticket,
    TicketRating,
    TicketStatus,
)
from helpdesk.tickets.search import MAX_QUERY
from helpdesk.tickets.selectors import VIEWS
from helpdesk.tickets.services.attachments import MAX_FILES_PER_MESSAGE
from sla.terms.models import Priority, Severity

SLA_STATES = ("running", "at_risk", "met", "missed")
# A page of the ticket list, as many rows as a page of the queue or the portal; a client may ask
# for up to MAX_PAGE_SIZE (`page_size`).
PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


# --- tickets ----------------------------------------------------------------------------


class UpdateLapseSerializer(serializers.Serializer):
    due_at = serializers.DateTimeField(help_text="When the progress update fell due.")
    recorded_at = serializers.DateTimeField(help_text="When Pledge recorded that none was given.")


class TicketSerializer(serializers.ModelSerializer):
    account = serializers.IntegerField(source="account_id", read_only=True)
    plan = serializers.IntegerField(source="plan_id", read_only=True)
    plan_code = serializers.SerializerMethodField(help_text="The plan in force at creation.")
    severity = BlankAsNullChoiceField(choices=Severity.choices, read_only=True)
    downgraded_from = BlankAsNullChoiceField(
        choices=[(Priority.HIGH.value, Priority.HIGH.label)],
        read_only=True,
        help_text="The priority a downgraded ticket had (only High can be downgraded).",
    )
    downgrade_reason = BlankAsNullCharField(read_only=True)
    work_started_target = serializers.IntegerField(
        read_only=True, help_text="Seconds (of working time, on a business calendar)."
    )
    sla_state = serializers.SerializerMethodField()
    chat = serializers.SerializerMethodField(
        help_text="The live chat or phone call the ticket was escalated from (its id), or null."
    )
    item_name = serializers.SerializerMethodField(help_text="The name of the affected covered item, or null.")
    next_update_due = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the next public staff update (progress report) falls due; null when none is: "
        "work not started, resolved, or the plan sets no progress_update_every.",
    )
    update_lapses = serializers.SerializerMethodField(
        help_text="Progress updates that fell due with none given, oldest first: [{due_at, recorded_at}]."
    )

    class Meta:
        model = Ticket
        # Pages of 50 tickets: one getter per field, not DRF's walk per field per row.
        list_serializer_class = FastListSerializer
        fields = [
            "id",
            "account",
            "subject",
            "description",
            "priority",
            "severity",
            "service_unavailable",
            "affected_service",
            "item",
            "item_name",
            "status",
            "plan",
            "plan_code",
            "created_at",
            "clock_started_at",
            "work_started_target",
            "work_started_deadline",
            "at_risk_at",
            "work_started_at",
            "follow_up_of",
            "responded_at",
            "sla_state",
            "previous_deadline",
            "downgraded_from",
            "downgrade_reason",
            "resolved_at",
            "closed_at",
            "chat",
            "assignee",
            "channel",
            "next_update_due",
            "update_lapses",
        ]
        read_only_fields = fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and not roles.is_staff(request.user):
            # Who works a ticket is the support team's business.
            self.fields.pop("assignee")

    def get_fields(self):
        """ModelSerializer's fields, worked out from the model once per process, copied per use.

        The model's fields do not change while it runs, and every field here is read-only and flat:
        nothing mutates what a field holds (choices, validators), so each serializer gets shallow
        copies of its own to bind (a deep copy of 32 fields cost a list page 0.18 ms)."""
        cls = type(self)
        if "_model_fields" not in cls.__dict__:
            cls._model_fields = super().get_fields()
        return {name: copy.copy(field) for name, field in cls._model_fields.items()}

    @extend_schema_field(OpenApiTypes.STR)
    def get_plan_code(self, ticket: Ticket) -> str:
        if hasattr(ticket, "plan_code"):  # a list's rows carry it, read out of the promise by the database
            return ticket.plan_code or ""
        return ticket.promise.get("plan", "")

    @extend_schema_field(serializers.ChoiceField(choices=SLA_STATES))
    def get_sla_state(self, ticket: Ticket) -> str:
        return ticket.sla_state(self.context["now"])

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_item_name(self, ticket: Ticket) -> str | None:
        if hasattr(ticket, "item_name"):  # a list's rows carry it, joined
            return ticket.item_name
        return ticket.item.name if ticket.item_id else None

    @extend_schema_field(UpdateLapseSerializer(many=True))
    def get_update_lapses(self, ticket: Ticket) -> list[dict]:
        known = self.context.get("update_lapses")  # fetched for a whole page by the list view
        if known is None:
            known = clock_facts.update_lapses(ticket_ids=[ticket.pk])
        lapses = known.get(ticket.pk)
        if not lapses:
            # Most tickets have none: no serializer built per row for an empty list.
            return []
        return UpdateLapseSerializer(lapses, many=True).data

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_chat(self, ticket: Ticket) -> int | None:
        if hasattr(ticket, "from_chat_id"):  # annotated by the selectors, for this user
            return ticket.from_chat_id
        # A ticket straight from a service (e.g. the one an escalation just opened).
        tickets = origins.with_origin(Ticket.objects.filter(pk=ticket.pk), user=self.context["request"].user)
        return getattr(tickets.first(), "from_chat_id", None)


# The columns a list of TicketSerializer rows reads (with its keyset keys, and the count of lapses
# that says whose lapses to fetch), and what it annotates instead of loading: `item_name` and
# `plan_code` (read out of the promise by the database).
LIST_COLUMNS = tuple(
    dict.fromkeys(  # each once: a column named twice is read and converted twice
        (
            *(
                name
                for name in TicketSerializer.Meta.fields
                if name not in ("item_name", "plan_code", "sla_state", "chat", "update_lapses")
            ),
            "responded_at",
            "work_started_deadline",
            "at_risk_at",
            "lapsed_updates",
        )
    )
)


def list_rows():
    """Every ticket as a TicketSerializer list reads it: its columns, no others, as tuples
    (helpdesk.kit.lightrows.values_base); annotate_list_rows adds what it reads of other rows."""
    return lightrows.values_base(Ticket, LIST_COLUMNS)


def annotate_list_rows(tickets):
    """The item's name (joined) and the plan's code (read out of the promise by the database)."""
    return tickets.annotate(item_name=F("item__name"), plan_code=KT("promise__plan"))


class TicketCreateSerializer(serializers.Serializer):
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.none(),
        required=False,
        help_text="Required for staff; customers always open tickets for their own account "
        "and this field is ignored.",
    )
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20_000)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.GENERAL)
    severity = serializers.ChoiceField(
        choices=Severity.choices,
        allow_blank=True,
        default="",
        help_text="Used by plans whose targets depend on severity.",
    )
    service_unavailable = serializers.BooleanField(
        default=False, help_text="High priority: the customer confirms the service is down."
    )
    affected_service = serializers.CharField(max_length=200, allow_blank=True, default="")
    item = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        allow_null=True,
        default=None,
        help_text="The affected covered item: the id of an active monitored item of the ticket's account. "
        "On a plan that uses severity its level chooses the target.",
    )
    # --- workspace (issue 14): staff open tickets for customers
    requester = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(),
        required=False,
        help_text="Staff: the customer of `account` the ticket is for (they get the replies).",
    )
    channel = serializers.ChoiceField(
        choices=["web", "email", "phone", "chat"],
        required=False,
        help_text="Staff: how the request reached us (with `requester`).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.context.get("request") and self.context["request"].user
        if user is not None:
            if roles.is_customer(user):
                self.fields.pop("requester")
                self.fields.pop("channel")
            else:
                self.fields["requester"].queryset = User.objects.filter(account__isnull=False)
            if roles.is_customer(user):
                self.fields.pop("account")
            else:
                self.fields["account"].queryset = accounts_access.accounts_visible_to(user)

    def validate(self, attrs):
        if "account" in self.fields and attrs.get("account") is None:
            raise serializers.ValidationError({"account": ["Say which account the ticket is for."]})
        return attrs


class TicketFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[*TicketStatus.choices, ("open", "Open")],
        required=False,
        help_text='A status, or "open" for every status before resolved.',
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    account = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, help_text="Account id (staff)."
    )
    # --- workspace (issue 14)
    view = serializers.ChoiceField(choices=list(VIEWS.items()), required=False)
    sla_state = serializers.ChoiceField(choices=SLA_STATES, required=False)
    assignee = serializers.RegexField(
        r"^(me|none|[1-9][0-9]{0,17})$",
        max_length=18,
        required=False,
        help_text='A user id, "me" or "none" (unassigned).',
        error_messages={"invalid": 'Give a user id, "me" or "none".'},
    )
    tag = serializers.SlugField(max_length=50, required=False)
    q = serializers.CharField(max_length=MAX_QUERY, required=False, help_text="Search words.")
    ordering = serializers.ChoiceField(
        choices=[("newest", "Newest first"), ("deadline", "Unstarted first, soonest deadline first")],
        required=False,
        help_text="Ignored when searching: results are ranked.",
    )
    cursor = serializers.CharField(max_length=500, required=False, help_text="From `next`/`previous`.")
    page_size = serializers.IntegerField(
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        required=False,
        help_text=f"Tickets per page: {PAGE_SIZE} unless given, at most {MAX_PAGE_SIZE}.",
    )

    def get_fields(self):
        """The declared fields, copied shallowly: every list request with a query checks it, and
        nothing here changes what a field holds (DRF's deep copy was half of that check)."""
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Not a filter of this list."] for name in unknown})
        return attrs


class AssignSerializer(serializers.Serializer):
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        allow_null=True,
        help_text="A support staff member's user id; null unassigns.",
    )


class TagsSerializer(serializers.Serializer):
    tags = serializers.ListField(
        child=serializers.SlugField(max_length=50), max_length=10, allow_empty=True, help_text="Tag names."
    )


class ReclassifySerializer(serializers.Serializer):
    severity = serializers.ChoiceField(choices=Severity.choices)
    reason = serializers.CharField(max_length=2000, help_text="Why; the customer sees it.")


class CallSerializer(serializers.Serializer):
    summary = serializers.CharField(max_length=2000, help_text="What was said on the call to the customer.")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class UpgradeSerializer(ReasonSerializer):
    affected_service = serializers.CharField(
        max_length=200,
        allow_blank=True,
        default="",
        help_text="The unavailable service; defaults to the one the ticket names.",
    )


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TicketStatus.choices)
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="")


# --- messages ---------------------------------------------------------------------------


class AuthorSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "name"]
        read_only_fields = fields


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Access-checked download.")

    class Meta:
        model = Attachment
        fields = ["id", "filename", "size", "content_type", "url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_url(self, attachment: Attachment) -> str:
        return f"/attachments/{attachment.pk}/"


class MessageSerializer(serializers.ModelSerializer):
    author = AuthorSerializer(read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "author", "body", "public", "created_at", "attachments"]
        read_only_fields = fields


class MessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20_000)
    public = serializers.BooleanField(
        default=True, help_text="false: an internal note that customers never see (staff only)."
    )
    attachments = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        max_length=MAX_FILES_PER_MESSAGE,
        help_text="Files (multipart/form-data).",
    )


# --- ratings ----------------------------------------------------------------------------


class TicketRatingSerializer(serializers.ModelSerializer):
    ticket = serializers.IntegerField(source="ticket_id", read_only=True)
    rated_by = AuthorSerializer(read_only=True)

    class Meta:
        model = TicketRating
        fields = ["ticket", "rating", "comment", "rated_by", "created_at"]
        read_only_fields = fields


class TicketRatingCreateSerializer(serializers.Serializer):
    rating = serializers.ChoiceField(choices=Rating.choices)
    comment = serializers.CharField(max_length=2000, allow_blank=True, default="")


# --- canned replies (issue 14) ----------------------------------------------------------------


class CannedReplySerializer(serializers.ModelSerializer):
    class Meta:
        model = CannedReply
        fields = ["id", "title", "body", "updated_at"]
        read_only_fields = fields


class CannedReplyInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=100)
    body = serializers.CharField(
        max_length=5000, help_text="Placeholders: {customer_name}, {ticket_number}, {deadline}."
    )


class CannedReplyFilledSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField(help_text="Filled in for the ticket.")
