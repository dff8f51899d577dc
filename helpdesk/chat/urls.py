"""Live chat pages: the customer's chat, the engineers' console, history and phone calls."""

from django.urls import path

from helpdesk.chat.views import chats

urlpatterns = [
    path("portal/chat/", chats.chat_portal, name="chat_portal"),
    path("chats/", chats.chat_console, name="chat_console"),
    path("chats/live/", chats.chat_console_live, name="chat_console_live"),
    path("chats/history/", chats.chat_history, name="chat_history"),
    path("chats/phone/", chats.phone_call_new, name="phone_call_new"),
    path("chats/<int:pk>/", chats.chat_detail, name="chat_detail"),
    path("chats/<int:pk>/accept/", chats.chat_accept_view, name="chat_accept"),
    path("chats/<int:pk>/end/", chats.chat_end_view, name="chat_end"),
    path("chats/<int:pk>/escalate/", chats.chat_escalate_view, name="chat_escalate"),
    path("chats/<int:pk>/messages/", chats.chat_post_view, name="chat_post"),
]
