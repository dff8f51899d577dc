"""Demo data for a first look: one account per plan, its people, and a lived-in day of tickets."""

import datetime as dt
import os
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from helpdesk.accounts.models import Account, User
from helpdesk.kit.roles import Role
from helpdesk.tickets.models import CannedReply, Tag, Ticket
from helpdesk.tickets.services.messages import message_create
from helpdesk.tickets.services.tickets import ticket_create, ticket_start_work, ticket_transition
from helpdesk.tickets.services.workspace import canned_reply_save, ticket_assign
from sla.clocks.services.misses import misses_record_due
from sla.terms.models import Plan
from sla.terms.seeds import seed_plans

# (account plan, subject, priority, opened this long ago, what happened since)
DEMO_DAY = [
    ("advanced", "Invoice PDF shows the wrong VAT number", "general", dt.timedelta(minutes=12), "new"),
    ("premium", "Checkout returns 502 for every visitor", "high", dt.timedelta(minutes=25), "new"),
    ("standard", "Password reset mail never arrives", "general", dt.timedelta(hours=3), "new"),
    ("advanced", "Nightly backup job failed twice", "general", dt.timedelta(hours=6), "started"),
    ("premium", "API latency doubled since the upgrade", "general", dt.timedelta(hours=20), "waiting"),
    ("standard", "Export to CSV drops the last row", "general", dt.timedelta(days=2), "resolved"),
    ("advanced", "Add a second admin to our account", "general", dt.timedelta(days=4), "closed"),
    ("premium", "Search index is stale after imports", "general", dt.timedelta(days=3), "new"),
    ("advanced", "Shop admin is down for all staff", "high", dt.timedelta(days=2), "new"),
]
DEMO_ACCOUNTS = [
    ("Acme Hosting", "standard", Decimal("500.00")),
    ("Globex Cloud", "advanced", Decimal("1000.00")),
    ("Initech Systems", "premium", Decimal("2500.00")),
]


class Command(BaseCommand):
    help = "Seed plans plus demo accounts and logins (customer, engineer, admin); safe to rerun."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=os.environ.get("PLEDGE_DEMO_PASSWORD", "pledge-demo"),
            help="Password for the demo logins (default: pledge-demo or $PLEDGE_DEMO_PASSWORD).",
        )

    @transaction.atomic
    def handle(self, *args, password, **options):
        seed_plans()
        plans = {plan.code: plan for plan in Plan.objects.all()}
        accounts = {}
        for name, plan_code, fee in DEMO_ACCOUNTS:
            accounts[plan_code], _ = Account.objects.get_or_create(
                name=name, defaults={"plan": plans[plan_code], "monthly_fee": fee}
            )
        logins = [
            ("customer", Role.CUSTOMER, accounts["advanced"], "Casey Customer", False),
            ("premium", Role.CUSTOMER, accounts["premium"], "Pat Premium", False),
            ("standard", Role.CUSTOMER, accounts["standard"], "Sam Standard", False),
            ("engineer", Role.ENGINEER, None, "Erin Engineer", False),
            ("admin", Role.BILLING_ADMIN, None, "Ada Admin", True),
        ]
        for username, role, account, full_name, superuser in logins:
            first, last = full_name.split(" ", 1)
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={
                    "role": role,
                    "account": account,
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.com",
                    "is_staff": superuser,
                    "is_superuser": superuser,
                },
            )
            user.set_password(password)
            user.save(update_fields=["password"])
            where = f" ({account.name}, {account.plan.name} plan)" if account else ""
            self.stdout.write(f"  {role.label:<14} {username} / {password}{where}")

        self._lived_in_day(accounts)

    def _lived_in_day(self, accounts) -> None:
        """Tickets in every state across the plans, once (a rerun adds nothing)."""
        if Ticket.objects.exists():
            return
        engineer = User.objects.get(username="engineer")
        customers = {u.account_id: u for u in User.objects.filter(role=Role.CUSTOMER).order_by("-id")}
        urgent = Tag.objects.get_or_create(name="urgent-customer", defaults={"internal": True})[0]
        billing = Tag.objects.get_or_create(name="billing")[0]
        now = timezone.now()
        for plan_code, subject, priority, ago, state in DEMO_DAY:
            account = accounts[plan_code]
            customer = customers[account.pk]
            fields = (
                {"service_unavailable": True, "affected_service": "Web shop"} if priority == "high" else {}
            )
            ticket = ticket_create(
                account=account,
                created_by=customer,
                subject=subject,
                description=f"{subject}. Noticed this morning; details on request.",
                priority=priority,
                now=now - ago,
                **fields,
            )
            if "VAT" in subject or "CSV" in subject:
                ticket.tags.add(billing)
            if priority == "high":
                ticket.tags.add(urgent)
            if state == "new":
                continue
            ticket_assign(ticket=ticket, actor=engineer, assignee=engineer)
            message_create(
                ticket=ticket,
                author=engineer,
                body="Looking into it now.",
                now=now - ago + dt.timedelta(minutes=20),
            )
            ticket = Ticket.objects.get(pk=ticket.pk)
            ticket_start_work(ticket=ticket, actor=engineer)
            steps = {
                "waiting": ["waiting_on_customer"],
                "resolved": ["resolved"],
                "closed": ["resolved", "closed"],
            }.get(state, [])
            for step in steps:
                ticket_transition(
                    ticket=Ticket.objects.get(pk=ticket.pk), actor=engineer, to_status=step, reason=""
                )
        missed = misses_record_due(now=now)
        if not CannedReply.objects.exists():
            canned_reply_save(
                actor=engineer,
                title="Looking into it",
                body="Hello {customer_name}, thanks for {ticket_number}. We are on it and will"
                " update you before {deadline}.",
            )
        self.stdout.write(
            f"  A day of {len(DEMO_DAY)} tickets in every state; {missed} missed deadline(s) recorded."
        )
