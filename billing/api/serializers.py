"""API shapes of claims, vouchers, invoices, months, terminations and subscriptions."""

import operator

from drf_spectacular.utils import (
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers

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
from billing.services import terminations
from billing.services.claims import NOTE_MAX
from billing.services.exclusions import EXCLUSION_REASONS
from helpdesk.accounts import access as accounts_access
from helpdesk.accounts.models import Account
from helpdesk.kit.api import AwareDateTimeField, BlankAsNullCharField, MonthField
from sla.terms.models import Plan

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


# --- claims ----------------------------------------------------------------------------------


class ClaimSerializer(serializers.ModelSerializer):
    ground = serializers.ChoiceField(
        choices=ClaimGround.choices,
        read_only=True,
        help_text="What the claim is for: a miss, uptime, or a dispute of a failure Pledge did not record.",
    )
    miss = serializers.IntegerField(
        source="miss_id", read_only=True, allow_null=True, help_text="The miss claimed for, else null."
    )
    ticket = serializers.IntegerField(
        source="subject_ticket_id",
        read_only=True,
        allow_null=True,
        help_text="The miss's ticket, or the disputed ticket, else null.",
    )
    uptime_shortfall = serializers.IntegerField(
        source="shortfall_id",
        read_only=True,
        allow_null=True,
        help_text="The uptime shortfall (an item's month below its guarantee) claimed for, else null.",
    )
    item = serializers.IntegerField(
        source="shortfall.item_id",
        read_only=True,
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
    ticket = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="Or dispute this ticket's response, which Pledge did not record as a miss (note required).",
    )
    note = serializers.CharField(max_length=NOTE_MAX, allow_blank=True, default="", trim_whitespace=False)

    GROUNDS = ("miss", "uptime_shortfall", "ticket")

    def validate(self, attrs):
        given = [name for name in self.GROUNDS if attrs.get(name) is not None]
        if len(given) != 1:
            message = (
                "Give one of miss, uptime_shortfall or ticket, not several."
                if given
                else "Give the miss or the uptime_shortfall to claim for, or the ticket to dispute."
            )
            raise serializers.ValidationError(dict.fromkeys(self.GROUNDS, [message]))
        return attrs


class ClaimApproveSerializer(serializers.Serializer):
    lateness_seconds = serializers.IntegerField(
        min_value=0,
        max_value=366 * 24 * 3600,
        required=False,
        allow_null=True,
        default=None,
        help_text="A dispute only: working seconds the response came late, as the review found it "
        "(default: measured from the deadline to the response).",
    )


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


# --- vouchers --------------------------------------------------------------------------------


class VoucherSerializer(serializers.ModelSerializer):
    account = serializers.IntegerField(source="account_id", read_only=True)
    claim = serializers.IntegerField(
        source="claim_id", read_only=True, allow_null=True, help_text="null: applied automatically at close."
    )
    miss = serializers.IntegerField(source="miss_id", read_only=True, allow_null=True)
    uptime_shortfall = serializers.IntegerField(source="shortfall_id", read_only=True, allow_null=True)
    automatic = serializers.BooleanField(read_only=True)
    percent = serializers.DecimalField(max_digits=6, decimal_places=2, read_only=True, allow_null=True)
    lateness_seconds = serializers.IntegerField(read_only=True, allow_null=True)
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
            "automatic",
            "month",
            "percent",
            "lateness_seconds",
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


# --- subscription terms ------------------------------------------------------------------------


class VisibleAccountField(serializers.PrimaryKeyRelatedField):
    """An account the caller may see (accounts_visible_to); any other id is "does not exist"."""

    def get_queryset(self):
        return accounts_access.accounts_visible_to(self.context["request"].user)


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
    plan_version = serializers.IntegerField(
        source="plan_version.version",
        read_only=True,
        allow_null=True,
        help_text="The plan version this term keeps (the one in force when it was agreed).",
    )

    class Meta:
        model = Subscription
        fields = [
            "id",
            "account",
            "starts_on",
            "plan",
            "plan_version",
            "monthly_fee",
            "currency",
            "note",
            "created_at",
        ]
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


# --- failures excluded on review, payments (issue 12) ----------------------------------------------


class MissExcludeSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=EXCLUSION_REASONS,
        help_text="A contract exclusion: the deny reasons of claims but arrears and other.",
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class MarkPaidSerializer(serializers.Serializer):
    paid_at = AwareDateTimeField(
        required=False,
        help_text="When the payment arrived (default: now); not in the future, not before its month.",
    )
