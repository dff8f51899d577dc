"""The v1 API of billing: claims (approve, deny), vouchers, account months, close-month, invoices
(and their PDF), termination requests (confirm, decline) and subscription terms.

Same conventions as helpdesk.api: token-then-session auth (anonymous is a 401), querysets
from access.py through billing.selectors (another account's object is a 404), a role that
may not act is a 403 decided after the lookup, every write through billing.services.
Money is a decimal string in the currency's minor unit, with the currency beside it.
"""

import operator
import zoneinfo

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import money, selectors
from billing.models import (
    Claim,
    ClaimGround,
    ClaimStatus,
    DecisionReason,
    Invoice,
    InvoiceLineKind,
    Subscription,
    TerminationRequest,
    TerminationStatus,
    Voucher,
)
from billing.pdf import invoice_pdf
from billing.services import terminations
from billing.services.claims import NOTE_MAX, claim_approve, claim_deny, claim_open, claim_open_uptime
from billing.services.invoices import invoice_mark_paid, month_close
from billing.services.months import support_today
from billing.services.subscriptions import subscription_change
from helpdesk import access
from helpdesk.api.serializers import BlankAsNullCharField
from helpdesk.api.views import PledgeAPIMixin
from helpdesk.models import Account
from sla.api import MonthField
from sla.models import Plan
from sla.selectors import is_month

MAX_ID = 2**63 - 1


@extend_schema_field({"type": "string", "format": "decimal", "example": "50.00"})
class MoneyField(serializers.Field):
    """An amount as a decimal string in its currency's minor unit ("1000.00" USD, "1000" JPY)."""

    def __init__(self, attribute: str, *, currency: str = "currency", **kwargs):
        self.amount_of = operator.attrgetter(attribute)
        self.currency_of = operator.attrgetter(currency)
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, instance) -> str:
        return money.format_amount(self.amount_of(instance), self.currency_of(instance))


# --- permissions -----------------------------------------------------------------------------


class MayReadClaims(BasePermission):
    message = "Your role may not see claims."

    def has_permission(self, request, view) -> bool:
        return access.may_read_claims(request.user)


class MayReadMoney(BasePermission):
    message = "Only billing admins and the account's customers see vouchers and invoices."

    def has_permission(self, request, view) -> bool:
        return access.may_read_money(request.user)


class MayDecideClaims(BasePermission):
    message = "Only billing admins decide claims."

    def has_object_permission(self, request, view, obj) -> bool:
        return access.may_decide_claims(request.user)


class MayMarkPaid(BasePermission):
    message = "Only billing admins record payments."

    def has_object_permission(self, request, view, obj) -> bool:
        return access.may_mark_invoices_paid(request.user)


class MayCloseMonths(BasePermission):
    message = "Only billing admins close months."

    def has_permission(self, request, view) -> bool:
        return access.may_close_months(request.user)


class MayReadTerminations(BasePermission):
    message = "Only billing admins and the account's customers see termination requests."

    def has_permission(self, request, view) -> bool:
        return access.may_read_terminations(request.user)


class MayDecideTerminations(BasePermission):
    message = "Only billing admins decide terminations."

    def has_object_permission(self, request, view, obj) -> bool:
        return access.may_decide_terminations(request.user)


class MayReadSubscriptions(BasePermission):
    message = "Only billing admins and the account's customers see subscription terms."

    def has_permission(self, request, view) -> bool:
        return access.may_read_subscriptions(request.user)


class MayReadAccountMonths(BasePermission):
    message = "Your role may not see account months."

    def has_permission(self, request, view) -> bool:
        return access.may_read_account_months(request.user)


# --- claims ----------------------------------------------------------------------------------


