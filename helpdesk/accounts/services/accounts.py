"""Writes of customer accounts, the people who use Pledge, and their API tokens."""

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.contrib.auth import password_validation
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from helpdesk.accounts.models import Account, User
from helpdesk.kit.errors import ValidationError
from helpdesk.kit.months import support_today
from helpdesk.kit.roles import Role
from helpdesk.kit.validation import clean_text
from sla.terms.models import Plan, PlanVersion
from sla.terms.services.versions import plan_version_current

MAX_MONTHLY_FEE = Decimal("9999999999.99")  # max_digits=12, decimal_places=2
MAX_PASSWORD_LENGTH = 128
CURRENCY_CODE = re.compile(r"[A-Z]{3}")


class _Unset:
    """Marks a keyword an update was not given."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def _add(errors: dict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _clean_line(value, *, field: str, max_length: int, errors: dict, required: bool = True) -> str:
    """Text on one line: clean_text's rules, and no line breaks or tabs either."""
    value = clean_text(value, field=field, max_length=max_length, errors=errors, required=required)
    if field not in errors and any(ch in value for ch in "\n\r\t"):
        _add(errors, field, "Must be a single line.")
    return value


def _clean_address(value, errors: dict) -> str:
    """A postal address: up to 500 characters over at most 8 lines (it is printed on invoices)."""
    value = clean_text(value, field="billing_address", max_length=500, errors=errors, required=False)
    lines = [line.strip() for line in value.replace("\r\n", "\n").split("\n")]
    if "billing_address" not in errors and (
        len(lines) > 8 or "\t" in value or "\r" in value.replace("\r\n", "")
    ):
        _add(errors, "billing_address", "At most 8 lines of text, no tabs.")
    return "\n".join(line for line in lines if line)


def clean_fee(value, errors: dict) -> Decimal | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    if (
        not isinstance(value, Decimal)
        or not value.is_finite()
        or value.as_tuple().exponent < -2
        or not Decimal(0) <= value <= MAX_MONTHLY_FEE
    ):
        _add(
            errors,
            "monthly_fee",
            f"Must be an amount from 0.00 to {MAX_MONTHLY_FEE} with at most 2 decimal places.",
        )
        return None
    return value.quantize(Decimal("0.01"))


def clean_currency(value, errors: dict) -> str:
    if not isinstance(value, str) or not CURRENCY_CODE.fullmatch(value):
        _add(errors, "currency", "Must be a three-letter ISO 4217 code in capitals, e.g. USD.")
        return ""
    return value


def _clean_account_name(value, errors: dict, *, exclude_pk: int | None = None) -> str:
    name = _clean_line(value, field="name", max_length=200, errors=errors)
    if "name" not in errors and (Account.objects.filter(name__iexact=name).exclude(pk=exclude_pk).exists()):
        _add(errors, "name", "An account with this name already exists.")
    return name


def clean_plan(value, errors: dict) -> Plan | None:
    if not isinstance(value, Plan):
        _add(errors, "plan", "Must be a plan.")
        return None
    return value


def _clean_flag(value, field: str, errors: dict) -> bool:
    if not isinstance(value, bool):
        _add(errors, field, "Must be true or false.")
    return value


def _save_account(account: Account, **save_kwargs) -> None:
    try:
        with transaction.atomic():
            account.save(**save_kwargs)
    except IntegrityError as exc:
        raise ValidationError({"name": ["An account with this name already exists."]}) from exc


@transaction.atomic
def account_create(
    *,
    name: str,
    plan: Plan,
    monthly_fee: Decimal,
    currency: str = "USD",
    is_active: bool = True,
    started_on: dt.date | None = None,
    billing_address: str = "",
    tax_id: str = "",
) -> Account:
    """A customer organisation subscribed to `plan` for `monthly_fee` a month, from `started_on` (today)."""
    errors: dict[str, list] = {}
    account = Account(
        name=_clean_account_name(name, errors),
        plan=clean_plan(plan, errors),
        monthly_fee=clean_fee(monthly_fee, errors),
        currency=clean_currency(currency, errors),
        is_active=_clean_flag(is_active, "is_active", errors),
        started_on=support_today() if started_on is None else _clean_started_on(started_on, errors),
        billing_address=_clean_address(billing_address, errors),
        tax_id=_clean_line(tax_id, field="tax_id", max_length=40, errors=errors, required=False),
    )
    if errors:
        raise ValidationError(errors)
    account.plan_version = plan_version_current(plan=account.plan)  # the first term's version
    _save_account(account)
    return account


