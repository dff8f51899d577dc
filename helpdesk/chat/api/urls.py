"""Routes of the live chat API (mounted at /api/v1/ beside the other apps' routes)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from helpdesk.chat.api import views as chats

router = SimpleRouter(use_regex_path=False)
router.register("chats", chats.ChatViewSet, basename="chat")

app_name = "chat_api"
urlpatterns = [
    path("chats/<int:pk>/messages/", chats.ChatMessagesView.as_view(), name="chat-messages"),
    *router.urls,
]
