"""Real TOTP codes for the two-factor tests: computed from the base32 key the enrol page shows."""

import datetime as dt
import re
from base64 import b32decode

from django_otp.oath import totp

# Ten seconds into a 30-second step, so that shifting by whole steps stays inside one step.
START = dt.datetime(2026, 12, 7, 9, 0, 10, tzinfo=dt.UTC)


def secret_on(page: str) -> str:
    return re.search(r'id="totp-secret">([A-Z2-7=]+)<', page).group(1)


def code_for(secret: str) -> str:
    """The code an authenticator app shows now (time.time(), moved by time-machine in the tests)."""
    return f"{totp(b32decode(secret), step=30, digits=6):06d}"
