"""Roles and the checks every app's access rules are built from."""

from django.db import models


class Role(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    ENGINEER = "engineer", "Engineer"
    BILLING_ADMIN = "billing_admin", "Billing admin"


class Denied(Exception):
    """The user may see the object but their role may not do this (HTTP 403)."""


def is_customer(user) -> bool:
    return user.is_authenticated and user.is_customer


def is_staff(user) -> bool:
    return user.is_authenticated and user.is_support_staff


def is_billing_admin(user) -> bool:
    return user.is_authenticated and user.is_billing_admin


def require(allowed: bool, message: str = "Your role may not do this.") -> None:
    if not allowed:
        raise Denied(message)
