"""Routes of the accounts API: auth tokens, accounts and users (mounted at /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from helpdesk.accounts.api import views

router = SimpleRouter(use_regex_path=False)
router.register("accounts", views.AccountViewSet, basename="account")
router.register("users", views.UserViewSet, basename="user")

app_name = "accounts_api"
urlpatterns = [
    path("auth/token/", views.AuthTokenView.as_view(), name="auth-token"),
    path("auth/tokens/", views.AuthTokenListView.as_view(), name="auth-tokens"),
    path("auth/tokens/<str:token_key>/", views.AuthTokenDetailView.as_view(), name="auth-token-detail"),
    *router.urls,
]
