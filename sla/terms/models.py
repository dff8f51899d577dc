"""Plans and calendars: what each customer's contract promises, and on which clock."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from sla import calendars

MAX_TARGET_SECONDS = 366 * 24 * 3600
# Progress reports (seed 004) fall due at most this often apart: a working day at least a month.
MAX_PROGRESS_UPDATE_SECONDS = 31 * 24 * 3600
# A clock's target is at most a year, and exclusion periods may push it further: public holidays
# are resolved for the year a clock starts in and the next three.
SNAPSHOT_YEARS = 3


class Priority(models.TextChoices):
    GENERAL = "general", "General"
    HIGH = "high", "High"


class Severity(models.TextChoices):
    FATAL = "fatal", "Fatal"
    SEVERE = "severe", "Severe"
    MEDIUM = "medium", "Medium"
    MINOR = "minor", "Minor"


class Calendar(models.Model):
    """A business calendar: a time zone, weekly opening hours and holidays.

    No opening hours at all means the calendar is open 24x7.
    """

    name = models.CharField(max_length=100, unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    # --- public holidays (issue 11): the `holidays` package's codes, joined to the explicit dates
    holidays_country = models.CharField(
        max_length=3,
        blank=True,
        help_text='Public holidays of this country, e.g. "US" (the holidays package).',
    )
    holidays_subdiv = models.CharField(
        max_length=10,
        blank=True,
        help_text='And of this subdivision of it, e.g. "NY"; empty: the country\'s.',
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def public_holiday_dates(self, years) -> list[dt.date]:
        if not self.holidays_country:
            return []
        return sorted(calendars.public_holidays(self.holidays_country, self.holidays_subdiv or None, years))

    def snapshot(self, *, today: dt.date | None = None) -> dict:
        """A JSON-safe copy, stored on tickets so later edits never move their deadlines.

        Public holidays are resolved to dates here, for every year a clock started today can
        reach (this year and the next SNAPSHOT_YEARS), and joined to the explicit dates.
        """
        today = today or dt.date.today()
        explicit = {h.date for h in self.holidays.all()}
        public = self.public_holiday_dates(range(today.year, today.year + SNAPSHOT_YEARS + 1))
        return {
            "name": self.name,
            "timezone": self.timezone,
            "hours": [
                {"weekday": h.weekday, "start": h.start.strftime("%H:%M"), "end": h.end.strftime("%H:%M")}
                for h in self.hours.all()
            ],
            "holidays": sorted(d.isoformat() for d in explicit | set(public)),
            "holidays_country": self.holidays_country,
            "holidays_subdiv": self.holidays_subdiv,
        }


class OpeningHours(models.Model):
    """One weekly shift; an end at or before the start runs overnight into the next day."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(6)], help_text="0 = Monday … 6 = Sunday"
    )
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="openinghours_weekday_0_6"),
            models.UniqueConstraint(
                fields=["calendar", "weekday", "start"], name="openinghours_unique_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def get_weekday_display(self) -> str:
        return ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][self.weekday]


class Holiday(models.Model):
    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_date"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


def working_calendar_from_snapshot(snapshot: dict | None):
    """The pure calendar (sla.calendars.WorkingCalendar) for a stored snapshot; None is 24x7."""

    if not snapshot or not snapshot.get("hours"):
        return None
    return calendars.WorkingCalendar(
        timezone=snapshot["timezone"],
        hours=tuple(
            calendars.OpeningHours(
                weekday=h["weekday"],
                start=dt.time.fromisoformat(h["start"]),
                end=dt.time.fromisoformat(h["end"]),
            )
            for h in snapshot["hours"]
        ),
        holidays=frozenset(dt.date.fromisoformat(d) for d in snapshot["holidays"]),
    )


class ResponseEvent(models.TextChoices):
    """What stops a response clock (a plan term)."""

    WORK_STARTED = "work_started", "Start work or the first public staff reply"
    FIRST_REPLY = "first_reply", "Only a public staff reply or a logged phone call to the customer"


class Compensation(models.TextChoices):
    CLAIM = "claim", "On claim"
    AUTOMATIC = "automatic", "Automatic"


# What a plan promises when it names no money terms of its own: seed 000's flat 5% per miss, and
# the uptime terms Pledge had as settings (every exclusion kind comes off measured uptime).
EXCLUSION_KINDS = ("scheduled_maintenance", "emergency_maintenance", "force_majeure", "cloud_provider")


def default_response_penalty() -> dict:
    return {"basis": "per_miss", "percent": "5.00"}


def default_uptime_terms() -> dict:
    return {
        "levels": {"critical": "99.95", "high": "99.90", "standard": "99.50"},
        "default_level": "high",
        "credit_tiers": [
            {"up_to_hours": 4, "percent_per_hour": "5.00"},
            {"up_to_hours": 8, "percent_per_hour": "7.50"},
            {"up_to_hours": None, "percent_per_hour": "10.00"},
        ],
        "cap_percent": "50.00",
        "shares_voucher_cap": False,
        "counts_toward_termination": True,
        "excluded_kinds": list(EXCLUSION_KINDS),
    }