class ClaimSerializer(serializers.ModelSerializer):
    ground = serializers.ChoiceField(
        choices=ClaimGround.choices, read_only=True, help_text="What the claim is for: a miss or uptime."
    )
    miss = serializers.IntegerField(
        source="miss_id", read_only=True, allow_null=True, help_text="The miss claimed for, else null."
    )
    ticket = serializers.IntegerField(
        source="miss.ticket_id", read_only=True, allow_null=True, help_text="The miss's ticket, else null."
    )
    uptime_shortfall = serializers.IntegerField(
        source="shortfall_id",
        read_only=True,
        allow_null=True,
        help_text="The uptime shortfall (an item's month below its guarantee) claimed for, else null.",
    )
    item = serializers.IntegerField(
        source="shortfall.item_id", read_only=True,
        allow_null=True,
        help_text="The shortfall's item, else null.",
    )
    account = serializers.IntegerField(source="account_id", read_only=True)
    month = serializers.CharField(
        read_only=True, help_text="The miss's or shortfall's month: whose fee and cap apply."
    )
    status = serializers.ChoiceField(choices=ClaimStatus.choices, read_only=True)
    decision_reason = BlankAsNullCharField(
        read_only=True, help_text="Why the claim was denied (one of the deny reasons), else null."
    )
    decision_note = BlankAsNullCharField(read_only=True)
    note = BlankAsNullCharField(read_only=True, help_text="What the customer added.")
    voucher = serializers.SerializerMethodField(help_text="The voucher an approval issued, else null.")
    capped = serializers.SerializerMethodField(
        help_text="Approved with what the month's cap had left (possibly zero); null until approved."
    )
    proposed_reason = serializers.SerializerMethodField(
        help_text="A denial reason the review suggests (an overdue invoice: account_in_arrears; "
        "a miss excused by a declared period since: its kind), else null."
    )

    class Meta:
        model = Claim
        fields = [
            "id",
            "ground",
            "miss",
            "ticket",
            "uptime_shortfall",
            "item",
            "account",
            "month",
            "status",
            "decision_reason",
            "decision_note",
            "voucher",
            "capped",
            "note",
            "proposed_reason",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_voucher(self, claim: Claim) -> int | None:
        voucher = selectors.voucher_of(claim)
        return voucher.pk if voucher else None

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_capped(self, claim: Claim) -> bool | None:
        voucher = selectors.voucher_of(claim)
        return voucher.capped if voucher else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_proposed_reason(self, claim: Claim) -> str | None:
        return selectors.proposed_reason(claim)


class ClaimCreateSerializer(serializers.Serializer):
    miss = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="The miss to claim for."
    )
    uptime_shortfall = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="Or the uptime shortfall to claim for (an item's ended month below its guarantee).",
    )
    note = serializers.CharField(max_length=NOTE_MAX, allow_blank=True, default="", trim_whitespace=False)

    def validate(self, attrs):
        given = [name for name in ("miss", "uptime_shortfall") if attrs.get(name) is not None]
        if len(given) != 1:
            message = "Give either miss or uptime_shortfall, not both." if given else (
                "Give the miss or the uptime_shortfall to claim for."
            )
            raise serializers.ValidationError({"miss": [message], "uptime_shortfall": [message]})
        return attrs


class ClaimDenySerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=DecisionReason.choices)
    note = serializers.CharField(
        max_length=NOTE_MAX,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        help_text="Required when the reason is other.",
    )


class ClaimFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ClaimStatus.choices, required=False)
    month = MonthField(required=False)
    account = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    miss = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="The miss's claim."
    )
    ticket = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Claims on the misses of one ticket."
    )
    uptime_shortfall = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="The uptime shortfall's claim."
    )
    ground = serializers.ChoiceField(choices=ClaimGround.choices, required=False)


