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
    *router.urls,
]
