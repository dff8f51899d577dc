"""Billing records: subscription terms over time, claims, vouchers, invoices and termination.

Amounts are Decimal with the currency beside them, stored with three decimals so that
every ISO 4217 minor unit fits; billing.money rounds them to the currency's own unit.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from helpdesk.accounts.models import Account
from sla.clocks.models import ExclusionKind, Miss
from sla.terms.models import Plan, PlanVersion, default_response_penalty, default_uptime_terms
from sla.uptime.measure import percent_text
from sla.uptime.models import UptimeShortfall

AMOUNT = {"max_digits": 15, "decimal_places": 3}


class Subscription(models.Model):
    """An account's terms from a month on: plan, monthly fee and currency.

    A month is billed on the latest term that started on or before its first day; without
    any term, on the account's own plan and fee. A term never starts in a month whose
    money has moved (a voucher or an invoice), so it cannot rewrite an issued month.
    A term keeps the plan version in force when it was agreed (`plan_version`): later plan
    edits reach the account at its next term (or renewal), never during this one.
    """

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="subscriptions")
    starts_on = models.DateField(help_text="The first day of the first month on these terms.")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    plan_version = models.ForeignKey(
        PlanVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The version of the plan this term keeps (empty only for a term made before versions).",
    )
    monthly_fee = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["account", "-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["account", "starts_on"], name="subscription_one_per_start"),
            models.CheckConstraint(condition=Q(monthly_fee__gte=0), name="subscription_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.account} from {self.starts_on:%Y-%m}: {self.monthly_fee} {self.currency}"


class AccountMonth(models.Model):
    """One account's calendar month (support time zone): the terms it is billed on and its flag.

    The terms are copied from the subscription when the month is first needed, and stay:
    editing a plan later never changes a month's cap or the voucher already issued.
    """

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="billing_months")
    month = models.CharField(max_length=7, help_text="YYYY-MM in the support time zone.")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    monthly_fee = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    voucher_percent = models.DecimalField(max_digits=5, decimal_places=2)
    monthly_cap_percent = models.DecimalField(max_digits=5, decimal_places=2)
    termination_threshold = models.PositiveSmallIntegerField(null=True, blank=True)
    claim_window_months = models.PositiveSmallIntegerField(null=True, blank=True)
    # --- money terms (issue 12): copied like the rest, so a later plan edit never reprices the month
    compensation = models.CharField(max_length=16, default="claim")
    response_penalty = models.JSONField(default=default_response_penalty)
    # --- terms pinned to the term (issue 12): the version the month's terms were copied from
    plan_version = models.ForeignKey(
        PlanVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uptime_terms = models.JSONField(default=default_uptime_terms)
    termination_eligible = models.BooleanField(
        default=False, help_text="More counted misses than the threshold: may terminate without penalty."
    )
    eligible_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "account"]
        constraints = [
            models.UniqueConstraint(fields=["account", "month"], name="accountmonth_one_per_month"),
            models.CheckConstraint(
                condition=Q(termination_eligible=False) | Q(eligible_since__isnull=False),
                name="accountmonth_eligible_has_since",
            ),
        ]
        indexes = [
            models.Index(
                fields=["month"],
                name="accountmonth_eligible",
                condition=Q(termination_eligible=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.month}"


class ClaimStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"


class DecisionReason(models.TextChoices):
    """Why a claim is denied: SPEC's exclusions, declared and decided on review."""

    SCHEDULED_MAINTENANCE = ExclusionKind.SCHEDULED_MAINTENANCE.value, "Scheduled maintenance"
    EMERGENCY_MAINTENANCE = ExclusionKind.EMERGENCY_MAINTENANCE.value, "Emergency maintenance"
    FORCE_MAJEURE = ExclusionKind.FORCE_MAJEURE.value, "Force majeure"
    CLOUD_PROVIDER = ExclusionKind.CLOUD_PROVIDER.value, "Cloud provider failure"
    CUSTOMER_ENVIRONMENT = "customer_environment", "Customer's non-standard environment"
    CUSTOM_CODE = "custom_code", "Custom code"
    INCORRECT_CONFIGURATION = "incorrect_configuration", "Incorrect configuration"
    UNAUTHORISED_CHANGE = "unauthorised_change", "Unauthorised change"
    MAINTENANCE_PREVENTED = "maintenance_prevented", "Maintenance prevented by the customer"
    UNSUPPORTED_EQUIPMENT = "unsupported_equipment", "Unsupported equipment"
    ACCOUNT_IN_ARREARS = "account_in_arrears", "Account in arrears"
    OTHER = "other", "Other"