@extend_schema_view(
    list=extend_schema(parameters=[ClaimFilterSerializer]),
    create=extend_schema(request=ClaimCreateSerializer, responses={201: ClaimSerializer}),
)
class ClaimViewSet(PledgeAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Compensation claims: a customer applies for their account's miss or uptime shortfall; billing
    admins decide."""

    serializer_class = ClaimSerializer
    permission_classes = [IsAuthenticated, MayReadClaims]

    def get_queryset(self):
        now = timezone.now()
        if self.action != "list":
            return selectors.claims_for(user=self.request.user, now=now)
        filters = ClaimFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.claims_for(user=self.request.user, now=now, **filters.validated_data)

    def create(self, request):
        access.require(access.may_open_claims(request.user), "Compensation is applied for by the customer.")
        data = self.validated(ClaimCreateSerializer)
        if data.get("uptime_shortfall") is not None:
            shortfall = get_object_or_404(
                selectors.claimable_shortfalls(user=request.user), pk=data["uptime_shortfall"]
            )
            claim = claim_open_uptime(shortfall=shortfall, created_by=request.user, note=data["note"])
        else:
            miss = get_object_or_404(selectors.claimable_misses(user=request.user), pk=data["miss"])
            claim = claim_open(miss=miss, created_by=request.user, note=data["note"])
        return self.render(claim, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ClaimSerializer)
    @action(
        detail=True, methods=["post"], permission_classes=[IsAuthenticated, MayReadClaims, MayDecideClaims]
    )
    def approve(self, request, pk=None):
        """Approve and issue the voucher (capped to what the month has left). Decided already: 409."""
        claim = claim_approve(claim=self.get_object(), actor=request.user)
        return self.render(claim)

    @extend_schema(request=ClaimDenySerializer, responses=ClaimSerializer)
    @action(
        detail=True, methods=["post"], permission_classes=[IsAuthenticated, MayReadClaims, MayDecideClaims]
    )
    def deny(self, request, pk=None):
        """Deny with one of the exclusion reasons (other needs a note). Decided already: 409."""
        claim = self.get_object()
        data = self.validated(ClaimDenySerializer)
        claim = claim_deny(claim=claim, actor=request.user, reason=data["reason"], note=data["note"])
        return self.render(claim)


# --- vouchers --------------------------------------------------------------------------------


class VoucherSerializer(serializers.ModelSerializer):
    account = serializers.IntegerField(source="account_id", read_only=True)
    claim = serializers.IntegerField(source="claim_id", read_only=True)
    miss = serializers.IntegerField(source="claim.miss_id", read_only=True, allow_null=True)
    uptime_shortfall = serializers.IntegerField(source="claim.shortfall_id", read_only=True, allow_null=True)
    amount = MoneyField("amount")
    requested_amount = MoneyField(
        "requested_amount",
        help_text="Before the cap: the plan's percent of the fee, or the uptime scale's credit.",
    )
    invoice = serializers.IntegerField(
        source="invoice_id",
        read_only=True,
        allow_null=True,
        help_text="The invoice that credited it; null until then.",
    )

    class Meta:
        model = Voucher
        fields = [
            "id",
            "account",
            "claim",
            "miss",
            "uptime_shortfall",
            "month",
            "amount",
            "requested_amount",
            "currency",
            "capped",
            "invoice",
            "issued_at",
        ]
        read_only_fields = fields


class VoucherFilterSerializer(serializers.Serializer):
    month = MonthField(required=False)
    account = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    credited = serializers.BooleanField(required=False, allow_null=True, default=None)


@extend_schema_view(list=extend_schema(parameters=[VoucherFilterSerializer]))
class VoucherViewSet(PledgeAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Vouchers: a customer's own account's, every account's for billing admins."""

    serializer_class = VoucherSerializer
    permission_classes = [IsAuthenticated, MayReadMoney]

    def get_queryset(self):
        if self.action != "list":
            return selectors.vouchers_for(user=self.request.user)
        filters = VoucherFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.vouchers_for(user=self.request.user, **filters.validated_data)


# --- invoices --------------------------------------------------------------------------------


class InvoiceLineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=InvoiceLineKind.choices)
    description = serializers.CharField()
    amount = MoneyField("amount", currency="invoice.currency", help_text="Credits are negative.")
    voucher = serializers.IntegerField(source="voucher_id", allow_null=True)


class InvoiceSerializer(serializers.ModelSerializer):
    account = serializers.IntegerField(source="account_id", read_only=True)
    lines = InvoiceLineSerializer(many=True, read_only=True)
    subscription_amount = MoneyField("subscription_amount")
    voucher_credits = MoneyField("voucher_credits")
    carried_in = MoneyField("carried_in", help_text="Credit carried forward from the previous invoice.")
    credit_applied = MoneyField("credit_applied")
    total = MoneyField("total", help_text="Never below zero.")
    carried_out = MoneyField("carried_out", help_text="Credit left over, carried to the next invoice.")
    paid = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = [
            "id",
            "account",
            "month",
            "lines",
            "subscription_amount",
            "voucher_credits",
            "carried_in",
            "credit_applied",
            "total",
            "carried_out",
            "currency",
            "issued_at",
            "due_on",
            "paid",
            "paid_at",
        ]
        read_only_fields = fields

    def get_paid(self, invoice: Invoice) -> bool:
        return invoice.paid_at is not None


class InvoiceFilterSerializer(serializers.Serializer):
    month = MonthField(required=False)
    account = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    status = serializers.ChoiceField(choices=["paid", "unpaid", "overdue"], required=False)


