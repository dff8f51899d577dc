"""Live chat and phone sessions: the queue, the session limit, the transcript and where it led."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from helpdesk.accounts.models import Account
from helpdesk.tickets.models import Ticket
from sla.terms.models import Plan


class ChatStatus(models.TextChoices):
    QUEUED = "queued", "Waiting"
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"


OPEN_CHAT_STATUSES = (ChatStatus.QUEUED, ChatStatus.ACTIVE)


class ChatKind(models.TextChoices):
    CHAT = "chat", "Live chat"
    PHONE = "phone", "Phone call"


class ChatEndReason(models.TextChoices):
    CUSTOMER = "customer", "Ended by the customer"
    STAFF = "staff", "Ended by support"
    TIME_LIMIT = "time_limit", "Session limit reached"
    UNANSWERED = "unanswered", "Nobody accepted in time"
    ESCALATED = "escalated", "Turned into a ticket"
    PHONE = "phone", "Phone call logged"


class ChatSessionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_CHAT_STATUSES)

    def queued(self):
        """The waiting line, first come first served."""
        return self.filter(status=ChatStatus.QUEUED).order_by("requested_at", "id")

    def unanswered_due(self, now):
        """Requests nobody accepted within the wait limit: what the sweep ends."""
        return self.filter(status=ChatStatus.QUEUED, wait_deadline__lte=now)

    def over_time(self, now):
        """Sessions past their limit: what the sweep ends."""
        return self.filter(status=ChatStatus.ACTIVE, ends_at__lte=now)

    def warning_due(self, now, warning_seconds: int):
        """Sessions inside their last minutes that have not been warned yet."""
        return self.filter(
            status=ChatStatus.ACTIVE,
            warned_at__isnull=True,
            ends_at__lte=now + dt.timedelta(seconds=warning_seconds),
        )


class ChatSession(models.Model):
    """A real-time conversation with a customer: a live chat (queued, then accepted) or a logged phone call.

    The database says when things happen: `wait_deadline` ends an unanswered request,
    `ends_at` ends a session at the plan's limit (null: unlimited), whoever looks first.
    """

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="chat_sessions")
    kind = models.CharField(max_length=10, choices=ChatKind.choices, default=ChatKind.CHAT)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who asked for the chat (empty for a phone call).",
    )
    caller = models.CharField(max_length=200, blank=True, help_text="Who phoned (phone calls).")
    topic = models.CharField(max_length=200, blank=True)
    notes = models.TextField(max_length=10_000, blank=True, help_text="Staff notes of a phone call.")
    status = models.CharField(max_length=10, choices=ChatStatus.choices, default=ChatStatus.QUEUED)
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The engineer who accepted the chat or logged the call.",
    )
    # The rules in force when the customer asked, kept like a ticket keeps its promise.
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    session_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Seconds from acceptance; empty means unlimited."
    )
    requested_at = models.DateTimeField()
    wait_deadline = models.DateTimeField(
        null=True, blank=True, help_text="When an unaccepted request stops waiting."
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(
        null=True, blank=True, help_text="When the session closes by itself; empty means unlimited."
    )
    warned_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=ChatEndReason.choices, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ticket = models.OneToOneField(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="chat_session",
        help_text="The ticket this session was turned into.",
    )
    message_count = models.PositiveIntegerField(
        default=0, help_text="Messages so far; the next one gets this plus one as its seq."
    )

    objects = ChatSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["requested_at", "id"], name="chat_queue_fifo", condition=Q(status="queued")),
            models.Index(fields=["wait_deadline"], name="chat_queued_wait", condition=Q(status="queued")),
            models.Index(fields=["ends_at"], name="chat_active_ends", condition=Q(status="active")),
            models.Index(fields=["engineer", "status"], name="chat_engineer_status"),
            models.Index(fields=["account", "-requested_at"], name="chat_account_requested"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in ChatStatus]), name="chat_status_valid"
            ),
            models.CheckConstraint(condition=Q(kind__in=[k.value for k in ChatKind]), name="chat_kind_valid"),
            # A customer has at most one chat waiting or running.
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(status__in=["queued", "active"]),
                name="chat_one_open_per_customer",
            ),
            models.CheckConstraint(
                condition=(Q(kind="chat") & Q(customer__isnull=False))
                | (Q(kind="phone") & ~Q(caller="") & Q(status="ended")),
                name="chat_has_a_customer_or_caller",
            ),
            models.CheckConstraint(
                condition=~Q(status="active") | (Q(accepted_at__isnull=False) & Q(engineer__isnull=False)),
                name="chat_active_was_accepted",
            ),
            models.CheckConstraint(
                condition=~Q(status="ended") | Q(ended_at__isnull=False), name="chat_ended_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CHAT_STATUSES

    @property
    def group_name(self) -> str:
        """The channel-layer group its sockets listen on."""
        return f"chat_{self.pk}"

    @property
    def duration_seconds(self) -> int | None:
        if self.accepted_at is None or self.ended_at is None:
            return None
        return int((self.ended_at - self.accepted_at).total_seconds())


class ChatMessageKind(models.TextChoices):
    MESSAGE = "message", "Message"
    SYSTEM = "system", "System notice"


class ChatMessage(models.Model):
    """One line of a session, stored before anyone is sent it; `seq` numbers a session's lines 1, 2, 3…"""

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty for notices from Pledge itself.",
    )
    kind = models.CharField(max_length=10, choices=ChatMessageKind.choices, default=ChatMessageKind.MESSAGE)
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["session", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["session", "seq"], name="chatmessage_unique_seq"),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in ChatMessageKind]), name="chatmessage_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Message {self.seq} of chat {self.session_id}"


class ChatEvent(models.Model):
    """One row of a session's history; `code` is stable, never a translated label."""

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="events")
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
        indexes = [models.Index(fields=["session", "at"], name="chatevent_session_at")]

    def __str__(self) -> str:
        return f"{self.code} on chat {self.session_id}"


class ConsolePresence(models.Model):
    """When a staff member last had the chat console open: whether anyone is there to answer."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.user_id} seen {self.seen_at:%H:%M:%S}"
