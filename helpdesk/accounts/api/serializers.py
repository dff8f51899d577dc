"""API shapes of tokens, accounts and users."""

from rest_framework import serializers

from helpdesk.accounts.models import Account, User
from helpdesk.accounts.services.accounts import MAX_MONTHLY_FEE, MAX_PASSWORD_LENGTH
from helpdesk.kit.api import StrictCharField
from helpdesk.kit.roles import Role
from sla.terms.models import Plan

# --- auth -------------------------------------------------------------------------------


class AuthTokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=MAX_PASSWORD_LENGTH, trim_whitespace=False, style={"input_type": "password"}
    )


class AuthTokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)
    expiry = serializers.DateTimeField(read_only=True)


class IssuedTokenSerializer(serializers.Serializer):
    """One of the user's tokens as listed: never the key itself, only its first characters."""

    token_key = serializers.CharField(read_only=True)
    created = serializers.DateTimeField(read_only=True)
    expiry = serializers.DateTimeField(read_only=True)


# --- accounts and users -----------------------------------------------------------------


class AccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "plan",
            "plan_version",
            "monthly_fee",
            "currency",
            "is_active",
            "started_on",
            "billing_address",
            "tax_id",
        ]
        read_only_fields = fields

    plan_version = serializers.IntegerField(
        source="plan_version.version",
        read_only=True,
        allow_null=True,
        help_text="The version of the plan the current term is pinned to (null until first needed).",
    )


class AccountInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    plan = serializers.PrimaryKeyRelatedField(queryset=Plan.objects.all())
    monthly_fee = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, max_value=MAX_MONTHLY_FEE
    )
    currency = serializers.CharField(
        min_length=3, max_length=3, default="USD", help_text="ISO 4217 code, e.g. USD"
    )
    is_active = serializers.BooleanField(default=True)
    started_on = serializers.DateField(
        required=False, help_text="The day service began (default: today); months from it on are billed."
    )
    billing_address = StrictCharField(
        max_length=500,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Postal address on invoices and statements (up to 8 lines).",
    )
    tax_id = StrictCharField(max_length=40, required=False, allow_blank=True, help_text="Tax number, if any.")


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "first_name", "last_name", "role", "account", "is_active"]
        read_only_fields = fields


class UserCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        write_only=True,
        max_length=MAX_PASSWORD_LENGTH,
        trim_whitespace=False,
        style={"input_type": "password"},
    )
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices)
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(),
        allow_null=True,
        default=None,
        help_text="Required for customers; must be empty for staff.",
    )
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
