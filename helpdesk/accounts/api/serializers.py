"""API shapes of tokens, accounts and users."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from helpdesk.accounts import selectors
from helpdesk.accounts.models import DEVICE_NAME_MAX_LENGTH, Account, User
from helpdesk.accounts.services.accounts import MAX_MONTHLY_FEE, MAX_PASSWORD_LENGTH
from helpdesk.accounts.services.tokens import device_name_clean
from helpdesk.accounts.services.two_factor import code_clean
from helpdesk.kit.api import StrictCharField
from helpdesk.kit.roles import Role
from sla.terms.models import Plan

# --- auth -------------------------------------------------------------------------------


class AuthTokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=MAX_PASSWORD_LENGTH, trim_whitespace=False, style={"input_type": "password"}
    )
    device = serializers.CharField(
        max_length=DEVICE_NAME_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="A name for this device or client, shown in the token list (plain text, at most "
        f"{DEVICE_NAME_MAX_LENGTH} characters); default: the User-Agent.",
    )

    otp = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        default="",
        help_text="The current code from the user's authenticator app: required once the user has "
        "turned on two-factor sign-in (staff only).",
    )

    def validate_otp(self, value: str) -> str:
        if not value:
            return ""
        code = code_clean(value)
        if code is None:
            raise serializers.ValidationError("A one-time code is 6 to 8 digits.")
        return code

    def validate_device(self, value: str) -> str:
        try:
            return device_name_clean(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict["device"]) from exc


class AuthTokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)
    expiry = serializers.DateTimeField(read_only=True)


class IssuedTokenSerializer(serializers.Serializer):
    """One of the user's tokens as listed: never the key itself, only its first characters."""

    token_key = serializers.CharField(read_only=True)
    device = serializers.SerializerMethodField(help_text="The device's name, or its User-Agent.")
    created = serializers.DateTimeField(read_only=True)
    expiry = serializers.DateTimeField(read_only=True)

    def get_device(self, token) -> str:
        return selectors.auth_token_device_name(token)


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
