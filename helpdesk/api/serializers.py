"""Shapes of the v1 API: input serializers parse and type-check, output serializers render.

No business rule lives here: services validate and write, access.py decides who may.
Bounds on input fields mirror the services' so the schema documents them and absurd values
(10**30, megabytes of text) stop before any query.
"""
from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from helpdesk import access
from helpdesk.models import Account, Attachment, Message, Role, Ticket, TicketStatus, User
from helpdesk.services.accounts import MAX_MONTHLY_FEE, MAX_PASSWORD_LENGTH
from helpdesk.services.attachments import MAX_FILES_PER_MESSAGE
from sla.models import MAX_TARGET_SECONDS, Calendar, Plan, Priority, Severity
from sla.services.plans import (
    MAX_CHAT_SESSION_SECONDS,
    MAX_CLAIM_WINDOW_MONTHS,
    MAX_HOLIDAYS,
    MAX_SHIFTS,
    MAX_TERMINATION_THRESHOLD,
)

HH_MM = "%H:%M"
SLA_STATES = ("running", "at_risk", "met", "missed")


class BlankAsNullChoiceField(serializers.ChoiceField):
    """Renders an unset choice (stored as "") as null."""

    def __init__(self, **kwargs):
        super().__init__(allow_null=True, allow_blank=True, **kwargs)

    def to_representation(self, value):
        return super().to_representation(value) if value else None


class BlankAsNullCharField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(allow_null=True, **kwargs)

    def to_representation(self, value):
        return value or None


# --- auth -------------------------------------------------------------------------------

class AuthTokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=MAX_PASSWORD_LENGTH, trim_whitespace=False, style={"input_type": "password"}
    )


class AuthTokenSerializer(serializers.Serializer):
    token = serializers.CharField(source="key", read_only=True)


# --- calendars --------------------------------------------------------------------------

class OpeningHoursSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday … 6 = Sunday")
    start = serializers.TimeField(format=HH_MM, input_formats=[HH_MM], help_text="HH:MM")
    end = serializers.TimeField(
        format=HH_MM, input_formats=[HH_MM],
        help_text="HH:MM; at or before start runs overnight into the next day",
    )


class CalendarSerializer(serializers.ModelSerializer):
    hours = OpeningHoursSerializer(many=True, read_only=True)
    holidays = serializers.SlugRelatedField(slug_field="date", many=True, read_only=True)

    class Meta:
        model = Calendar
        fields = ["id", "name", "timezone", "hours", "holidays"]
        read_only_fields = fields


class CalendarInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    timezone = serializers.CharField(max_length=64, default="UTC", help_text="IANA time zone")
    hours = OpeningHoursSerializer(
        many=True, default=list, max_length=MAX_SHIFTS,
        help_text="Weekly opening hours; an empty list means open 24x7.",
    )
    holidays = serializers.ListField(
        child=serializers.DateField(), default=list, max_length=MAX_HOLIDAYS,
        help_text="YYYY-MM-DD, years 2000–2100",
    )


# --- plans ------------------------------------------------------------------------------

class PlanSerializer(serializers.ModelSerializer):
    response_targets = serializers.SerializerMethodField(
        help_text='Seconds until Work Started by "priority" or "priority:severity".'
    )

    class Meta:
        model = Plan
        fields = [
            "id", "code", "name", "response_calendar", "uses_severity", "response_targets",
            "chat_calendar", "chat_session_limit", "voucher_percent", "monthly_cap_percent",
            "termination_threshold", "claim_window_months", "at_risk_percent", "version",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(child=serializers.IntegerField()))
    def get_response_targets(self, plan: Plan) -> dict[str, int]:
        return {
            (f"{t.priority}:{t.severity}" if t.severity else t.priority): t.seconds
            for t in plan.response_targets.all()
        }


class PlanInputSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=40)
    name = serializers.CharField(max_length=100)
    response_calendar = serializers.PrimaryKeyRelatedField(
        queryset=Calendar.objects.all(), allow_null=True, default=None,
        help_text="Calendar the Work Started clock counts on; null means 24x7.",
    )
    uses_severity = serializers.BooleanField(default=False)
    response_targets = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_TARGET_SECONDS),
        help_text='Seconds by "general" and "high" (both required), plus "priority:severity" '
        "keys when the plan uses severity.",
    )
    chat_calendar = serializers.PrimaryKeyRelatedField(
        queryset=Calendar.objects.all(), allow_null=True, default=None,
        help_text="Live-chat hours; null means no live chat.",
    )
    chat_session_limit = serializers.IntegerField(
        min_value=1, max_value=MAX_CHAT_SESSION_SECONDS, allow_null=True, default=None,
        help_text="Seconds; null means unlimited.",
    )
    voucher_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, default=Decimal("5.00")
    )
    monthly_cap_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, default=Decimal("100.00")
    )
    termination_threshold = serializers.IntegerField(
        min_value=0, max_value=MAX_TERMINATION_THRESHOLD, default=5
    )
    claim_window_months = serializers.IntegerField(
        min_value=0, max_value=MAX_CLAIM_WINDOW_MONTHS, default=1
    )
    at_risk_percent = serializers.IntegerField(min_value=1, max_value=100, default=80)


