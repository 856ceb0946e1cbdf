"""An idle map socket on the Redis channel layer stays open: the layer's blocking poll must not
be cut short by the Redis client's own read timeout (which killed every quiet socket after ~6 s)."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection
from django.test import Client
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from journeys import services
from journeys.models import Lane, Phase
from journeys.permissions import Role
from tests.factories import UserFactory
from tests.servers import Server, database_url, redis_available

pytestmark = pytest.mark.django_db(transaction=True)

# Longer than the layer's 5-s poll, the Redis client's default 5-s read timeout and a presence
# refresh (10 s) together, several times over.
IDLE_SECONDS = 32


@pytest.fixture
def redis_server(django_db_setup, django_db_blocker):
    if not settings.REDIS_URL:
        pytest.skip("The idle-socket trap is in the Redis channel layer: needs REDIS_URL.")
    if not redis_available(settings.REDIS_URL):
        pytest.fail(f"REDIS_URL is set but Redis is not reachable at {settings.REDIS_URL}")
    server = Server(database=database_url(connection.settings_dict), redis_url=settings.REDIS_URL)
    yield server
    server.stop()


def session_for(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def map_with_editor():
    editor = UserFactory(role=Role.EDITOR)
    journey = services.journey_create(actor=editor, title="Quiet map", template="five_phase")
    return editor, journey, session_for(editor)


def card_create(editor, journey) -> int:
    card = services.card_create(
        actor=editor,
        journey_id=journey.pk,
        phase_id=Phase.objects.filter(journey=journey).order_by("position").first().pk,
        lane_id=Lane.objects.get(journey=journey, kind=Lane.Kind.ACTIONS).pk,
        text="Written after a long quiet",
    )
    return card.pk


async def frame_of_type(socket, kind: str, timeout: float = 15) -> dict:
    """The next frame of the given type (others, such as presence, are passed over)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), deadline - loop.time()))
        if frame["type"] == kind:
            return frame


def test_the_redis_layer_reads_for_longer_than_it_polls():
    """The quick guard beside the slow proof below: no connection is opened."""
    if not settings.REDIS_URL:
        pytest.skip("The idle-socket trap is in the Redis channel layer: needs REDIS_URL.")
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    pool = layer.create_pool(0)
    # A connection object as the pool makes them, with redis-py's defaults filled in.
    read_timeout = pool.connection_class(**pool.connection_kwargs).socket_timeout
    assert read_timeout is None or read_timeout > layer.brpop_timeout + 5


async def test_an_idle_socket_on_redis_stays_open_and_live(redis_server):
    editor, journey, session = await database_sync_to_async(map_with_editor)()
    async with connect(
        f"{redis_server.ws_url}/ws/journeys/{journey.pk}/",
        additional_headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"},
        origin=redis_server.url,
    ) as socket:
        hello = json.loads(await socket.recv())
        assert hello["type"] == "hello", hello

        # The deliberate quiet: the client sends nothing. A socket the server drops ends the
        # wait early, with the close code in the failure.
        loop = asyncio.get_running_loop()
        quiet_until = loop.time() + IDLE_SECONDS
        while (left := quiet_until - loop.time()) > 0:
            try:
                await asyncio.wait_for(socket.recv(), left)
            except TimeoutError:
                break
            except ConnectionClosed as closed:
                quiet = IDLE_SECONDS - (quiet_until - loop.time())
                pytest.fail(f"the idle socket was closed {quiet:.1f} s into the quiet: {closed!r}")

        card_id = await database_sync_to_async(card_create)(editor, journey)
        event = await frame_of_type(socket, "event")
        assert event["kind"] == "card_created"
        assert event["payload"]["card"]["id"] == card_id
        await socket.send(json.dumps({"type": "ping"}))
        assert (await frame_of_type(socket, "pong"))["type"] == "pong"
