"""Pledge wired to the real Dovecot (IMAP in) and aiosmtpd (SMTP out) of tests.support.mailservers."""

SUPPORT = "support@pledge.test"


def wire(settings, imap_mailbox, smtp_server):
    """Point the mail settings at the test servers; returns (dovecot, smtp)."""
    settings.SUPPORT_EMAIL = SUPPORT
    settings.DEFAULT_FROM_EMAIL = f"Pledge <{SUPPORT}>"
    settings.MAIL_MESSAGE_ID_DOMAIN = "pledge.test"
    settings.IMAP_HOST, settings.IMAP_PORT = imap_mailbox.host, imap_mailbox.port
    settings.IMAP_USER, settings.IMAP_PASSWORD = imap_mailbox.user, imap_mailbox.password
    settings.IMAP_SSL = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_server.host, smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    return imap_mailbox, smtp_server
