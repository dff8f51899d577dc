"""WebSocket routes: a live chat session's socket, and the engineers' lobby."""

from django.urls import path

from helpdesk.chat import consumers

websocket_urlpatterns: list = [
    path("ws/chats/", consumers.ChatLobbyConsumer.as_asgi()),
    path("ws/chats/<int:pk>/", consumers.ChatConsumer.as_asgi()),
]
