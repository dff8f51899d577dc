"""Accounts (customers under contract), the people who use Pledge, and the items an account has covered."""

from decimal import Decimal

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from knox.models import AuthToken

from helpdesk.kit.months import support_today
from helpdesk.kit.roles import Role
from sla.terms.models import Plan, PlanVersion

PERCENT = {"max_digits": 7, "decimal_places": 4}


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
    queue_alerts = models.BooleanField(
        default=False,
        help_text="Staff: a sound and a browser notification on the queue when a ticket or a chat arrives.",
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
        return self.name_from(self.first_name, self.last_name, self.username)

    @staticmethod
    def name_from(first_name: str, last_name: str, username: str) -> str:
        """`display_name` from its three columns: the full name, else the username."""
        return f"{first_name} {last_name}".strip() or username

    @staticmethod
    def name_columns(path: str) -> dict:
        """Annotations `<path>_first_name`, `<path>_last_name`, `<path>_username` for the user at
        `path` (e.g. "assignee"), so a list shows a related user's name (name_from) without
        building the user."""
        columns = ("first_name", "last_name", "username")
        return {f"{path}_{column}": F(f"{path}__{column}") for column in columns}


class ProbeKind(models.TextChoices):
    NONE = "none", "No probe (staff record downtime)"
    HTTP = "http", "HTTP(S) request"
    TCP = "tcp", "TCP connection"


class ItemState(models.TextChoices):
    UNKNOWN = "unknown", "Not probed yet"
    UP = "up", "Up"
    DOWN = "down", "Down"


class MonitoredItem(models.Model):
    """One of an account's services whose uptime is guaranteed, by the level of its priority."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="monitored_items")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=2000)
    level = models.CharField(max_length=32, help_text="Priority level: a key of the uptime terms' levels.")
    guarantee_percent = models.DecimalField(
        **PERCENT,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Guaranteed uptime, taken from the level when the item got it.",
    )
    is_active = models.BooleanField(default=True, help_text="Probed and shown on the status page.")

    probe_kind = models.CharField(max_length=8, choices=ProbeKind.choices, default=ProbeKind.NONE)
    probe_url = models.CharField(max_length=500, blank=True)
    probe_expected_status = models.PositiveSmallIntegerField(
        default=200, validators=[MinValueValidator(100), MaxValueValidator(599)]
    )
    probe_host = models.CharField(max_length=253, blank=True)
    probe_port = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )

    # What the probe last saw; written by sla.uptime.services only.
    state = models.CharField(max_length=8, choices=ItemState.choices, default=ItemState.UNKNOWN)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True, help_text="First failure of the current run.")
    last_probed_at = models.DateTimeField(null=True, blank=True)
    last_probe_ok = models.BooleanField(null=True, blank=True)
    last_probe_detail = models.CharField(max_length=200, blank=True)
    probe_claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a probe round took the item (two rounds never both probe it)."
    )

    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account", "name"]
        indexes = [
            models.Index(fields=["account", "name"], name="item_account_name"),
            models.Index(
                fields=["probe_claimed_at"],
                name="item_probe_due",
                condition=Q(is_active=True) & ~Q(probe_kind="none"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="item_unique_name_per_account"),
            models.CheckConstraint(
                condition=Q(probe_kind="none")
                | (Q(probe_kind="http") & ~Q(probe_url=""))
                | (Q(probe_kind="tcp") & ~Q(probe_host="") & Q(probe_port__isnull=False)),
                name="item_probe_has_target",
            ),
            models.CheckConstraint(
                condition=Q(guarantee_percent__gte=0, guarantee_percent__lte=100),
                name="item_guarantee_in_range",
            ),
            models.CheckConstraint(condition=Q(state__in=ItemState.values), name="item_state_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def probe_target(self) -> str:
        if self.probe_kind == ProbeKind.HTTP:
            return self.probe_url
        if self.probe_kind == ProbeKind.TCP:
            host = f"[{self.probe_host}]" if ":" in self.probe_host else self.probe_host
            return f"{host}:{self.probe_port}"
        return ""


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


DEVICE_NAME_MAX_LENGTH = 64


class AuthTokenDevice(models.Model):
    """The device an API token was issued for: the name its client gave, or its User-Agent.

    Plain text without markup or control characters (services/tokens.py checks), shown beside the
    token wherever tokens are listed so that a person knows which one to revoke.
    """

    token = models.OneToOneField(AuthToken, on_delete=models.CASCADE, primary_key=True, related_name="device")
    name = models.CharField(max_length=DEVICE_NAME_MAX_LENGTH, blank=True)

    def __str__(self) -> str:
        return self.name
