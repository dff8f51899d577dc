"""What the mail app does when tickets tell it something (connected in MailboxConfig.ready())."""

from helpdesk.kit.enqueue import enqueue_after_commit
from helpdesk.mailbox import notifications


def on_message_added(sender, *, message, now, **kwargs) -> None:
    # Internal notes never leave the building: not even a task is queued for them.
    if message.public:
        enqueue_after_commit(notifications.notify_reply, message.pk)


def on_ticket_resolved(sender, *, ticket, now, **kwargs) -> None:
    enqueue_after_commit(notifications.notify_resolved, ticket.pk)
