"""Routes of the v1 API (mounted at /api/v1/)."""
from django.urls import path
from rest_framework.routers import SimpleRouter

from helpdesk.api import views

router = SimpleRouter(use_regex_path=False)
router.register("calendars", views.CalendarViewSet, basename="calendar")
router.register("plans", views.PlanViewSet, basename="plan")
router.register("accounts", views.AccountViewSet, basename="account")
router.register("users", views.UserViewSet, basename="user")
router.register("tickets", views.TicketViewSet, basename="ticket")

app_name = "api"
urlpatterns = [
    path("auth/token/", views.AuthTokenView.as_view(), name="auth-token"),
    path(
        "tickets/<int:pk>/messages/", views.TicketMessagesView.as_view(), name="ticket-messages"
    ),
    *router.urls,
]
