"""The live map outlives a Redis restart: an editor's open map hears the next change within
seconds of Redis coming back (over the same socket, or after the reconnect a browser makes)."""

import asyncio
import json
import shutil
import subprocess
import time

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from journeys import services
from journeys.models import Lane
from journeys.permissions import Role
from tests.factories import UserFactory
from tests.servers import Server, database_url, free_port, redis_available

pytestmark = pytest.mark.django_db(transaction=True)


class PrivateRedis:
    """A Redis server of this test's own, so that restarting it disturbs nobody else."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--logfile", ""),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not redis_available(self.url):
            assert time.monotonic() < deadline, "the private Redis did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def restartable(db):
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server on the PATH")
    editor = UserFactory(role=Role.EDITOR)
    journey = services.journey_create(actor=editor, title="Outage", template="five_phase")
    client = Client()
    client.force_login(editor)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    redis = PrivateRedis()
    server = Server(database=database_url(connection.settings_dict), redis_url=redis.url)
    phase = journey.phases.order_by("position").first()
    lane = journey.lanes.get(kind=Lane.Kind.ACTIONS)
    yield journey, session, redis, server, (phase.pk, lane.pk)
    server.stop()
    redis.stop()


async def test_an_open_map_hears_changes_again_soon_after_redis_restarts(restartable):
    journey, session, redis, server, (phase, lane) = restartable

    async def open_map():
        socket = await connect(
            f"{server.ws_url}/ws/journeys/{journey.pk}/",
            additional_headers={"Cookie": f"sessionid={session}"},
            origin=server.url,
        )
        hello = json.loads(await socket.recv())
        return socket, hello["revision"]

    watcher, revision = await open_map()
    redis.stop()
    redis.start()
    editor, _ = await open_map()
    frame = {"type": "edit", "id": "e1", "action": "card.create"}
    frame["data"] = {"phase": phase, "lane": lane, "text": "After the outage"}
    await editor.send(json.dumps(frame))

    # As the browser does: listen; if the socket closed, reconnect and ask what was missed.
    async def hears_the_card() -> None:
        socket, after = watcher, revision
        while True:
            try:
                message = json.loads(await socket.recv())
            except ConnectionClosed:
                socket, _ = await open_map()
                await socket.send(json.dumps({"type": "resync", "after": after}))
                continue
            events = [message] if message["type"] == "event" else message.get("events", [])
            if any(e["payload"].get("card", {}).get("text") == "After the outage" for e in events):
                return

    await asyncio.wait_for(hears_the_card(), timeout=20)
