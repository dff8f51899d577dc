"""Sign-in, sign-out, password change and reset, the profile page, and where a signed-in user lands."""

from django.contrib.auth import views as auth_views
from django.urls import path

from helpdesk.accounts.views import pages, profile, signin, two_factor

urlpatterns = [
    path("login/", signin.PledgeLoginView.as_view(template_name="registration/login.html"), name="login"),
    path("login/code/", signin.login_code, name="login_code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", profile.profile, name="profile"),
    path("profile/tokens/<str:token_key>/revoke/", profile.token_revoke, name="token_revoke"),
    path("profile/tokens/revoke-all/", profile.tokens_revoke_all, name="tokens_revoke_all"),
    path("profile/two-factor/", two_factor.two_factor_page, name="two_factor"),
    path("profile/two-factor/start/", two_factor.two_factor_start, name="two_factor_start"),
    path("profile/two-factor/confirm/", two_factor.two_factor_confirm, name="two_factor_confirm"),
    path("profile/two-factor/remove/", two_factor.two_factor_remove, name="two_factor_remove"),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("", pages.home, name="home"),
]
