"""Routes of the live chat API (mounted at /api/v1/ beside helpdesk.api.urls)."""
from django.urls import path
from rest_framework.routers import SimpleRouter

from helpdesk.api import chats

router = SimpleRouter(use_regex_path=False)
router.register("chats", chats.ChatViewSet, basename="chat")

app_name = "chat_api"
urlpatterns = [
    path("chats/<int:pk>/messages/", chats.ChatMessagesView.as_view(), name="chat-messages"),
    *router.urls,
]
