"""Create the plans of the spec. Safe to run twice: what exists is left as it is."""

from django.core.management.base import BaseCommand

from sla.terms.seeds import seed_plans


class Command(BaseCommand):
    help = "Create the Standard, Advanced and Premium plans (and their calendars) if missing."

    def handle(self, *args, **options):
        for code, created in seed_plans():
            self.stdout.write(f"{code}: {'created' if created else 'already there'}")
