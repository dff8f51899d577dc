"""Tickets and everything said or done on them."""

import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from helpdesk.accounts.models import Account, MonitoredItem
from helpdesk.kit.expressions import ElapsedMicroseconds
from sla.terms.models import Plan, Priority, Severity


class TicketStatus(models.TextChoices):
    NEW = "new", "New"
    WORK_STARTED = "work_started", "Work started"
    WAITING_ON_CUSTOMER = "waiting_on_customer", "Waiting on customer"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.WORK_STARTED, TicketStatus.WAITING_ON_CUSTOMER)


class TicketQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def unstarted(self):
        return self.filter(work_started_at__isnull=True)

    def at_risk(self, now):
        return self.filter(miss_pending=True, at_risk_at__lte=now, work_started_deadline__gte=now)

    def resolved_before(self, cutoff):
        """Resolved tickets nobody answered since `cutoff`: what the auto-close closes."""
        return self.filter(status=TicketStatus.RESOLVED, resolved_at__lt=cutoff)

    def overdue(self, now):
        """Clocks past their deadline with no miss recorded yet: what the sweep records."""
        return self.filter(miss_pending=True, work_started_deadline__lt=now)

    def update_overdue(self, now):
        """Progress updates that fell due with none given: the lapses the sweep records."""
        return self.filter(next_update_due__lt=now)

    # --- workspace (issue 14)
    def in_sla_state(self, state: str, now):
        """The rows whose `Ticket.sla_state(now)` is `state`, as a filter the database runs."""
        unstarted = Q(work_started_at__isnull=True)
        started = Q(work_started_at__isnull=False)
        return self.filter(
            {
                "running": unstarted & Q(at_risk_at__gt=now, work_started_deadline__gte=now),
                "at_risk": unstarted & Q(at_risk_at__lte=now, work_started_deadline__gte=now),
                "met": started & Q(work_started_at__lte=models.F("work_started_deadline")),
                "missed": (unstarted & Q(work_started_deadline__lt=now))
                | (started & Q(work_started_at__gt=models.F("work_started_deadline"))),
            }[state]
        )


