"""Mail: outgoing through Django's backends (EMAIL_URL), incoming from an IMAP mailbox or stdin."""

from helpdesk.settings.env import env

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
globals().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Pledge <support@pledge.localhost>")

# The address customers write to; replies go to it plus-tagged with a signed ticket token.
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="support@pledge.localhost")
# The domain of the Message-IDs Pledge sends (mail carrying one is Pledge's own, come back).
MAIL_MESSAGE_ID_DOMAIN = env.str("MAIL_MESSAGE_ID_DOMAIN", default=SUPPORT_EMAIL.rpartition("@")[2])
# Signs reply addresses; empty = derived from SECRET_KEY.
MAIL_REPLY_SECRET = env.str("MAIL_REPLY_SECRET", default="")
# IMAP mailbox read by the beat's poll; empty host = no polling (stdin only).
IMAP_HOST = env.str("IMAP_HOST", default="")
IMAP_PORT = env.int("IMAP_PORT", default=993)
IMAP_USER = env.str("IMAP_USER", default="")
IMAP_PASSWORD = env.str("IMAP_PASSWORD", default="")
IMAP_SSL = env.bool("IMAP_SSL", default=True)
IMAP_POLL_SECONDS = env.float("IMAP_POLL_SECONDS", default=60.0)
IMAP_PROCESSED_FOLDER = env.str("IMAP_PROCESSED_FOLDER", default="Pledge/Processed")
IMAP_FAILED_FOLDER = env.str("IMAP_FAILED_FOLDER", default="Pledge/Failed")
IMAP_HELD_FOLDER = env.str("IMAP_HELD_FOLDER", default="Pledge/Held")
INBOUND_MAIL_MAX_BYTES = env.int("INBOUND_MAIL_MAX_BYTES", default=25 * 1024 * 1024)
# Mail from an address no person has: "hold" (kept for staff review) or "refuse".
INBOUND_UNKNOWN_SENDERS = env.str("INBOUND_UNKNOWN_SENDERS", default="hold")
TICKET_AUTO_CLOSE_DAYS = env.int("TICKET_AUTO_CLOSE_DAYS", default=7)
# A precise age in seconds, when whole days are too coarse; set, it wins over the days.
TICKET_AUTO_CLOSE_AFTER = env.float("TICKET_AUTO_CLOSE_AFTER", default=None)

__all__ = [
    "EMAIL_CONFIG",
    "DEFAULT_FROM_EMAIL",
    "SUPPORT_EMAIL",
    "MAIL_MESSAGE_ID_DOMAIN",
    "MAIL_REPLY_SECRET",
    "IMAP_HOST",
    "IMAP_PORT",
    "IMAP_USER",
    "IMAP_PASSWORD",
    "IMAP_SSL",
    "IMAP_POLL_SECONDS",
    "IMAP_PROCESSED_FOLDER",
    "IMAP_FAILED_FOLDER",
    "IMAP_HELD_FOLDER",
    "INBOUND_MAIL_MAX_BYTES",
    "INBOUND_UNKNOWN_SENDERS",
    "TICKET_AUTO_CLOSE_DAYS",
    "TICKET_AUTO_CLOSE_AFTER",
    *EMAIL_CONFIG,
]
