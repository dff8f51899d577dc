"""Mail that came in (kept raw, for audit and to ingest each message once) and the Message-IDs Pledge sent."""

import uuid

from django.db import models
from django.db.models import Q

from helpdesk.tickets.models import Message, Ticket


class InboundOutcome(models.TextChoices):
    TICKET_CREATED = "ticket_created", "Opened a ticket"
    MESSAGE_ADDED = "message_added", "Added a message"
    HELD = "held", "Held for review (unknown sender)"
    REFUSED = "refused", "Refused (unknown sender)"
    REJECTED = "rejected", "Rejected (bad mail)"
    DROPPED = "dropped", "Dropped (auto-reply or loop)"


# Outcomes after which the mailbox message belongs in the failures folder, not with the processed.
FAILED_OUTCOMES = frozenset({InboundOutcome.REJECTED, InboundOutcome.REFUSED})


def raw_mail_path(instance: "InboundMail", filename: str) -> str:
    return f"mail/{instance.received_at:%Y/%m}/{uuid.uuid4().hex}.eml"


class InboundMail(models.Model):
    """One message read from the mailbox or stdin, whatever became of it."""

    message_id_header = models.CharField(max_length=255, null=True, blank=True)
    digest = models.CharField(max_length=64, help_text="sha256 of the raw bytes.")
    sender = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    raw = models.FileField(upload_to=raw_mail_path, max_length=255, blank=True)
    size = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(help_text="When the mail reached Pledge's mailbox.")
    processed_at = models.DateTimeField()
    outcome = models.CharField(max_length=20, choices=InboundOutcome.choices)
    reason = models.CharField(max_length=500, blank=True, help_text="Why it was rejected, dropped or held.")
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_mails"
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_mails"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            # A repeated Message-ID is ingested once, even by two pollers at the same instant.
            models.UniqueConstraint(
                fields=["message_id_header"],
                condition=Q(message_id_header__isnull=False),
                name="inbound_mail_once",
            ),
            models.UniqueConstraint(
                fields=["digest"],
                condition=Q(message_id_header__isnull=True),
                name="inbound_mail_once_by_digest",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=[o.value for o in InboundOutcome]), name="inbound_mail_outcome_valid"
            ),
        ]
        indexes = [models.Index(fields=["outcome", "-received_at"], name="inbound_mail_outcome")]

    def __str__(self) -> str:
        return f"{self.outcome}: {self.subject[:60]} from {self.sender}"


class SentMail(models.Model):
    """A notification Pledge sent about a ticket message: its Message-ID threads the answers."""

    message_id_header = models.CharField(max_length=255, unique=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sent_mails")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="sent_mails"
    )
    kind = models.CharField(max_length=30)
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [
            # A task that runs twice sends once.
            models.UniqueConstraint(fields=["message", "kind"], name="sent_mail_once_per_message"),
        ]
        indexes = [models.Index(fields=["ticket", "sent_at"], name="sent_mail_ticket")]

    def __str__(self) -> str:
        return self.message_id_header
