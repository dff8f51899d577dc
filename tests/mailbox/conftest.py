"""The mail tests run against the real test servers."""

import pytest

from tests.mailbox.wiring import wire


@pytest.fixture
def mail_wired(settings, imap_mailbox, smtp_server):
    return wire(settings, imap_mailbox, smtp_server)
