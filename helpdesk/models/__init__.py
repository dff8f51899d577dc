"""The helpdesk's models: accounts, people, tickets (core) and live chat (chats)."""
from helpdesk.models.core import (
    OPEN_STATUSES,
    Account,
    Attachment,
    Message,
    PledgeUserManager,
    Role,
    Ticket,
    TicketEvent,
    TicketQuerySet,
    TicketStatus,
    User,
    attachment_path,
)

__all__ = [
    "OPEN_STATUSES",
    "Account",
    "Attachment",
    "Message",
    "PledgeUserManager",
    "Role",
    "Ticket",
    "TicketEvent",
    "TicketQuerySet",
    "TicketStatus",
    "User",
    "attachment_path",
]
