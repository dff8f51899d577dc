from django.apps import AppConfig


class MailboxConfig(AppConfig):
    name = "helpdesk.mailbox"
    label = "mailbox"
    verbose_name = "Mail in and out"

    def ready(self) -> None:
        from helpdesk.mailbox import notifications, receivers
        from helpdesk.tickets import signals, threading

        signals.message_added.connect(receivers.on_message_added, dispatch_uid="mailbox-message-added")
        signals.ticket_resolved.connect(receivers.on_ticket_resolved, dispatch_uid="mailbox-ticket-resolved")
        threading.register(notifications.ticket_mail_options)
