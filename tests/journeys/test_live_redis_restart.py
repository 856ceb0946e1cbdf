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
from websockets.exceptions import ConnectionClosed, InvalidHandshake

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


class Browser:
    """What the editor's socket module does, in a few lines: reconnect with backoff, resend an
    unanswered edit, and ask for what it missed after a reconnect."""

    def __init__(self, server, journey_id: int, session: str) -> None:
        self.server, self.journey_id, self.session = server, journey_id, session

    async def open_map(self):
        for delay in (0.1, 0.2, 0.5, 1, 1, 2, 2, 2, 2, 2):
            try:
                socket = await connect(
                    f"{self.server.ws_url}/ws/journeys/{self.journey_id}/",
                    additional_headers={"Cookie": f"sessionid={self.session}"},
                    origin=self.server.url,
                )
                hello = json.loads(await socket.recv())
                return socket, hello["revision"]
            except (ConnectionClosed, OSError, InvalidHandshake, EOFError):
                await asyncio.sleep(delay)  # the socket module's reconnect backoff
        raise AssertionError("the map's socket did not come back after Redis restarted")

    async def card_saved(self, data: dict) -> None:
        frame = {"type": "edit", "id": "e1", "action": "card.create", "data": data}
        while True:
            socket, _ = await self.open_map()
            try:
                await socket.send(json.dumps(frame))
                while (answer := json.loads(await socket.recv()))["type"] not in ("ack", "error"):
                    pass
            except ConnectionClosed:
                continue  # closed under the edit: send it again
            assert answer["type"] == "ack", answer
            return

    async def hears(self, socket, after: int, text: str) -> None:
        while True:
            try:
                message = json.loads(await socket.recv())
            except ConnectionClosed:
                socket, _ = await self.open_map()
                await socket.send(json.dumps({"type": "resync", "after": after}))
                continue
            events = [message] if message["type"] == "event" else message.get("events", [])
            if any(e["payload"].get("card", {}).get("text") == text for e in events):
                return


async def test_an_open_map_hears_changes_again_soon_after_redis_restarts(restartable):
    journey, session, redis, server, (phase, lane) = restartable
    browser = Browser(server, journey.pk, session)
    watcher, revision = await browser.open_map()
    redis.stop()
    redis.start()
    card = {"phase": phase, "lane": lane, "text": "After the outage"}
    await asyncio.wait_for(browser.card_saved(card), timeout=30)
    await asyncio.wait_for(browser.hears(watcher, revision, "After the outage"), timeout=30)
