"""WebSocket routes (live chat lands here)."""
websocket_urlpatterns: list = []
