"""The floor for the live benchmark: a bare Channels consumer that relays every frame it gets to
everyone in its group (``/ws/floor/<group>/``, one group per map of the run), through the same
channel layer (Redis) the product uses. No auth, no database, no JSON parsing: the least a
Channels relay can do.

Edits sent over HTTP have a floor of their own: ``POST /floor/<group>/`` relays its body to the
group the same way and answers 201 with the body, so the REST path is compared with the least
an HTTP request plus a relay can cost, not with a socket frame that has no request around it."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from channels.generic.http import AsyncHttpConsumer  # noqa: E402
from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from config.serving import tune_for_live_serving  # noqa: E402


class Relay(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.group = f"floor-{self.scope['url_route']['kwargs']['group']}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        await self.channel_layer.group_send(self.group, {"type": "relay", "text": text_data})

    async def relay(self, message: dict) -> None:
        await self.send(text_data=message["text"])


class HttpRelay(AsyncHttpConsumer):
    async def handle(self, body: bytes) -> None:
        group = f"floor-{self.scope['url_route']['kwargs']['group']}"
        await self.channel_layer.group_send(group, {"type": "relay", "text": body.decode()})
        headers = [(b"Content-Type", b"application/json"), (b"Content-Length", b"%d" % len(body))]
        await self.send_response(201, body, headers=headers)


application = ProtocolTypeRouter(
    {
        "http": URLRouter([path("floor/<int:group>/", HttpRelay.as_asgi())]),
        "websocket": URLRouter([path("ws/floor/<int:group>/", Relay.as_asgi())]),
    }
)
# The same process settings as the product's server, so the ratio measures only the product.
tune_for_live_serving()