class ClaimGround(models.TextChoices):
    """What a claim is for: a missed response-time deadline, or an item's month below its guarantee."""

    MISS = "miss", "Missed deadline"
    UPTIME = "uptime", "Uptime shortfall"
    DISPUTE = "dispute", "Dispute: a failure Pledge did not record"


class Claim(models.Model):
    """A customer's application for compensation: for one miss, or for one uptime shortfall, or a
    dispute of a ticket's response that Pledge did not record as a miss.

    Exactly one ground (a database constraint), each claimed once. A dispute names its ticket;
    upholding it records the miss (then set here too) and pays it like any other.
    """

    miss = models.OneToOneField(Miss, null=True, blank=True, on_delete=models.PROTECT, related_name="claim")
    shortfall = models.OneToOneField(
        UptimeShortfall,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claim",
        help_text="The item's month below its uptime guarantee, when the claim is for that.",
    )
    # --- disputes (issue 12): a failure Pledge did not record, on an automatic plan or any other
    disputed_ticket = models.OneToOneField(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dispute",
        help_text="The ticket whose unrecorded response failure the customer disputes.",
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="claims")
    month = models.CharField(
        max_length=7, help_text="The miss's or shortfall's month: whose fee and cap apply."
    )
    status = models.CharField(max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.PENDING)
    note = models.TextField(blank=True, max_length=2000, help_text="What the customer added.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=32, choices=DecisionReason.choices, blank=True)
    decision_note = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="claim_status_created"),
            models.Index(fields=["account", "month"], name="claim_account_month"),
        ]
        constraints = [
            models.CheckConstraint(
                # a dispute gains its miss when it is upheld
                condition=(Q(miss__isnull=False) & Q(shortfall__isnull=True))
                | (Q(miss__isnull=True) & Q(shortfall__isnull=False) & Q(disputed_ticket__isnull=True))
                | (Q(miss__isnull=True) & Q(shortfall__isnull=True) & Q(disputed_ticket__isnull=False)),
                name="claim_one_ground",
            ),
            models.CheckConstraint(condition=Q(status__in=ClaimStatus.values), name="claim_status_valid"),
            models.CheckConstraint(
                condition=(Q(status=ClaimStatus.PENDING) & Q(decided_at__isnull=True))
                | (~Q(status=ClaimStatus.PENDING) & Q(decided_at__isnull=False)),
                name="claim_decided_when_not_pending",
            ),
            models.CheckConstraint(
                condition=~Q(status=ClaimStatus.DENIED) | ~Q(decision_reason=""),
                name="claim_denial_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(decision_reason=DecisionReason.OTHER) | ~Q(decision_note=""),
                name="claim_other_reason_has_note",
            ),
        ]

    def __str__(self) -> str:
        if self.disputed_ticket_id:
            return f"Dispute {self.pk} on ticket {self.disputed_ticket_id} ({self.status})"
        if self.shortfall_id:
            return f"Claim {self.pk} on uptime shortfall {self.shortfall_id} ({self.status})"
        return f"Claim {self.pk} on miss {self.miss_id} ({self.status})"

    @property
    def ground(self) -> str:
        if self.disputed_ticket_id:
            return ClaimGround.DISPUTE
        return ClaimGround.UPTIME if self.shortfall_id else ClaimGround.MISS

    @property
    def subject_ticket_id(self) -> int | None:
        """The ticket the claim is about (a miss's or a dispute's), else None; needs the miss loaded."""
        if self.disputed_ticket_id:
            return self.disputed_ticket_id
        return self.miss.ticket_id if self.miss_id else None

    @property
    def subject(self) -> str:
        """What the claim is for, in words (emails, invoice lines); needs its miss or shortfall loaded."""
        if self.disputed_ticket_id:
            return f"a response failure on ticket #{self.disputed_ticket_id} that Pledge did not record"
        if self.shortfall_id:
            shortfall = self.shortfall
            uptime = percent_text(shortfall.uptime_percent)
            guarantee = percent_text(shortfall.guarantee_percent)
            return (
                f"uptime of {shortfall.item.name} in {shortfall.month}: {uptime}% "
                f"against a {guarantee}% guarantee"
            )
        return f"missed Work Started deadline on ticket #{self.miss.ticket_id}"


