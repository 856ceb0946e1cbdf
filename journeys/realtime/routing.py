"""WebSocket routes of the live map: the team's, and share-link visitors'."""

from django.urls import path

from journeys.realtime.consumers import JourneyConsumer
from journeys.realtime.sharing import SharedLinkConsumer

websocket_urlpatterns = [
    path("ws/journeys/<int:journey_id>/", JourneyConsumer.as_asgi()),
    path("ws/share/<str:token>/", SharedLinkConsumer.as_asgi()),
]
