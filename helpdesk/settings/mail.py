"""Outgoing mail: Django's backends, chosen by EMAIL_URL."""

from helpdesk.settings.env import env

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
globals().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Pledge <support@pledge.localhost>")

__all__ = ["EMAIL_CONFIG", "DEFAULT_FROM_EMAIL", *EMAIL_CONFIG]