class Ticket(models.Model):
    """A support request and the promise its plan made about it."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="tickets")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(max_length=200)
    description = models.TextField(max_length=20_000)
    priority = models.CharField(max_length=20, choices=Priority.choices, default=Priority.GENERAL)
    severity = models.CharField(max_length=20, choices=Severity.choices, blank=True, default="")
    service_unavailable = models.BooleanField(
        default=False, help_text="The customer confirms the affected service is down."
    )
    affected_service = models.CharField(max_length=200, blank=True)
    item = models.ForeignKey(
        MonitoredItem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        help_text="The covered item the ticket is about (an active item of its account), if any.",
    )
    status = models.CharField(max_length=32, choices=TicketStatus.choices, default=TicketStatus.NEW)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The promise, frozen at creation (and at a downgrade or upgrade).
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="tickets")
    promise = models.JSONField(
        default=dict, help_text="Plan, version, targets and calendar this ticket was given."
    )
    work_started_target = models.PositiveIntegerField(help_text="Seconds of (working) time.")
    work_started_deadline = models.DateTimeField()
    at_risk_at = models.DateTimeField()
    deadline_version = models.PositiveIntegerField(default=1)
    clock_started_at = models.DateTimeField(
        help_text="When the current Work Started clock began (creation, or an upgrade)."
    )
    miss_pending = models.BooleanField(
        default=True, help_text="The current clock runs: no Work Started and no miss yet."
    )
    at_risk_notified = models.BooleanField(default=False)
    downgraded_from = models.CharField(max_length=20, choices=Priority.choices, blank=True)
    downgrade_reason = models.TextField(blank=True, max_length=2000)
    previous_deadline = models.DateTimeField(null=True, blank=True)

    work_started_at = models.DateTimeField(null=True, blank=True)
    # The SLA report's median and p90 read a month of these: kept in the row (and in the report's
    # index) when work starts, so the report does not work each out from two date-times. A check
    # constraint holds it to exactly that difference. (A generated column would keep it too, but
    # SQLite never reads one from an index alone: the report read every wide row, twice as slow.)
    work_started_after = models.BigIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="Microseconds from submission to Work Started; empty until work starts.",
    )
    work_started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responded_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the response clock stopped, by the plan's response_event: Start work or the "
        "first public staff reply (work_started), or only a public reply or logged call (first_reply).",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    # --- progress reports (seed 004): the plan's progress_update_every, once work has started
    next_update_due = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the next public staff update falls due; empty when none is (not started, "
        "resolved, or the plan promises no progress reports).",
    )
    update_clock_started_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Where the running progress-update clock counts from (last update, start, reopening, "
        "or the last lapse).",
    )
    lapsed_updates = models.PositiveIntegerField(
        default=0,
        help_text="How many progress updates fell due with none given (sla.clocks counts them as it "
        "records them), so a list asks for the lapses of only the tickets that have some.",
    )

    # --- conversation (issue 13)
    follow_up_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        help_text="The closed ticket a reply reopened as this new one.",
    )
    cc_addresses = models.JSONField(
        default=list,
        blank=True,
        help_text="Addresses copied on public replies (from the mail that opened it).",
    )

    # --- workspace (issue 14)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        help_text="The engineer who owns the ticket; empty when unassigned.",
    )
    tags = models.ManyToManyField("tickets.Tag", blank=True, related_name="tickets")
    CHANNELS = ("web", "email", "phone", "chat")
    channel = models.CharField(
        max_length=10,
        choices=[("web", "Web"), ("email", "E-mail"), ("phone", "Phone"), ("chat", "Chat")],
        default="web",
        help_text="How the request reached us.",
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "work_started_deadline"], name="ticket_status_deadline"),
            models.Index(fields=["account", "-created_at"], name="ticket_account_created"),
            # The SLA report: each account's tickets due in a month, one index range per account,
            # with every column the report reads, so both databases answer from the index alone.
            models.Index(
                fields=[
                    "account",
                    "work_started_deadline",
                    "responded_at",
                    "miss_pending",
                    "work_started_after",
                    "id",
                ],
                name="ticket_account_due",
            ),
            # The queue's header counters: every column their aggregate reads, so it scans this
            # narrow index, never the wide rows. The id leads so that no listing's planner ever
            # picks it (SQLite skip-scanned a status-led one and sorted every open ticket).
            models.Index(
                fields=["id", "status", "assignee", "work_started_at", "work_started_deadline", "at_risk_at"],
                name="ticket_counters",
            ),
            models.Index(
                fields=["resolved_at"], name="ticket_resolved_at", condition=Q(status=TicketStatus.RESOLVED)
            ),
            models.Index(
                fields=["work_started_deadline"],
                name="ticket_pending_deadline",
                condition=Q(miss_pending=True),
            ),
            models.Index(
                fields=["at_risk_at"],
                name="ticket_pending_at_risk",
                condition=Q(miss_pending=True, at_risk_notified=False),
            ),
            # --- workspace (issue 14): the queue's keyset order, one index per segment. The
            # unstarted one also holds at_risk_at: the At risk view walks the deadlines still ahead
            # and keeps the few already at risk, without reading a row that is not (measured on
            # SQLite at 100,000 tickets: 1.1 ms to 0.11 ms).
            models.Index(
                fields=["work_started_deadline", "id", "at_risk_at"],
                name="ticket_queue_unstarted",
                condition=Q(work_started_at__isnull=True),
            ),
            models.Index(
                fields=["work_started_deadline", "id"],
                name="ticket_queue_started",
                condition=Q(work_started_at__isnull=False),
            ),
            models.Index(fields=["-created_at", "-id"], name="ticket_newest"),
            # The sweep's progress-update lapses: only tickets with an update due.
            models.Index(
                fields=["next_update_due"],
                name="ticket_update_due",
                condition=Q(next_update_due__isnull=False),
            ),
            # A view's filter leads, one index per segment, so an empty segment costs nothing.
            *[
                models.Index(
                    fields=[column, "work_started_deadline", "id"],
                    name=f"ticket_{column}_{segment}",
                    condition=Q(work_started_at__isnull=segment == "unstarted"),
                )
                for column in ("status", "assignee", "priority")
                for segment in ("unstarted", "started")
            ],
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in TicketStatus]), name="ticket_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=[p.value for p in Priority]), name="ticket_priority_valid"
            ),
            models.CheckConstraint(
                condition=~Q(priority=Priority.HIGH)
                | (Q(service_unavailable=True) & ~Q(affected_service="")),
                name="ticket_high_declares_incident",
            ),
            models.CheckConstraint(
                condition=Q(status=TicketStatus.NEW) | Q(work_started_at__isnull=False),
                name="ticket_started_once_past_new",
            ),
            models.CheckConstraint(
                # Both empty, or both set and exact (each side named: a null would pass a CHECK).
                condition=Q(work_started_at__isnull=True, work_started_after__isnull=True)
                | Q(
                    work_started_at__isnull=False,
                    work_started_after__isnull=False,
                    work_started_after=ElapsedMicroseconds(F("work_started_at"), F("created_at")),
                ),
                name="ticket_work_started_after_exact",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    def sla_state(self, now) -> str:
        """running, at_risk, met or missed: read from the stored promise, no query."""
        if self.responded_at is not None:
            return "met" if self.responded_at <= self.work_started_deadline else "missed"
        if now > self.work_started_deadline:
            return "missed"
        if now >= self.at_risk_at:
            return "at_risk"
        return "running"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Message(models.Model):
    """A reply on a ticket: public (the customer sees it) or an internal staff note."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=20_000)
    public = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_ticket_created")]

    def __str__(self) -> str:
        return f"Message {self.pk} on ticket {self.ticket_id}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # The stored name is random: the uploader's file name is kept only as data.
    return f"attachments/{instance.ticket_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file on a ticket or message, stored outside the web root and served by an access-checked view."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=255)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename


