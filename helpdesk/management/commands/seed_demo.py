"""Demo data for a first look: one account per plan, a customer, an engineer and a billing admin."""

import os
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from helpdesk.accounts.models import Account, User
from helpdesk.kit.roles import Role
from sla.terms.models import Plan
from sla.terms.seeds import seed_plans

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
