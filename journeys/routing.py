"""WebSocket routes of the live map."""

from django.urls import path

from journeys.consumers import JourneyConsumer

websocket_urlpatterns = [
    path("ws/journeys/<int:journey_id>/", JourneyConsumer.as_asgi()),
]
