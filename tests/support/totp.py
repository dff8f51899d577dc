"""Real TOTP codes for the two-factor tests: computed from the base32 key the enrol page shows."""

import datetime as dt
import re
from base64 import b32decode

from django_otp.oath import totp

# Ten seconds into a 30-second step, so that shifting by whole steps stays inside one step.
START = dt.datetime(2026, 12, 7, 9, 0, 10, tzinfo=dt.UTC)


def secret_on(page: str) -> str:
    return re.search(r'id="totp-secret">([A-Z2-7=]+)<', page).group(1)


def code_for(secret: str, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (time.time(), moved by time-machine in the tests);
    `steps_ahead=1`: the one a phone whose clock runs a little fast shows (django-otp's tolerance of
    one step takes it, and it is a later step than the code used before it, so not a replay)."""
    return f"{totp(b32decode(secret), step=30, digits=6, drift=steps_ahead):06d}"
