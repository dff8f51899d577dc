"""Logins: django-axes on every login (pages, admin, API token), and whose address a request comes from."""

from datetime import timedelta

from helpdesk.settings.env import env

__all__ = [
    "TRUSTED_PROXY_COUNT",
    "AUTHENTICATION_BACKENDS",
    "AXES_FAILURE_LIMIT",
    "AXES_COOLOFF_TIME",
    "AXES_LOCKOUT_PARAMETERS",
    "AXES_RESET_ON_SUCCESS",
    "AXES_CLIENT_IP_CALLABLE",
    "AXES_LOCKOUT_CALLABLE",
    "AXES_SENSITIVE_PARAMETERS",
    "OTP_TOTP_ISSUER",
    "TWO_FACTOR_STEP_SECONDS",
    "OTP_ADMIN_HIDE_SENSITIVE_DATA",
]

# How many reverse proxies in front of Pledge append to X-Forwarded-For (and set X-Forwarded-Proto).
# 0: the client address is the socket's peer, and no forwarding header is believed.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# The lockout check comes first: a locked-out pair is refused before its password is tried.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "helpdesk.accounts.backends.AccountModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
# Per user *and* address: a guesser cannot lock a customer out from elsewhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "helpdesk.kit.logins.client_address"
AXES_LOCKOUT_CALLABLE = "helpdesk.kit.logins.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["password", "code", "otp"]

# Optional two-factor sign-in for staff (django-otp, TOTP): the name authenticator apps show, and how
# long the code page waits after a right password before the sign-in must start again.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Pledge")
TWO_FACTOR_STEP_SECONDS = env.int("TWO_FACTOR_STEP_SECONDS", default=300)
# The admin lists devices (a billing admin removes one its owner lost) but never shows a key or its QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