class PDFNegotiation(BaseContentNegotiation):
    """The PDF is sent whatever the client says it accepts; when it cannot be, the error is JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def viewer_zone(user) -> zoneinfo.ZoneInfo:
    """The zone the invoice page prints in for this user (helpdesk.middleware's rule): their own, else
    the support zone. An API request authenticates by token after the middleware ran, so it is read here."""
    try:
        return zoneinfo.ZoneInfo(user.timezone) if user.timezone else timezone.get_default_timezone()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


@extend_schema_view(list=extend_schema(parameters=[InvoiceFilterSerializer]))
class InvoiceViewSet(PledgeAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Invoices: a customer's own account's, every account's for billing admins. Never changed once issued."""

    serializer_class = InvoiceSerializer
    permission_classes = [IsAuthenticated, MayReadMoney]

    def get_queryset(self):
        if self.action != "list":
            return selectors.invoices_for(user=self.request.user)
        filters = InvoiceFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.invoices_for(user=self.request.user, today=support_today(), **filters.validated_data)

    @extend_schema(request=None, responses=InvoiceSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="mark-paid",
        permission_classes=[IsAuthenticated, MayReadMoney, MayMarkPaid],
    )
    def mark_paid(self, request, pk=None):
        """Record the payment (billing admins). Paid already: 409."""
        invoice = invoice_mark_paid(invoice=self.get_object(), actor=request.user)
        return self.render(invoice)

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        description="The invoice as a PDF: the same file as the invoice page's download, as an attachment.",
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[JSONRenderer],
        content_negotiation_class=PDFNegotiation,
    )
    def pdf(self, request, pk=None):
        invoice = selectors.invoice_for(user=request.user, pk=pk)
        body = invoice_pdf(
            invoice=invoice,
            lines=list(invoice.lines.all()),
            account_name=invoice.account.name,
            zone=viewer_zone(request.user),
        )
        response = HttpResponse(body, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="pledge-invoice-{invoice.pk}-{invoice.month}.pdf"'
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


# --- termination requests --------------------------------------------------------------------


class TerminationRequestSerializer(serializers.ModelSerializer):
    account = serializers.IntegerField(source="account_id", read_only=True)
    month = serializers.CharField(read_only=True, help_text="The flagged month the request relies on.")
    status = serializers.ChoiceField(choices=TerminationStatus.choices, read_only=True)
    note = BlankAsNullCharField(read_only=True, help_text="What the customer added.")
    decision_note = BlankAsNullCharField(read_only=True, help_text="What the billing admin said, deciding.")
    ends_on = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="Confirmed: the subscription's last day (the end of the period running then), else null.",
    )

    class Meta:
        model = TerminationRequest
        fields = [
            "id",
            "account",
            "month",
            "status",
            "note",
            "requested_at",
            "decided_at",
            "decision_note",
            "ends_on",
        ]
        read_only_fields = fields


class TerminationRequestCreateSerializer(serializers.Serializer):
    month = MonthField(
        help_text='"YYYY-MM": a month of the account flagged as allowing termination without penalty.'
    )
    note = serializers.CharField(
        max_length=terminations.NOTE_MAX, allow_blank=True, default="", trim_whitespace=False
    )


class TerminationConfirmSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=terminations.NOTE_MAX, allow_blank=True, default="", trim_whitespace=False
    )


class TerminationDeclineSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=terminations.NOTE_MAX, trim_whitespace=False, help_text="Why the request is declined."
    )


class TerminationFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TerminationStatus.choices, required=False)


