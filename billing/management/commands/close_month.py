"""Close a month into invoices from the shell (what beat does on the 1st; safe to run twice)."""

from django.core.management.base import BaseCommand, CommandError

from billing.services.invoices import month_close
from billing.services.months import current_month, shift_month
from helpdesk.kit.errors import ValidationError


class Command(BaseCommand):
    help = "Issue a month's invoices (default: the previous month, support time zone). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("month", nargs="?", help="YYYY-MM (default: the previous month)")

    def handle(self, *args, month=None, **options):
        month = month or shift_month(current_month(), -1)
        try:
            result = month_close(month=month)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            f"{month}: {result.issued} invoices issued, {result.already_issued} already issued "
            f"({result.batches} batches)."
        )