class Plan(models.Model):
    """A support plan: Work Started targets, live-chat rules, compensation and termination terms."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(
        blank=True,
        max_length=4000,
        help_text="What the plan is, and which of its figures are defaults still to agree with the client.",
    )
    response_calendar = models.ForeignKey(
        Calendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Calendar the Work Started clock counts on; empty means 24x7.",
    )
    uses_severity = models.BooleanField(
        default=False, help_text="Targets are keyed by priority and the issue's severity."
    )
    chat_calendar = models.ForeignKey(
        Calendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Live-chat hours; empty means no live chat.",
    )
    chat_session_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Seconds; empty means unlimited."
    )
    voucher_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("5.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    monthly_cap_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("100.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    termination_threshold = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=5,
        help_text="More counted failures than this in one month allow termination; empty: no such right.",
    )
    claim_window_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=1,
        help_text="Months after the miss month in which a claim may be filed; empty: no deadline.",
    )
    at_risk_percent = models.PositiveSmallIntegerField(
        default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    # --- clock terms (issue 11)
    response_event = models.CharField(
        max_length=20,
        choices=ResponseEvent.choices,
        default=ResponseEvent.WORK_STARTED,
        help_text="What stops the response clock.",
    )
    # --- progress reports (seed 004): a public staff update is due this often once work started
    progress_update_every = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PROGRESS_UPDATE_SECONDS)],
        help_text="Working seconds (response calendar) between public staff updates once work has "
        "started, until resolved; empty: no progress reports promised.",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # --- money terms (issue 12)
    compensation = models.CharField(
        max_length=16,
        choices=Compensation.choices,
        default=Compensation.CLAIM,
        help_text="claim: the customer applies and an admin reviews; automatic: closing a month pays.",
    )
    response_penalty = models.JSONField(
        default=default_response_penalty,
        help_text='{"basis": "per_miss", "percent": "5.00"} or {"basis": "hours_late", "tiers": '
        '[{"up_to_hours": 4, "percent_per_hour": "2.50"}, '
        '{"up_to_hours": null, "percent_per_hour": "5.00"}]}',
    )
    uptime_terms = models.JSONField(
        default=default_uptime_terms,
        help_text="levels, default_level, credit_tiers, cap_percent, shares_voucher_cap, "
        "counts_toward_termination, excluded_kinds.",
    )
    # --- covered items (issue 11): seed 004 keys its targets by the affected item's priority level
    item_targets = models.JSONField(
        default=dict,
        blank=True,
        help_text='Seconds until the response by "level:severity" (a level of uptime_terms, e.g. '
        '"critical:fatal"), used on a plan that uses severity: a ticket naming an item takes its '
        "level, one naming none the default level. Empty: targets by ticket priority only.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(compensation__in=["claim", "automatic"]), name="plan_compensation_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(voucher_percent__gte=0, voucher_percent__lte=100)
                & models.Q(monthly_cap_percent__gte=0, monthly_cap_percent__lte=100),
                name="plan_percents_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(progress_update_every__isnull=True)
                | models.Q(
                    progress_update_every__gte=1, progress_update_every__lte=MAX_PROGRESS_UPDATE_SECONDS
                ),
                name="plan_progress_update_every_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ResponseTarget(models.Model):
    """How long a plan gives until Work Started, for a priority (and severity, if used)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="response_targets")
    priority = models.CharField(max_length=20, choices=Priority.choices)
    severity = models.CharField(max_length=20, choices=Severity.choices, blank=True, default="")
    seconds = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TARGET_SECONDS)]
    )

    class Meta:
        ordering = ["plan", "priority", "severity"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "priority", "severity"], name="responsetarget_unique_key"
            ),
            models.CheckConstraint(condition=models.Q(seconds__gt=0), name="responsetarget_positive"),
        ]

    def __str__(self) -> str:
        key = f"{self.priority}/{self.severity}" if self.severity else self.priority
        return f"{self.plan.code} {key}: {self.seconds}s"


class PlanVersion(models.Model):
    """One version of a plan's terms, kept whole: what a subscription term is pinned to.

    `terms` is a snapshot of every term (targets, calendars with their hours and explicit
    holidays, response event, compensation, penalty, uptime terms, caps, threshold, claim
    window, chat), so an account on this version keeps it however the plan changes later.
    `changes` lists what differs from the version before: [{field, before, after}].
    """

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    terms = models.JSONField()
    changes = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the system recorded it (a version found unrecorded).",
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["plan", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "version"], name="planversion_one_per_number"),
        ]

    def __str__(self) -> str:
        return f"{self.plan.code} v{self.version}"
