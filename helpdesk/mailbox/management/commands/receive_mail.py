"""`manage.py receive_mail`: ingest one raw message from standard input (for an MTA's pipe)."""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from helpdesk.mailbox.services.ingest import mail_ingest

# sysexits.h: an MTA bounces the mail back to its sender on EX_DATAERR.
EX_DATAERR = 65


class Command(BaseCommand):
    help = "Read one e-mail message on standard input and turn it into a ticket or a reply."

    def handle(self, *args, **options):
        raw = sys.stdin.buffer.read(settings.INBOUND_MAIL_MAX_BYTES + 1)
        result = mail_ingest(raw=raw)
        line = f"{result.outcome}{' (duplicate)' if result.duplicate else ''}"
        if result.ticket_id:
            line += f" ticket={result.ticket_id}"
        if result.reason:
            line += f": {result.reason}"
        if result.failed:
            self.stderr.write(line)
            sys.exit(EX_DATAERR)
        self.stdout.write(line)
