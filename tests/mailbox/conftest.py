"""Fixtures for the mail tests (tests.mailbox.wiring holds them, so browser journeys can use them too)."""

from tests.mailbox.wiring import mail_wired

__all__ = ["mail_wired"]
