"""Sign-in, sign-out, and where a signed-in user lands."""

from django.contrib.auth import views as auth_views
from django.urls import path

from helpdesk.accounts.views import pages, profile

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", profile.profile, name="profile"),
    path("", pages.home, name="home"),
]