class TicketEvent(models.Model):
    """One row of a ticket's history; `code` is stable, never a translated label."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    code = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the system acted.",
    )
    at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"], name="ticketevent_ticket_at")]

    def __str__(self) -> str:
        return f"{self.code} on ticket {self.ticket_id}"


class Rating(models.TextChoices):
    GOOD = "good", "Good"
    BAD = "bad", "Bad"


class TicketRating(models.Model):
    """The customer's one rating of how a resolved ticket went (CSAT): stored once per ticket."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="rating")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="ticket_ratings")
    rating = models.CharField(max_length=10, choices=Rating.choices)
    comment = models.TextField(max_length=2000, blank=True)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["account", "created_at"], name="ticketrating_account_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__in=[r.value for r in Rating]), name="ticketrating_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating} for ticket {self.ticket_id}"


# --- workspace (issue 14) -----------------------------------------------------------------


class Tag(models.Model):
    """A label staff put on tickets; an internal one is never shown to customers."""

    name = models.SlugField(max_length=50, unique=True)
    internal = models.BooleanField(default=False, help_text="Only staff see it.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def query_string(self) -> str:
        return urlencode(self.query)


class SavedView(models.Model):
    """An engineer's own queue view: a name and the filters and sort it remembers."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=60)
    query = models.JSONField(default=dict, help_text="The queue's validated filters and sort.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="savedview_owner_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def query_string(self) -> str:
        return urlencode(self.query)


class CannedReply(models.Model):
    """A reply staff keep for reuse; {customer_name}, {ticket_number} and {deadline} are filled in."""

    title = models.CharField(max_length=100, unique=True)
    body = models.TextField(max_length=5000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title