@transaction.atomic
def account_update(
    *,
    account: Account,
    name: str = UNSET,
    plan: Plan = UNSET,
    monthly_fee: Decimal = UNSET,
    currency: str = UNSET,
    is_active: bool = UNSET,
    started_on: dt.date = UNSET,
    plan_version: PlanVersion = UNSET,
    billing_address: str = UNSET,
    tax_id: str = UNSET,
) -> Account:
    """Change what was given. A new plan or fee applies from now: open tickets keep their promise.

    A new plan is a new term: the account is pinned to `plan_version` (billing gives the version its
    subscription term took), else to the plan's current version. The same plan keeps its pin.
    """
    locked = Account.objects.select_for_update().get(pk=account.pk)
    errors: dict[str, list] = {}
    changes: dict[str, Any] = {}
    if name is not UNSET:
        changes["name"] = _clean_account_name(name, errors, exclude_pk=locked.pk)
    if plan is not UNSET:
        changes["plan"] = clean_plan(plan, errors)
    if monthly_fee is not UNSET:
        changes["monthly_fee"] = clean_fee(monthly_fee, errors)
    if currency is not UNSET:
        changes["currency"] = clean_currency(currency, errors)
    if is_active is not UNSET:
        changes["is_active"] = _clean_flag(is_active, "is_active", errors)
    if started_on is not UNSET:
        changes["started_on"] = _clean_started_on(started_on, errors)
    if billing_address is not UNSET:
        changes["billing_address"] = _clean_address(billing_address, errors)
    if tax_id is not UNSET:
        changes["tax_id"] = _clean_line(tax_id, field="tax_id", max_length=40, errors=errors, required=False)
    new_plan = changes.get("plan") or locked.plan
    if plan_version is not UNSET:
        if not isinstance(plan_version, PlanVersion) or plan_version.plan_id != getattr(new_plan, "pk", None):
            _add(errors, "plan_version", "Must be a version of the account's plan.")
        else:
            changes["plan_version"] = plan_version
    elif "plan" in changes and changes["plan"] is not None and changes["plan"].pk != locked.plan_id:
        changes["plan_version"] = plan_version_current(plan=changes["plan"])
    if errors:
        raise ValidationError(errors)
    for field, value in changes.items():
        setattr(locked, field, value)
    if changes:
        _save_account(locked, update_fields=list(changes))
    return locked


def _clean_username(value, errors: dict) -> str:
    username = _clean_line(value, field="username", max_length=150, errors=errors)
    if "username" in errors:
        return username
    try:
        User.username_validator(username)
    except ValidationError as exc:
        errors.setdefault("username", []).extend(exc.messages)
        return username
    if User.objects.filter(username__iexact=username).exists():
        _add(errors, "username", "A user with this username already exists.")
    return username


def _clean_email(value, errors: dict) -> str:
    email = _clean_line(value, field="email", max_length=254, errors=errors)
    if "email" not in errors:
        try:
            validate_email(email)
        except ValidationError:
            _add(errors, "email", "Enter a valid email address.")
    return email


def _clean_membership(role, account, errors: dict) -> None:
    """Customers belong to exactly one account; staff to none."""
    if role not in Role.values:
        _add(errors, "role", f"Choose one of: {', '.join(Role.values)}.")
    elif role == Role.CUSTOMER and account is None:
        _add(errors, "account", "A customer needs the account they belong to.")
    elif role != Role.CUSTOMER and account is not None:
        _add(errors, "account", "Support staff belong to no account: leave it empty.")
    if account is not None and not isinstance(account, Account):
        _add(errors, "account", "Must be an account.")


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    email: str,
    role: str,
    account: Account | None = None,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """A person who can log in; the password must pass Django's validators."""
    errors: dict[str, list] = {}
    username = _clean_username(username, errors)
    email = _clean_email(email, errors)
    first_name = _clean_line(first_name, field="first_name", max_length=150, errors=errors, required=False)
    last_name = _clean_line(last_name, field="last_name", max_length=150, errors=errors, required=False)
    _clean_membership(role, account, errors)
    user = User(
        username=username,
        email=email,
        role=role,
        account=account if isinstance(account, Account) else None,
        first_name=first_name,
        last_name=last_name,
    )
    if not isinstance(password, str) or not password:
        _add(errors, "password", "This field is required.")
    elif len(password) > MAX_PASSWORD_LENGTH:
        _add(errors, "password", f"Use at most {MAX_PASSWORD_LENGTH} characters.")
    else:
        try:
            password_validation.validate_password(password, user=user)
        except ValidationError as exc:
            errors.setdefault("password", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ValidationError({"username": ["A user with this username already exists."]}) from exc
    return user


def _clean_started_on(value, errors: dict) -> dt.date | None:
    """The day service began: a date from 2000 to 2100 (earlier than today for a customer brought over)."""
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime) or not 2000 <= value.year <= 2100:
        _add(errors, "started_on", "Give a date (YYYY-MM-DD) from 2000 to 2100.")
        return None
    return value
