"""The IMAP poll Celery beat sends: read what is new in the support mailbox and file each message away.

Mail is never deleted: each message leaves INBOX by a move, to the processed folder, the held folder
(unknown senders, for staff review) or the failures folder (rejected, with the reason logged and
kept on its InboundMail record).
"""

import logging

from celery import shared_task
from django.conf import settings

from helpdesk.inbox import imap
from helpdesk.mailbox.models import InboundOutcome
from helpdesk.mailbox.services.ingest import IngestResult, mail_ingest, mail_refuse_oversized

log = logging.getLogger(__name__)
POLL_BATCH = 50


def folder_for(result: IngestResult) -> str:
    if result.failed:
        return settings.IMAP_FAILED_FOLDER
    if result.outcome == InboundOutcome.HELD:
        return settings.IMAP_HELD_FOLDER
    return settings.IMAP_PROCESSED_FOLDER


@shared_task(ignore_result=True)
def poll_mailbox() -> int:
    """One poll: up to POLL_BATCH messages, oldest first. Returns how many were filed away."""
    if not settings.IMAP_HOST:
        return 0
    with imap.connect(
        settings.IMAP_HOST,
        settings.IMAP_PORT,
        user=settings.IMAP_USER,
        password=settings.IMAP_PASSWORD,
        use_ssl=settings.IMAP_SSL,
    ) as mailbox:
        mailbox.ensure_folders(
            settings.IMAP_PROCESSED_FOLDER, settings.IMAP_FAILED_FOLDER, settings.IMAP_HELD_FOLDER
        )
        # Everything read leaves INBOX, so each poll starts from the lowest UID left there.
        fetched = mailbox.fetch_new(limit=POLL_BATCH, max_bytes=settings.INBOUND_MAIL_MAX_BYTES)
        for mail in fetched:
            result = (
                mail_ingest(raw=mail.raw) if mail.raw is not None else mail_refuse_oversized(size=mail.size)
            )
            mailbox.move(mail.uid, folder_for(result))
            log.info("mailbox uid %s: %s %s", mail.uid, result.outcome, result.reason)
    return len(fetched)
