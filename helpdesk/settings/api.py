"""The REST API: authentication, paging, errors and the OpenAPI schema."""

from datetime import timedelta

from helpdesk.settings.env import env
from helpdesk.settings.logins import TRUSTED_PROXY_COUNT

__all__ = ["REST_FRAMEWORK", "REST_KNOX", "KNOX_TOKEN_MODEL", "API_TOKENS_PER_USER", "SPECTACULAR_SETTINGS"]

REST_FRAMEWORK = {
    # Token first: DRF takes its WWW-Authenticate challenge from the first class, so an
    # anonymous request gets the contract's 401 rather than 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # The throttle's client address: REMOTE_ADDR, or X-Forwarded-For behind that many trusted proxies
    # (None would make DRF believe the whole header, which a client rotates to escape the limit).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {"auth-token": env.str("AUTH_TOKEN_THROTTLE", default="10/min")},
    # JSON nesting is bounded (a body nested 5,000 deep was a RecursionError, now a 400).
    "DEFAULT_PARSER_CLASSES": [
        "helpdesk.kit.limits.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "helpdesk.kit.limits.KeepingMultiPartParser",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "EXCEPTION_HANDLER": "helpdesk.kit.api_errors.exception_handler",
}
# API tokens end: each sign-in (device) gets its own, for API_TOKEN_TTL_DAYS; a password change
# revokes them all; a user holds at most API_TOKENS_PER_USER (the oldest goes first).
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=30)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
# knox's own token model, named so that accounts.AuthTokenDevice (a token's device name) can point at it.
KNOX_TOKEN_MODEL = "knox.AuthToken"  # noqa: S105 (a model name)
API_TOKENS_PER_USER = env.int("API_TOKENS_PER_USER", default=20)
SPECTACULAR_SETTINGS = {
    "TITLE": "Pledge API",
    "DESCRIPTION": "Tickets, promised deadlines, misses, claims, vouchers and invoices.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc from the installed package: the docs work offline and under the CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name ("status", "kind", "state", "source") need names of
    # their own; tickets' and exclusion periods' keep the names they had first.
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "helpdesk.tickets.models.TicketStatus",
        "KindEnum": "sla.clocks.models.ExclusionKind",
        "ChatStatusEnum": "helpdesk.chat.models.ChatStatus",
        "ChatKindEnum": "helpdesk.chat.models.ChatKind",
        "ChatEndReasonEnum": "helpdesk.chat.models.ChatEndReason",
        "ChatMessageKindEnum": "helpdesk.chat.models.ChatMessageKind",
        "MaintenanceKindEnum": "sla.uptime.models.MaintenanceKind",
        "ProbeKindEnum": "helpdesk.accounts.models.ProbeKind",
        "ItemStateEnum": "helpdesk.accounts.models.ItemState",
        "DowntimeSourceEnum": "sla.uptime.models.DowntimeSource",
    },
}
