"""Two-factor sign-in for staff: a TOTP device (django-otp) enrolled, confirmed, checked at sign-in, removed.

A device is enrolled unconfirmed (its secret shown once on the profile page) and counts only after
a valid code confirms it. Codes are checked by django-otp: each is accepted once (a device keeps the
time step of the last accepted code, so a replay fails) and a wrong one slows the next tries (its
throttle). That throttle count must outlive the refusal, so the functions that refuse a wrong code
commit their transaction first and raise after it, rather than being `@transaction.atomic` whole.
"""

import re

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from helpdesk.accounts import access
from helpdesk.accounts.models import User
from helpdesk.kit.errors import ConflictError, field_error
from helpdesk.kit.roles import require

DEVICE_NAME = "Authenticator app"
WRONG_CODE = (
    "That code is not right, or was already used. Enter the newest code from your app "
    "(after a wrong one, wait a few seconds)."
)
_CODE = re.compile(r"[0-9]{6,8}")  # ASCII digits: \d would take other scripts' digits


def code_clean(raw: str) -> str | None:
    """A code as typed (spaces allowed between digit groups): its digits, or None when it is no code."""
    code = raw.replace(" ", "").strip()
    return code if _CODE.fullmatch(code) else None


def _accepts(device: TOTPDevice, raw: str) -> bool:
    code = code_clean(raw)
    return code is not None and device.verify_token(code)


@transaction.atomic
def totp_enrol_start(*, user: User) -> TOTPDevice:
    """A new, unconfirmed device with a fresh secret (replacing an earlier unconfirmed one)."""
    require(access.may_use_two_factor(user), "Two-factor sign-in is for staff.")
    User.objects.select_for_update().filter(pk=user.pk).first()
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ConflictError("Two-factor sign-in is already on. Remove it first to enrol another device.")
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def totp_enrol_confirm(*, user: User, code: str) -> TOTPDevice:
    """Turn two-factor sign-in on: a valid code from the app proves it holds the secret."""
    require(access.may_use_two_factor(user), "Two-factor sign-in is for staff.")
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        accepted = device is not None and _accepts(device, code)
        if accepted:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
    if device is None:
        raise ConflictError("There is no device waiting for its first code: start the set-up again.")
    if not accepted:
        raise field_error("code", WRONG_CODE, code="otp_invalid")
    return device


def totp_remove(*, user: User, code: str) -> None:
    """Turn two-factor sign-in off, with a current code (a stolen session alone cannot)."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        accepted = device is not None and _accepts(device, code)
        if accepted:
            TOTPDevice.objects.filter(user=user).delete()
    if device is None:
        raise ConflictError("Two-factor sign-in is not on.")
    if not accepted:
        raise field_error("code", WRONG_CODE, code="otp_invalid")


def totp_sign_in_verify(*, user: User, code: str) -> TOTPDevice | None:
    """The second step of a sign-in: the user's confirmed device that accepts this code, or None."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is not None and _accepts(device, code):
            return device
    return None
