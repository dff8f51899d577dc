"""Accounts (customers under contract) and the people who use Pledge."""

from decimal import Decimal

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from helpdesk.kit.months import support_today
from helpdesk.kit.roles import Role
from sla.terms.models import Plan, PlanVersion


class Account(models.Model):
    """A customer organisation with a support subscription."""

    name = models.CharField(max_length=200, unique=True)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="accounts")
    monthly_fee = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, default="USD")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # --- money terms (issue 12): every month from this day's on is billed when it closes
    started_on = models.DateField(
        default=support_today,
        help_text="The day service began (support time zone): the day of creation, or earlier for a "
        "customer brought over from another system.",
    )
    # --- the buyer on invoices and statements (issue 12): edited by billing admins
    billing_address = models.TextField(
        max_length=500, blank=True, help_text="Postal address printed on invoices and statements."
    )
    tax_id = models.CharField(max_length=40, blank=True, help_text="VAT or other tax number, if any.")
    # --- terms pinned to the term (issue 12): the version of `plan` the current term started with.
    # Tickets take it, not the plan's latest; billing moves it when a new term (or a renewal)
    # starts. Empty until first needed for an account made before versions were kept.
    plan_version = models.ForeignKey(
        PlanVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The plan version the current subscription term is pinned to.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(monthly_fee__gte=0), name="account_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class PledgeUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.BILLING_ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person: a customer of exactly one account, or staff (engineer, billing admin)."""

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CUSTOMER)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    timezone = models.CharField(
        max_length=64, blank=True, help_text="IANA zone for showing times; empty = support zone."
    )

    objects = PledgeUserManager()

    class Meta:
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(role=Role.CUSTOMER) & Q(account__isnull=False))
                | (~Q(role=Role.CUSTOMER) & Q(account__isnull=True)),
                name="user_customer_has_exactly_one_account",
            ),
        ]

    @property
    def is_customer(self) -> bool:
        return self.role == Role.CUSTOMER and not self.is_superuser

    @property
    def is_engineer(self) -> bool:
        return self.role == Role.ENGINEER

    @property
    def is_billing_admin(self) -> bool:
        return self.role == Role.BILLING_ADMIN or self.is_superuser

    @property
    def is_support_staff(self) -> bool:
        return self.role in (Role.ENGINEER, Role.BILLING_ADMIN) or self.is_superuser

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class NotificationCategory(models.TextChoices):
    """Kinds of mail a person may turn off; mail about money and misses stays on."""

    REPLIES = "replies", "Replies on tickets"
    TICKET_UPDATES = "ticket_updates", "Ticket received, work started, downgraded"
    RATINGS = "ratings", "Rating requests when a ticket is resolved"


class MutedNotification(models.Model):
    """One category of mail a person has turned off (no row: the mail is sent)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="muted_notifications")
    category = models.CharField(max_length=30, choices=NotificationCategory.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "category"], name="muted_notification_once"),
            models.CheckConstraint(
                condition=Q(category__in=[c.value for c in NotificationCategory]),
                name="muted_notification_category_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} muted {self.category}"
