"""WebSocket routes of the live map."""

websocket_urlpatterns: list = []
