"""WebSocket routes of the live map."""

from django.urls import path

from journeys.realtime.consumers import JourneyConsumer, SharedJourneyConsumer

websocket_urlpatterns = [
    path("ws/journeys/<int:journey_id>/", JourneyConsumer.as_asgi()),
    path("ws/share/<str:token>/", SharedJourneyConsumer.as_asgi()),
]