# --- accounts and users -----------------------------------------------------------------

class AccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["id", "name", "plan", "monthly_fee", "currency", "is_active"]
        read_only_fields = fields


class AccountInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    plan = serializers.PrimaryKeyRelatedField(queryset=Plan.objects.all())
    monthly_fee = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, max_value=MAX_MONTHLY_FEE
    )
    currency = serializers.CharField(
        min_length=3, max_length=3, default="USD", help_text="ISO 4217 code, e.g. USD"
    )
    is_active = serializers.BooleanField(default=True)


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "first_name", "last_name", "role", "account", "is_active"]
        read_only_fields = fields


class UserCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        write_only=True, max_length=MAX_PASSWORD_LENGTH, trim_whitespace=False,
        style={"input_type": "password"},
    )
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices)
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(), allow_null=True, default=None,
        help_text="Required for customers; must be empty for staff.",
    )
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


# --- tickets ----------------------------------------------------------------------------

class TicketSerializer(serializers.ModelSerializer):
    account = serializers.IntegerField(source="account_id", read_only=True)
    plan = serializers.IntegerField(source="plan_id", read_only=True)
    plan_code = serializers.SerializerMethodField(help_text="The plan in force at creation.")
    severity = BlankAsNullChoiceField(choices=Severity.choices, read_only=True)
    downgraded_from = BlankAsNullChoiceField(
        choices=[(Priority.HIGH.value, Priority.HIGH.label)], read_only=True,
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

    class Meta:
        model = Ticket
        fields = [
            "id", "account", "subject", "description", "priority", "severity",
            "service_unavailable", "affected_service", "status", "plan", "plan_code",
            "created_at", "clock_started_at", "work_started_target", "work_started_deadline",
            "at_risk_at",
            "work_started_at", "sla_state", "previous_deadline", "downgraded_from",
            "downgrade_reason", "resolved_at", "closed_at", "chat",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_plan_code(self, ticket: Ticket) -> str:
        return ticket.promise.get("plan", "")

    @extend_schema_field(serializers.ChoiceField(choices=SLA_STATES))
    def get_sla_state(self, ticket: Ticket) -> str:
        return ticket.sla_state(self.context["now"])

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_chat(self, ticket: Ticket) -> int | None:
        if hasattr(ticket, "from_chat_id"):  # annotated by the selectors, for this user
            return ticket.from_chat_id
        # A ticket straight from a service (e.g. the one an escalation just opened).
        return (
            access.chats_visible_to(self.context["request"].user)
            .filter(ticket_id=ticket.pk).values_list("pk", flat=True).first()
        )


class TicketCreateSerializer(serializers.Serializer):
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.none(), required=False,
        help_text="Required for staff; customers always open tickets for their own account "
        "and this field is ignored.",
    )
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20_000)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.GENERAL)
    severity = serializers.ChoiceField(
        choices=Severity.choices, allow_blank=True, default="",
        help_text="Used by plans whose targets depend on severity.",
    )
    service_unavailable = serializers.BooleanField(
        default=False, help_text="High priority: the customer confirms the service is down."
    )
    affected_service = serializers.CharField(max_length=200, allow_blank=True, default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.context.get("request") and self.context["request"].user
        if user is not None:
            if access.is_customer(user):
                self.fields.pop("account")
            else:
                self.fields["account"].queryset = access.accounts_visible_to(user)

    def validate(self, attrs):
        if "account" in self.fields and attrs.get("account") is None:
            raise serializers.ValidationError(
                {"account": ["Say which account the ticket is for."]}
            )
        return attrs


class TicketFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[*TicketStatus.choices, ("open", "Open")], required=False,
        help_text='A status, or "open" for every status before resolved.',
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    account = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, help_text="Account id (staff)."
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class UpgradeSerializer(ReasonSerializer):
    affected_service = serializers.CharField(
        max_length=200, allow_blank=True, default="",
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
        child=serializers.FileField(), required=False, default=list,
        max_length=MAX_FILES_PER_MESSAGE, help_text="Files (multipart/form-data).",
    )
