"""Live chat: its channel layer, limits and database threads."""

from helpdesk.settings.database import SQLITE
from helpdesk.settings.env import REDIS_URL, env

__all__ = [
    "CHANNEL_LAYERS",
    "CHAT_WAIT_SECONDS",
    "CHAT_ENGINEER_LIMIT",
    "CHAT_WARNING_SECONDS",
    "CHAT_DATABASE_THREADS",
]

# How long a request waits for an engineer before the customer is offered a ticket, how many
# chats one engineer runs at once, and when both sides are warned before the session limit.
CHAT_WAIT_SECONDS = env.int("CHAT_WAIT_SECONDS", default=300)
CHAT_ENGINEER_LIMIT = env.int("CHAT_ENGINEER_LIMIT", default=3)
CHAT_WARNING_SECONDS = env.int("CHAT_WARNING_SECONDS", default=120)
# Threads for the chat sockets' database calls. SQLite takes one writer at a time and writers
# that collide sleep in its busy handler, so there one thread queues them without sleeping.
# A server database's thread spends most of a call waiting for its answers, so more of them
# overlap: with 2, 200 chats on a machine whose CPUs others kept busy queued posts behind each
# other for seconds and never caught up; with 8 they did (one connection each).
CHAT_DATABASE_THREADS = env.int("CHAT_DATABASE_THREADS", default=1 if SQLITE else 8)

# With Redis, pub/sub: a push is one PUBLISH and reaches each server's sockets without a round
# trip per socket; it keeps nothing for a socket that is away, which costs nothing here, as
# messages are stored first and every socket reads back what it missed. redis-py's pool refuses
# (not waits) past 100 connections and its 5 s read timeout cuts the layer's own waits, so both
# are set. Without Redis, an in-memory layer whose upkeep does not grow with every open socket.
CHANNEL_LAYERS = {
    "default": (
        {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "max_connections": env.int("CHAT_REDIS_MAX_CONNECTIONS", default=2000),
                        "socket_timeout": 30,
                    }
                ]
            },
        }
        if REDIS_URL
        else {"BACKEND": "helpdesk.chat.consumers.InMemoryChannelLayer"}
    )
}