@extend_schema_view(
    list=extend_schema(parameters=[TerminationFilterSerializer]),
    create=extend_schema(
        request=TerminationRequestCreateSerializer, responses={201: TerminationRequestSerializer}
    ),
)
class TerminationRequestViewSet(
    PledgeAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Termination without penalty: the account's customer asks on the ground of a flagged month (one
    request open at a time: 409), a billing admin confirms or declines (decided already: 409)."""

    serializer_class = TerminationRequestSerializer
    permission_classes = [IsAuthenticated, MayReadTerminations]

    def get_queryset(self):
        if self.action != "list":
            return selectors.termination_requests_for(user=self.request.user)
        filters = TerminationFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.termination_requests_for(user=self.request.user, **filters.validated_data)

    def create(self, request):
        user = request.user
        account = user.account if access.is_customer(user) else None
        access.require(
            account is not None and access.may_request_termination(user, account),
            "Termination is requested by the account's customer.",
        )
        data = self.validated(TerminationRequestCreateSerializer)
        termination = terminations.termination_request(
            account=account, month=data["month"], requested_by=user, note=data["note"]
        )
        return self.render(termination, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=TerminationConfirmSerializer, responses=TerminationRequestSerializer)
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated, MayReadTerminations, MayDecideTerminations],
    )
    def confirm(self, request, pk=None):
        """Confirm: the subscription ends at the end of the period now running (ends_on), with no fee."""
        termination = self.get_object()
        data = self.validated(TerminationConfirmSerializer)
        termination = terminations.termination_confirm(
            request=termination, actor=request.user, note=data["note"]
        )
        return self.render(termination)

    @extend_schema(request=TerminationDeclineSerializer, responses=TerminationRequestSerializer)
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated, MayReadTerminations, MayDecideTerminations],
    )
    def decline(self, request, pk=None):
        """Decline, saying why (a note is required); the customer may ask again."""
        termination = self.get_object()
        data = self.validated(TerminationDeclineSerializer)
        termination = terminations.termination_decline(
            request=termination, actor=request.user, note=data["note"]
        )
        return self.render(termination)


# --- subscription terms ------------------------------------------------------------------------


class VisibleAccountField(serializers.PrimaryKeyRelatedField):
    """An account the caller may see (access.accounts_visible_to); any other id is "does not exist"."""

    def get_queryset(self):
        return access.accounts_visible_to(self.context["request"].user)


@extend_schema_field({"type": "string", "format": "decimal", "example": "1000.00"})
class DecimalStringField(serializers.DecimalField):
    """Money in: a decimal string only. A JSON number may already have lost digits on its way here."""

    default_error_messages = {"not_a_string": 'Give the amount as a decimal string, e.g. "1000.00".'}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class SubscriptionSerializer(serializers.ModelSerializer):
    account = serializers.IntegerField(source="account_id", read_only=True)
    plan = serializers.IntegerField(source="plan_id", read_only=True)
    monthly_fee = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        help_text="As agreed and stored, with two decimals like an account's monthly_fee.",
    )
    note = BlankAsNullCharField(read_only=True)

    class Meta:
        model = Subscription
        fields = ["id", "account", "starts_on", "plan", "monthly_fee", "currency", "note", "created_at"]
        read_only_fields = fields


class SubscriptionCreateSerializer(serializers.Serializer):
    account = VisibleAccountField(queryset=Account.objects.none())
    starts_on = serializers.DateField(
        help_text="The first day of the first month on these terms; not in a month already billed "
        "(a voucher or an invoice)."
    )
    plan = serializers.PrimaryKeyRelatedField(queryset=Plan.objects.all())
    monthly_fee = DecimalStringField(max_digits=12, decimal_places=2)
    currency = serializers.CharField(
        max_length=3, required=False, help_text="ISO 4217 code, e.g. USD; the account's when left out."
    )
    note = serializers.CharField(max_length=200, allow_blank=True, default="", trim_whitespace=False)


class SubscriptionFilterSerializer(serializers.Serializer):
    account = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)


@extend_schema_view(
    list=extend_schema(parameters=[SubscriptionFilterSerializer]),
    create=extend_schema(request=SubscriptionCreateSerializer, responses={201: SubscriptionSerializer}),
)
class SubscriptionViewSet(
    PledgeAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Subscription terms over time: a plan and a monthly fee from a month on. Billing admins read every
    account's and add terms; a customer reads their own account's. Terms starting on the same day as
    existing ones replace them."""

    serializer_class = SubscriptionSerializer
    permission_classes = [IsAuthenticated, MayReadSubscriptions]

    def get_queryset(self):
        if self.action != "list":
            return selectors.subscriptions_for(user=self.request.user)
        filters = SubscriptionFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.subscriptions_for(user=self.request.user, **filters.validated_data)

    def create(self, request):
        access.require(
            access.may_manage_subscriptions(request.user), "Only billing admins change subscriptions."
        )
        data = self.validated(SubscriptionCreateSerializer)
        subscription = subscription_change(
            account=data["account"],
            starts_on=data["starts_on"],
            plan=data["plan"],
            monthly_fee=data["monthly_fee"],
            currency=data.get("currency"),
            actor=request.user,
            note=data["note"],
        )
        return self.render(subscription, status_code=status.HTTP_201_CREATED)


