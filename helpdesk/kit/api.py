"""Pieces every app's API is built from: the base view mixin, fields, permissions."""

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema_field
from knox.auth import TokenAuthentication
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from helpdesk.kit.months import MONTH_RE

MONTH_HELP = '"YYYY-MM", the month of the deadline in the support time zone.'


HH_MM = "%H:%M"


@extend_schema_field({"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "09:00"})
class HourMinuteField(serializers.TimeField):
    """A time of day as "HH:MM", in and out (OpenAPI's `format: time` would promise "09:00:00")."""

    def __init__(self, **kwargs):
        super().__init__(format=HH_MM, input_formats=[HH_MM], **kwargs)


class TokenScheme(OpenApiAuthenticationExtension):
    """The schema's name for API tokens stays `tokenAuth`: `Authorization: Token <key>` (API.md)."""

    target_class = "knox.auth.TokenAuthentication"
    name = "tokenAuth"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'A token from POST /api/v1/auth/token/, sent as "Token <key>".',
        }


class PledgeAPIMixin:
    # Token first: DRF takes the WWW-Authenticate challenge from the first class, and
    # without one it answers an anonymous request with 403 instead of the contract's 401.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    lookup_value_converter = "int"

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def validated(self, serializer_class, *, partial: bool = False) -> dict:
        serializer = serializer_class(
            data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def render(self, instance, *, status_code: int = status.HTTP_200_OK) -> Response:
        """The object as this endpoint's list shows it (re-read with the same related data)."""
        instance = self.get_queryset().get(pk=instance.pk)
        return Response(self.get_serializer(instance).data, status=status_code)


class _AdminEditableViewSet(
    PledgeAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """List and read for whoever the permission lets read; create and update through services."""

    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    input_serializer_class: type
    create_service: staticmethod
    update_service: staticmethod
    update_keyword: str
    # The services ("create", "update") that record who acted (a plan's versions) take `actor`.
    passes_actor: frozenset[str] = frozenset()

    def _actor(self) -> dict:
        action = "create" if self.request.method == "POST" else "update"
        return {"actor": self.request.user} if action in self.passes_actor else {}

    def create(self, request):
        instance = self.create_service(**self.validated(self.input_serializer_class), **self._actor())
        return self.render(instance, status_code=status.HTTP_201_CREATED)

    def update(self, request, pk=None):
        partial = request.method == "PATCH"
        instance = self.get_object()
        changes = self.validated(self.input_serializer_class, partial=partial)
        instance = self.update_service(**{self.update_keyword: instance}, **changes, **self._actor())
        return self.render(instance)

    def partial_update(self, request, pk=None):
        return self.update(request, pk)


class BlankAsNullChoiceField(serializers.ChoiceField):
    """Renders an unset choice (stored as "") as null."""

    def __init__(self, **kwargs):
        super().__init__(allow_null=True, allow_blank=True, **kwargs)

    def to_representation(self, value):
        return super().to_representation(value) if value else None


class StrictCharField(serializers.CharField):
    """Text only: a number or a list is a 400, not quietly turned into its string."""

    default_error_messages = {"not_text": "Must be text."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        return super().to_internal_value(data)


class BlankAsNullCharField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(allow_null=True, **kwargs)

    def to_representation(self, value):
        return value or None


class _ReadWrite(BasePermission):
    """Reads for `may_read`, writes for `may_write`, everything for signed-in users only.

    A write on one object is decided only after the object was found in the caller's
    queryset, so an object outside the caller's account is a 404 before it can be a 403.
    """

    message = "Your role may not do this."

    def may_read(self, user) -> bool:
        return True

    def may_write(self, user) -> bool:
        return False

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated) or not self.may_read(user):
            return False
        if request.method in SAFE_METHODS:
            return True
        lookup = view.lookup_url_kwarg or view.lookup_field
        if lookup in view.kwargs:
            return True
        return self.may_write(user)

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or self.may_write(request.user)


class MonthField(serializers.RegexField):
    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", MONTH_HELP)
        kwargs.setdefault(
            "error_messages", {"invalid": "Give a month as YYYY-MM, between 2000-01 and 2100-12."}
        )
        super().__init__(MONTH_RE, max_length=7, **kwargs)


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with its offset: a time without one is ambiguous, so it is refused."""

    default_error_messages = {"naive": "Give the time with its offset, e.g. 2026-03-10T10:00:00Z."}

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)
