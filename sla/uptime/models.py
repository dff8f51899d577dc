"""Uptime (seed 004): downtime of an account's covered items, maintenance windows and shortfalls.

The items themselves are the account's (helpdesk.accounts.models.MonitoredItem), so tickets can
name the item they are about.
"""

from django.db import models
from django.db.models import F, Q

from helpdesk.accounts.models import MonitoredItem
from sla.clocks.models import ExclusionPeriod

PERCENT = {"max_digits": 7, "decimal_places": 4}
AMOUNT = {"max_digits": 15, "decimal_places": 3}


class DowntimeSource(models.TextChoices):
    PROBE = "probe", "Automated probe"
    MANUAL = "manual", "Recorded by staff"


class DowntimeQuerySet(models.QuerySet):
    def live(self):
        """Not voided: what uptime is measured from."""
        return self.filter(voided_at__isnull=True)

    def overlapping(self, start, end):
        """Records with any minute in [start, end); an open record runs until now."""
        return self.filter(starts_at__lt=end).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=start))


class Downtime(models.Model):
    """A stretch of time an item was unavailable, to the minute. Open (no end) while it lasts."""

    item = models.ForeignKey(MonitoredItem, on_delete=models.PROTECT, related_name="downtimes")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="downtimes")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=8, choices=DowntimeSource.choices)
    note = models.TextField(blank=True, max_length=2000)
    tickets = models.ManyToManyField("tickets.Ticket", blank=True, related_name="downtimes")
    created_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the probe recorded it.",
    )
    created_at = models.DateTimeField()
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    void_reason = models.TextField(blank=True, max_length=2000)

    objects = DowntimeQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["item", "starts_at"], name="downtime_item_start"),
            models.Index(fields=["account", "starts_at"], name="downtime_account_start"),
            models.Index(fields=["starts_at", "ends_at"], name="downtime_span"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="downtime_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(ends_at__isnull=True, voided_at__isnull=True),
                name="downtime_one_open_per_item",
            ),
            models.CheckConstraint(
                condition=Q(source__in=DowntimeSource.values), name="downtime_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True) | ~Q(void_reason=""), name="downtime_void_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} down from {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.ends_at is None and self.voided_at is None

    @property
    def voided(self) -> bool:
        return self.voided_at is not None


class DowntimeEvent(models.Model):
    """One row of a downtime's history (opened, closed, recorded, corrected, annotated, ...)."""

    downtime = models.ForeignKey(Downtime, on_delete=models.CASCADE, related_name="events")
    code = models.CharField(max_length=40)
    actor = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the probe acted.",
    )
    at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["downtime", "at"], name="downtimeevent_downtime_at")]

    def __str__(self) -> str:
        return f"{self.code} on downtime {self.downtime_id}"


class MaintenanceKind(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled (agreed in advance)"
    EMERGENCY = "emergency", "Emergency"


class MaintenanceWindow(models.Model):
    """Maintenance of one item (or every item of the account).

    Scheduled windows are created before they start and excluded from the item's uptime.
    An emergency window is recorded when it happens or after, and declared as an exclusion
    period of kind emergency_maintenance: SPEC's exclusion rules decide what it excuses.
    """

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="maintenance_windows"
    )
    item = models.ForeignKey(
        MonitoredItem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="maintenance_windows",
        help_text="Empty: every item of the account.",
    )
    kind = models.CharField(max_length=12, choices=MaintenanceKind.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.TextField(blank=True, max_length=2000)
    exclusion_period = models.OneToOneField(
        ExclusionPeriod, null=True, blank=True, on_delete=models.SET_NULL, related_name="maintenance_window"
    )
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["account", "starts_at"], name="maintenance_account_start"),
            models.Index(fields=["starts_at", "ends_at"], name="maintenance_span"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="maintenance_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=MaintenanceKind.values), name="maintenance_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind=MaintenanceKind.EMERGENCY) | Q(created_at__lt=F("starts_at")),
                name="maintenance_scheduled_in_advance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} maintenance {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


class UptimeShortfall(models.Model):
    """An item's month below its guarantee: the figures, and the credit the sliding scale gives.

    Written by the month's assessment (sla.uptime.services.assessment.uptime_month_assess) and kept up to
    date while the month can still change; `active` drops when a correction lifts the month
    back to its guarantee. The credit shares the cap with the account's other items of the
    month (in the order of their ids) and, where the terms say so, with response-time vouchers.
    """

    item = models.ForeignKey(MonitoredItem, on_delete=models.PROTECT, related_name="shortfalls")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="uptime_shortfalls"
    )
    month = models.CharField(max_length=7, help_text="YYYY-MM in the support time zone.")
    active = models.BooleanField(default=True, help_text="The month is (still) below the guarantee.")
    counted = models.BooleanField(
        default=True,
        help_text="Counts as a failure toward termination (active, and the terms say so).",
    )
    guarantee_percent = models.DecimalField(**PERCENT)
    uptime_percent = models.DecimalField(**PERCENT)
    month_minutes = models.PositiveIntegerField()
    excluded_minutes = models.PositiveIntegerField()
    counted_minutes = models.PositiveIntegerField()
    downtime_minutes = models.PositiveIntegerField()
    permitted_minutes = models.DecimalField(max_digits=12, decimal_places=4)
    excess_minutes = models.DecimalField(max_digits=12, decimal_places=4)
    started_hours = models.PositiveIntegerField()
    credit_percent_requested = models.DecimalField(
        max_digits=9, decimal_places=4, help_text="What the tiers give, before any cap."
    )
    credit_percent = models.DecimalField(**PERCENT, help_text="After the month's uptime cap.")
    monthly_fee = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    credit_amount_requested = models.DecimalField(**AMOUNT)
    credit_amount = models.DecimalField(**AMOUNT, help_text="After every cap that applies.")
    capped = models.BooleanField(default=False)
    shares_voucher_cap = models.BooleanField(default=False)
    final = models.BooleanField(default=False, help_text="Assessed after the month ended.")
    assessed_at = models.DateTimeField()
    created_at = models.DateTimeField()
    # --- exclusions found on review (issue 12): the contract does not count this failure
    decision_reason = models.CharField(
        max_length=32,
        blank=True,
        help_text="The exclusion reason it was denied for (a stable code); it never counts again.",
    )
    excluded_reason = models.CharField(
        max_length=200, blank=True, help_text="Why it stopped counting, in words."
    )

    class Meta:
        ordering = ["-month", "account", "item"]
        indexes = [
            models.Index(fields=["account", "month"], name="shortfall_account_month"),
            models.Index(fields=["month", "counted"], name="shortfall_month_counted"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["item", "month"], name="shortfall_one_per_item_month"),
            models.CheckConstraint(
                condition=Q(active=True) | Q(counted=False), name="shortfall_counted_only_if_active"
            ),
            models.CheckConstraint(
                condition=Q(credit_amount__gte=0) & Q(credit_amount__lte=F("credit_amount_requested")),
                name="shortfall_credit_within_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.month}: {self.uptime_percent}%"

    @property
    def claimable(self) -> bool:
        """A finished month below guarantee with something to credit, not excluded on review."""
        return self.active and self.final and self.credit_amount > 0 and not self.decision_reason
