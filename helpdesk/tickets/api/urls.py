"""Routes of the tickets API: tickets, their actions and messages (mounted at /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from helpdesk.tickets.api import views

router = SimpleRouter(use_regex_path=False)
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register("canned-replies", views.CannedReplyViewSet, basename="canned-reply")

app_name = "tickets_api"
urlpatterns = [
    path("tickets/<int:pk>/messages/", views.TicketMessagesView.as_view(), name="ticket-messages"),
    path("tickets/<int:pk>/rating/", views.TicketRatingView.as_view(), name="ticket-rating"),
    path(
        "tickets/<int:pk>/canned-replies/",
        views.TicketCannedRepliesView.as_view(),
        name="ticket-canned-replies",
    ),
    *router.urls,
]
