"""Exclusion periods and misses: the clock's record of promises kept and broken."""

from django.db import models
from django.db.models import Q

from sla.terms.models import Priority


class ExclusionKind(models.TextChoices):
    SCHEDULED_MAINTENANCE = "scheduled_maintenance", "Scheduled maintenance"
    EMERGENCY_MAINTENANCE = "emergency_maintenance", "Emergency maintenance"
    FORCE_MAJEURE = "force_majeure", "Force majeure"
    CLOUD_PROVIDER = "cloud_provider", "Cloud provider failure"


class ExclusionPeriodQuerySet(models.QuerySet):
    def in_force(self):
        """Periods not cancelled: the ones that pause clocks and excuse downtime."""
        return self.filter(cancelled_at__isnull=True)

    def applying_to(self, account_id: int):
        return self.filter(Q(account__isnull=True) | Q(account_id=account_id))


class ExclusionPeriod(models.Model):
    """A declared period that pauses the response clocks of the accounts it applies to.

    Never deleted: a cancelled period keeps its record and stops counting. `events` is its own
    history, `[{at, actor, action, detail}]`, appended under the row lock.
    """

    kind = models.CharField(max_length=32, choices=ExclusionKind.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    account = models.ForeignKey(
        "accounts.Account",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="exclusion_periods",
        help_text="Empty: applies to every account.",
    )
    provider = models.CharField(max_length=100, blank=True)
    provider_sla_url = models.URLField(blank=True)
    note = models.TextField(blank=True, max_length=2000)
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancel_reason = models.TextField(blank=True, max_length=2000)
    events = models.JSONField(default=list, blank=True)

    objects = ExclusionPeriodQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="exclusion_span")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="exclusion_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="cloud_provider") | ~models.Q(provider=""),
                name="exclusion_cloud_names_provider",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


class Miss(models.Model):
    """A broken promise: a Work Started clock that reached its deadline unstopped. One per clock."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="misses")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="misses")
    deadline_version = models.PositiveIntegerField(help_text="Which clock of the ticket this was.")
    priority = models.CharField(max_length=20, choices=Priority.choices)
    target_seconds = models.PositiveIntegerField()
    clock_started_at = models.DateTimeField()
    deadline = models.DateTimeField(
        help_text="The deadline extended by the exclusion periods that paused it."
    )
    excused_seconds = models.PositiveIntegerField(
        default=0, help_text="Clock time paused by exclusion periods (wall-clock seconds)."
    )
    lateness_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Working seconds from the extended deadline to the response."
    )
    recorded_at = models.DateTimeField()
    month = models.CharField(max_length=7, help_text="YYYY-MM of the deadline, support time zone.")
    counted = models.BooleanField(default=True)
    excluded_reason = models.CharField(max_length=200, blank=True)
    exclusion_period = models.ForeignKey(
        ExclusionPeriod, null=True, blank=True, on_delete=models.SET_NULL, related_name="misses"
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    void_reason = models.TextField(blank=True)
    # --- money terms (issue 12): a contract exclusion found on review (a claim denied for it, or
    # staff excluding the failure directly); declared periods coming or going never count it again.
    decision_reason = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-deadline"]
        verbose_name_plural = "misses"
        indexes = [
            models.Index(fields=["account", "month"], name="miss_account_month"),
            models.Index(fields=["month", "counted"], name="miss_month_counted"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "deadline_version"], name="miss_one_per_clock"),
            models.CheckConstraint(
                condition=models.Q(counted=False) | models.Q(excluded_reason=""),
                name="miss_counted_has_no_exclusion",
            ),
        ]

    def __str__(self) -> str:
        return f"Miss on ticket {self.ticket_id} (deadline {self.deadline:%Y-%m-%d %H:%M})"

    @property
    def voided(self) -> bool:
        return self.voided_at is not None

    @property
    def lateness(self):
        return self.recorded_at - self.deadline


class SweepHeartbeat(models.Model):
    """One row: when the miss sweep last ran, so /healthz can say whether the timers are alive."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="clocks_one_sweep_heartbeat")]

    def __str__(self) -> str:
        return f"sweep ran at {self.at:%Y-%m-%d %H:%M:%S}"


class UpdateLapse(models.Model):
    """A progress update (seed 004) that fell due with no public staff update: one per due instant.

    Recorded by the sweep; it earns no money and does not count toward termination. It is shown
    on the ticket, in the SLA report and on the month's statement.
    """

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="update_lapses")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="update_lapses")
    since = models.DateTimeField(help_text="Where the clock that lapsed counted from.")
    due_at = models.DateTimeField(help_text="When the update fell due (extended by exclusion periods).")
    recorded_at = models.DateTimeField()
    month = models.CharField(max_length=7, help_text="YYYY-MM of the due instant, support time zone.")

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["account", "month"], name="updatelapse_account_month")]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "due_at"], name="updatelapse_one_per_due_instant"),
            models.CheckConstraint(
                condition=models.Q(due_at__gt=models.F("since")), name="updatelapse_due_after_since"
            ),
        ]

    def __str__(self) -> str:
        return f"Update lapse on ticket {self.ticket_id} (due {self.due_at:%Y-%m-%d %H:%M})"
