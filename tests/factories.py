"""factory_boy factories for Pledge's models (plans come from the real seed)."""

from decimal import Decimal

import factory
from django.utils import timezone

from helpdesk.accounts.models import Account, MonitoredItem, User
from helpdesk.kit.roles import Role
from helpdesk.tickets.services.tickets import ticket_create
from sla.terms.models import Plan
from sla.terms.seeds import seed_plans
from sla.terms.services.plans import plan_update

PASSWORD = "correct-horse-battery"


def plan(code: str = "advanced") -> Plan:
    seed_plans()
    return Plan.objects.get(code=code)


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n}")
    plan = factory.LazyFunction(plan)
    monthly_fee = Decimal("1000.00")
    currency = "USD"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = Role.CUSTOMER
    account = factory.SubFactory(AccountFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CustomerFactory(UserFactory):
    role = Role.CUSTOMER


class EngineerFactory(UserFactory):
    role = Role.ENGINEER
    account = None


class BillingAdminFactory(UserFactory):
    role = Role.BILLING_ADMIN
    account = None


class MonitoredItemFactory(factory.django.DjangoModelFactory):
    """A covered item of an account, at a level of its plan's uptime terms (guarantee from the level)."""

    class Meta:
        model = MonitoredItem

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    level = factory.LazyAttribute(lambda item: item.account.plan.uptime_terms["default_level"])
    guarantee_percent = factory.LazyAttribute(
        lambda item: Decimal(item.account.plan.uptime_terms["levels"][item.level])
    )


def make_ticket(*, customer: User, priority: str = "general", now=None, **fields):
    """A ticket opened through the real service, as the customer would."""
    defaults = {"subject": "Something is wrong", "description": "Details of the problem."}
    if priority == "high":
        defaults.update(service_unavailable=True, affected_service="Production web shop")
    defaults.update(fields)
    return ticket_create(
        account=customer.account,
        created_by=customer,
        priority=priority,
        now=now or timezone.now(),
        **defaults,
    )


def ticket_copies(template, count: int, **overrides) -> list:
    """`count` more tickets carrying the template's real promise, written in one go; `overrides`
    are values, or functions of the copy's number."""
    model = type(template)
    fields = {
        f.attname: getattr(template, f.attname)
        for f in model._meta.concrete_fields
        if not f.primary_key and not f.generated
    }
    copies = []
    for n in range(count):
        values = {name: value(n) if callable(value) else value for name, value in overrides.items()}
        copies.append(model(**{**fields, "subject": f"Copy {n}", **values}))
    return model.objects.bulk_create(copies, batch_size=250)


def fast_plan(seconds: int, *, high_seconds: int | None = None, code: str | None = None) -> Plan:
    """A 24x7 plan with second-long targets, for tests where real time passes."""
    from sla.terms.models import ResponseTarget

    plan, created = Plan.objects.get_or_create(
        code=code or f"fast-{seconds}s", defaults={"name": f"Fast {seconds}s"}
    )
    if created:
        ResponseTarget.objects.create(plan=plan, priority="general", seconds=seconds)
        ResponseTarget.objects.create(plan=plan, priority="high", seconds=high_seconds or seconds)
    return plan


def set_uptime_terms(plan: Plan, **changes) -> Plan:
    """Change some of a plan's uptime terms through the plan service (the others stay as they were)."""
    return plan_update(plan=plan, uptime_terms={**plan.uptime_terms, **changes})
