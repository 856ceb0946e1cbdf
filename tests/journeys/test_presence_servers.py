"""Presence across real server processes: when one dies without a goodbye, the editors still
connected to the others drop its users within the stated time (three presence refreshes)."""

import asyncio
import json
import os

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from websockets.asyncio.client import connect

from journeys import services
from journeys.permissions import Role
from tests.factories import UserFactory
from tests.servers import Server, database_url, redis_available

pytestmark = pytest.mark.django_db(transaction=True)
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
REFRESH_SECONDS = 1.0  # the servers' presence refresh: stale after 3 s


def session_for(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


async def open_map(server, journey_id: int, session: str):
    socket = await connect(
        f"{server.ws_url}/ws/journeys/{journey_id}/",
        additional_headers={"Cookie": f"sessionid={session}"},
        origin=server.url,
    )
    hello = json.loads(await socket.recv())
    return socket, hello


@pytest.fixture
def roster_map(db):
    if not redis_available(REDIS_URL):
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip("presence across processes needs Redis")
    stays, leaves = UserFactory(role=Role.EDITOR), UserFactory(role=Role.EDITOR)
    journey = services.journey_create(actor=stays, title="Roster", template="five_phase")
    env = {"JOURNEYBOARD_PRESENCE_REFRESH_SECONDS": str(REFRESH_SECONDS)}
    database = database_url(connection.settings_dict)
    servers = [Server(database=database, redis_url=REDIS_URL, extra_env=env) for _ in range(2)]
    yield journey, session_for(stays), session_for(leaves), servers
    for server in servers:
        server.stop()


async def test_the_users_of_a_server_that_dies_leave_the_others_rosters_in_time(roster_map):
    journey, staying, leaving, servers = roster_map
    watcher, _ = await open_map(servers[0], journey.pk, staying)
    _doomed, hello = await open_map(servers[1], journey.pk, leaving)
    member = hello["you"]["member"]

    async def next_presence(action: str, timeout: float) -> dict:
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await watcher.recv())
                if (
                    frame["type"] == "presence"
                    and frame["action"] == action
                    and frame["state"]["member"] == member
                ):
                    return frame

    await next_presence("update", timeout=10)
    servers[1].process.kill()  # no goodbye: its sockets just stop confirming themselves
    loop = asyncio.get_running_loop()
    killed_at = loop.time()
    # Stale after 3 refreshes, noticed at the watcher's next refresh; slack for a busy box.
    await next_presence("leave", timeout=5 * REFRESH_SECONDS + 10)
    assert loop.time() - killed_at >= 2 * REFRESH_SECONDS  # it left by going stale
    await watcher.close()
