"""API: auth tokens, accounts and users."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from helpdesk.accounts import access, selectors
from helpdesk.accounts.api import permissions, serializers
from helpdesk.accounts.services import accounts as account_services
from helpdesk.accounts.services import tokens as token_services
from helpdesk.accounts.services import two_factor
from helpdesk.kit.api import PledgeAPIMixin, _AdminEditableViewSet
from helpdesk.kit.logins import sign_in_failed

OTP_REQUIRED = (
    "This account has two-factor sign-in: send the current code from its authenticator app as `otp`."
)
OTP_INVALID = "That one-time code is not right, or was already used: send the newest code from the app."


def _otp_refused(detail: str, code: str) -> Response:
    response = Response(
        {"otp": [detail], "detail": detail, "code": code}, status=status.HTTP_401_UNAUTHORIZED
    )
    response["WWW-Authenticate"] = 'Token realm="api", error="otp"'
    return response


# --- auth -------------------------------------------------------------------------------


class AuthTokenView(APIView):
    """Exchange a username and password for the user's API token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    # Password guessing through the API is slowed per client address.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth-token"

    @extend_schema(
        request=serializers.AuthTokenRequestSerializer,
        responses={
            200: serializers.AuthTokenSerializer,
            401: OpenApiResponse(
                description="Two-factor sign-in is on and `otp` is missing (code `otp_required`) or wrong "
                "(`otp_invalid`)."
            ),
        },
        auth=[],
    )
    def post(self, request):
        serializer = serializers.AuthTokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The Django request, so that django-axes can flag a locked-out pair for its middleware.
        user = authenticate(
            request._request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None:
            raise ValidationError(
                {"detail": "Unable to log in with that username and password."},
                code="authentication",
            )
        if selectors.has_two_factor(user):
            otp = serializer.validated_data["otp"]
            if not otp:
                return _otp_refused(OTP_REQUIRED, "otp_required")
            if two_factor.totp_sign_in_verify(user=user, code=otp) is None:
                # Counted like a wrong password: the last allowed failure is django-axes's 429.
                sign_in_failed(request._request, user.get_username())
                return _otp_refused(OTP_INVALID, "otp_invalid")
        instance, key = token_services.auth_token_issue(
            user=user,
            device=serializer.validated_data["device"],
            user_agent=request.headers.get("User-Agent", ""),
        )
        return Response(serializers.AuthTokenSerializer({"token": key, "expiry": instance.expiry}).data)


class AuthTokenListView(PledgeAPIMixin, APIView):
    """The signed-in user's own API tokens (one per device), newest first."""

    @extend_schema(responses={200: serializers.IssuedTokenSerializer(many=True)})
    def get(self, request):
        tokens = selectors.auth_tokens_of(user=request.user)
        return Response(serializers.IssuedTokenSerializer(tokens, many=True).data)


class AuthTokenDetailView(PledgeAPIMixin, APIView):
    """Revoke one of the signed-in user's own tokens (another user's is a 404)."""

    @extend_schema(responses={204: None})
    def delete(self, request, token_key: str):
        if not selectors.auth_tokens_of(user=request.user).filter(token_key=token_key).exists():
            raise NotFound()
        token_services.auth_token_revoke(user=request.user, token_key=token_key)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- accounts and users -----------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(
        request=serializers.AccountInputSerializer, responses={201: serializers.AccountSerializer}
    ),
    update=extend_schema(request=serializers.AccountInputSerializer, responses=serializers.AccountSerializer),
    partial_update=extend_schema(
        request=serializers.AccountInputSerializer, responses=serializers.AccountSerializer
    ),
)
class AccountViewSet(_AdminEditableViewSet):
    """Customer accounts: a customer reads their own, staff read all, billing admins edit."""

    serializer_class = serializers.AccountSerializer
    input_serializer_class = serializers.AccountInputSerializer
    permission_classes = [permissions.AccountAccess]
    create_service = staticmethod(account_services.account_create)
    update_service = staticmethod(account_services.account_update)
    update_keyword = "account"

    def get_queryset(self):
        return (
            access.accounts_visible_to(self.request.user)
            .select_related("plan_version")
            .order_by("name", "id")
        )


@extend_schema_view(
    create=extend_schema(
        request=serializers.UserCreateSerializer, responses={201: serializers.UserSerializer}
    ),
)
class UserViewSet(PledgeAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """People who log in: billing admins list and create them."""

    serializer_class = serializers.UserSerializer
    permission_classes = [permissions.UserAccess]

    def get_queryset(self):
        return access.users_visible_to(self.request.user).order_by("username", "id")

    def create(self, request):
        user = account_services.user_create(**self.validated(serializers.UserCreateSerializer))
        return self.render(user, status_code=status.HTTP_201_CREATED)