# --- close a month ---------------------------------------------------------------------------


class CloseMonthSerializer(serializers.Serializer):
    month = MonthField(help_text='"YYYY-MM" in the support time zone; allowed from its first day on.')


class MonthCloseResponseSerializer(serializers.Serializer):
    month = serializers.CharField()
    issued = serializers.IntegerField(help_text="Invoices this call issued (0 when run again).")
    already_issued = serializers.IntegerField(help_text="Invoices of the month that existed before.")
    count = serializers.IntegerField(help_text="All the month's invoices you may see.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = InvoiceSerializer(many=True)


class CloseMonthView(PledgeAPIMixin, generics.GenericAPIView):
    """Close a month: issue its invoices (idempotent) and return them, paginated like /invoices/."""

    serializer_class = InvoiceSerializer
    permission_classes = [IsAuthenticated, MayCloseMonths]

    def get_queryset(self):
        return selectors.invoices_for(user=self.request.user)

    @extend_schema(request=CloseMonthSerializer, responses=MonthCloseResponseSerializer)
    def post(self, request):
        month = self.validated(CloseMonthSerializer)["month"]
        result = month_close(month=month, actor=request.user)
        invoices = selectors.invoices_for(user=request.user, month=month)
        page = self.paginate_queryset(invoices)
        paginated = self.get_paginated_response(self.get_serializer(page, many=True).data).data
        base = request.build_absolute_uri("/api/v1/invoices/")
        paginator = self.paginator
        return Response(
            {
                "month": month,
                "issued": result.issued,
                "already_issued": result.already_issued,
                "count": paginated["count"],
                "next": f"{base}?month={month}&page={paginator.page.next_page_number()}"
                if paginator.page.has_next()
                else None,
                "previous": None,
                "results": paginated["results"],
            }
        )


# --- the account's month ---------------------------------------------------------------------


class AccountMonthSerializer(serializers.Serializer):
    account = serializers.IntegerField(source="account.pk")
    month = serializers.CharField()
    plan = serializers.CharField(source="plan_name", help_text="The plan the month is billed on.")
    monthly_fee = MoneyField("monthly_fee")
    currency = serializers.CharField()
    misses = serializers.IntegerField(help_text="Misses recorded in the month, counted or not.")
    counted_misses = serializers.IntegerField(help_text="Misses that count: not excluded, not voided.")
    counted_uptime_shortfalls = serializers.IntegerField(
        source="counted_shortfalls",
        help_text="Items whose month fell below their uptime guarantee, where that counts toward "
        "termination.",
    )
    termination_threshold = serializers.IntegerField(
        help_text="More counted failures (counted misses plus counted uptime shortfalls) than this: eligible."
    )
    termination_eligible = serializers.BooleanField()
    eligible_since = serializers.DateTimeField(allow_null=True)
    vouchers_total = MoneyField("vouchers_total")
    cap = MoneyField("cap", help_text="The most the month's vouchers may add up to.")
    cap_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    cap_used = MoneyField("cap_used")
    cap_remaining = MoneyField("cap_remaining")
    claims = serializers.SerializerMethodField()

    @extend_schema_field(
        inline_serializer(
            "AccountMonthClaims",
            {
                "pending": serializers.IntegerField(),
                "approved": serializers.IntegerField(),
                "denied": serializers.IntegerField(),
            },
        )
    )
    def get_claims(self, summary) -> dict:
        return {
            "pending": summary.claims_pending,
            "approved": summary.claims_approved,
            "denied": summary.claims_denied,
        }


class AccountMonthView(PledgeAPIMixin, APIView):
    """One account's month: misses, counted misses, termination eligibility, vouchers and the cap."""

    permission_classes = [IsAuthenticated, MayReadAccountMonths]

    @extend_schema(
        responses=AccountMonthSerializer,
        parameters=[
            OpenApiParameter("month", OpenApiTypes.STR, OpenApiParameter.PATH, description="YYYY-MM")
        ],
    )
    def get(self, request, account_id: int, month: str):
        account = selectors.account_for(user=request.user, pk=account_id)
        if not is_month(month):
            raise serializers.ValidationError(
                {"month": ["Give a month as YYYY-MM, between 2000-01 and 2100-12."]}
            )
        summary = selectors.account_month_summary(account=account, month=month)
        return Response(AccountMonthSerializer(summary).data)