class Invoice(models.Model):
    """One account's bill for one month. Issued once and never changed; only its payment is recorded."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="invoices")
    month = models.CharField(max_length=7)
    plan_name = models.CharField(max_length=100)
    # --- the buyer as it stood when the invoice was issued (issue 12): an issued invoice never changes
    buyer_name = models.CharField(max_length=200, blank=True)
    buyer_address = models.TextField(max_length=500, blank=True)
    buyer_tax_id = models.CharField(max_length=40, blank=True)
    currency = models.CharField(max_length=3)
    subscription_amount = models.DecimalField(**AMOUNT)
    voucher_credits = models.DecimalField(**AMOUNT)
    carried_in = models.DecimalField(**AMOUNT, help_text="Credit carried from the previous invoice.")
    credit_applied = models.DecimalField(**AMOUNT)
    total = models.DecimalField(**AMOUNT)
    carried_out = models.DecimalField(**AMOUNT, help_text="Credit left for the next invoice.")
    issued_at = models.DateTimeField()
    due_on = models.DateField()
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-month", "account_id"]
        indexes = [
            models.Index(fields=["account", "-id"], name="invoice_account_latest"),
            models.Index(fields=["due_on"], name="invoice_unpaid_due", condition=Q(paid_at__isnull=True)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["account", "month"], name="invoice_one_per_account_month"),
            models.CheckConstraint(
                condition=Q(total__gte=0) & Q(carried_out__gte=0) & Q(credit_applied__gte=0),
                name="invoice_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Invoice {self.pk}: {self.account} {self.month}"


class InvoiceLineKind(models.TextChoices):
    SUBSCRIPTION = "subscription", "Subscription"
    VOUCHER_CREDIT = "voucher_credit", "Voucher credit"
    CARRIED_CREDIT = "carried_credit", "Credit carried forward"


class InvoiceLine(models.Model):
    """A line of an invoice: the fee (positive) or a credit (negative)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=InvoiceLineKind.choices)
    description = models.CharField(max_length=200)
    amount = models.DecimalField(**AMOUNT)
    voucher = models.ForeignKey(
        "Voucher", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_lines"
    )

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoiceline_position"),
            # A voucher is credited once, ever: two closes cannot both credit it.
            models.UniqueConstraint(
                fields=["voucher"], condition=Q(voucher__isnull=False), name="invoiceline_voucher_once"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=InvoiceLineKind.values), name="invoiceline_kind_valid"
            ),
            models.CheckConstraint(
                condition=(Q(kind=InvoiceLineKind.VOUCHER_CREDIT) & Q(voucher__isnull=False))
                | (~Q(kind=InvoiceLineKind.VOUCHER_CREDIT) & Q(voucher__isnull=True)),
                name="invoiceline_credit_names_voucher",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class Voucher(models.Model):
    """Compensation for one failure, credited on the next invoice.

    It names what it pays for, a miss or an uptime shortfall (each paid once, ever: database
    constraints), and the claim approved for it, or no claim where the plan's compensation is
    automatic and closing the month issued it.
    """

    claim = models.OneToOneField(
        Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="voucher"
    )
    # --- what it pays for (issue 12)
    miss = models.OneToOneField(Miss, null=True, blank=True, on_delete=models.PROTECT, related_name="voucher")
    shortfall = models.OneToOneField(
        UptimeShortfall, null=True, blank=True, on_delete=models.PROTECT, related_name="voucher"
    )
    percent = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, blank=True, help_text="Percent of the fee requested."
    )
    lateness_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="A miss's working seconds late, as priced on the penalty scale."
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="vouchers")
    month = models.CharField(max_length=7, help_text="The claim's month: the fee and cap it counts against.")
    amount = models.DecimalField(**AMOUNT)
    requested_amount = models.DecimalField(
        **AMOUNT, help_text="The plan's percent of the fee, before the cap."
    )
    currency = models.CharField(max_length=3)
    capped = models.BooleanField(default=False, help_text="Cut to what the month's cap had left.")
    issued_at = models.DateTimeField()
    invoice = models.ForeignKey(
        Invoice,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="vouchers",
        help_text="The invoice that credited it; empty until then.",
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(fields=["account", "month"], name="voucher_account_month"),
            models.Index(
                fields=["account", "id"], name="voucher_uncredited", condition=Q(invoice__isnull=True)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(amount__lte=F("requested_amount")),
                name="voucher_amount_within_request",
            ),
            models.CheckConstraint(
                condition=(Q(miss__isnull=False) & Q(shortfall__isnull=True))
                | (Q(miss__isnull=True) & Q(shortfall__isnull=False)),
                name="voucher_pays_one_failure",
            ),
        ]

    def __str__(self) -> str:
        return f"Voucher {self.pk}: {self.amount} {self.currency}"

    @property
    def automatic(self) -> bool:
        return self.claim_id is None

    @property
    def subject(self) -> str:
        """What it pays for, in words; needs its miss or shortfall (and item) loaded."""
        if self.shortfall_id:
            shortfall = self.shortfall
            uptime, guarantee = (
                percent_text(shortfall.uptime_percent),
                percent_text(shortfall.guarantee_percent),
            )
            item = shortfall.item.name
            return f"uptime of {item} in {shortfall.month}: {uptime}% against a {guarantee}% guarantee"
        return f"missed Work Started deadline on ticket #{self.miss.ticket_id}"


class TerminationStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    CONFIRMED = "confirmed", "Confirmed"
    DECLINED = "declined", "Declined"


class TerminationRequest(models.Model):
    """A customer's request to end the subscription without penalty, on the ground of a flagged month."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="termination_requests")
    month = models.CharField(max_length=7, help_text="The flagged month the request relies on.")
    status = models.CharField(
        max_length=16, choices=TerminationStatus.choices, default=TerminationStatus.REQUESTED
    )
    note = models.TextField(blank=True, max_length=2000)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True, max_length=2000)
    ends_on = models.DateField(
        null=True, blank=True, help_text="Last day of the subscription (end of the current period)."
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status__in=[TerminationStatus.REQUESTED, TerminationStatus.CONFIRMED]),
                name="termination_one_open_per_account",
            ),
            models.CheckConstraint(
                condition=Q(status__in=TerminationStatus.values), name="termination_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=TerminationStatus.CONFIRMED) | Q(ends_on__isnull=False),
                name="termination_confirmed_has_end",
            ),
        ]

    def __str__(self) -> str:
        return f"Termination of {self.account} ({self.status})"


class BillingEvent(models.Model):
    """One row of billing's history, for the auditor; `code` is stable, never a translated label."""

    code = models.CharField(max_length=40)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the system acted.",
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="billing_events"
    )
    month = models.CharField(max_length=7, blank=True)
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["account", "month", "at"], name="billingevent_account_month"),
            models.Index(fields=["code", "at"], name="billingevent_code_at"),
        ]

    def __str__(self) -> str:
        return f"{self.code} at {self.at:%Y-%m-%d %H:%M}"
