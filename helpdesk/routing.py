"""WebSocket routes: a live chat session's socket, the engineers' lobby, who else is on a ticket."""

from django.urls import path

from helpdesk.chat import consumers
from helpdesk.tickets import consumers as ticket_consumers

websocket_urlpatterns: list = [
    path("ws/chats/", consumers.ChatLobbyConsumer.as_asgi()),
    path("ws/chats/<int:pk>/", consumers.ChatConsumer.as_asgi()),
    path("ws/tickets/<int:pk>/presence/", ticket_consumers.TicketPresenceConsumer.as_asgi()),
]
