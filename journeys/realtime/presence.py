"""Who is on a map right now, and which cell each person is editing — never in the database.

With REDIS_URL the roster is a Redis hash per journey, shared by every server process; without
it, a dict in this (only) process. Each entry carries the time it was last confirmed, so the
entries of a process that died vanish from the roster within ``STALE_AFTER`` seconds.
"""

import json
import time
from typing import Any

from django.conf import settings

# How often a connection confirms itself, and how long without a confirmation before someone
# is taken off the map (settable, so that tests can kill a server and watch its users leave).
REFRESH_EVERY = settings.JOURNEYBOARD_PRESENCE_REFRESH_SECONDS
STALE_AFTER = 3 * REFRESH_EVERY


class _LocalRoster:
    def __init__(self) -> None:
        self.maps: dict[int, dict[str, dict]] = {}

    async def put(self, journey_id: int, member: str, state: dict) -> None:
        self.maps.setdefault(journey_id, {})[member] = state

    async def remove(self, journey_id: int, member: str) -> None:
        self.maps.get(journey_id, {}).pop(member, None)

    async def all(self, journey_id: int) -> list[dict]:
        return list(self.maps.get(journey_id, {}).values())


class _RedisRoster:
    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self.url = url
        self.redis = redis
        self.clients: dict[int, Any] = {}

    def _client(self):
        # One client per event loop: async_to_sync callers each run their own loop.
        import asyncio

        loop = asyncio.get_running_loop()
        client = self.clients.get(id(loop))
        if client is None:
            client = self.clients[id(loop)] = self.redis.from_url(self.url)
        return client

    @staticmethod
    def _key(journey_id: int) -> str:
        return f"{settings.REDIS_PREFIX}:presence:{journey_id}"

    async def put(self, journey_id: int, member: str, state: dict) -> None:
        key = self._key(journey_id)
        client = self._client()
        await client.hset(key, member, json.dumps(state))
        await client.expire(key, max(1, int(STALE_AFTER * 4)))

    async def remove(self, journey_id: int, member: str) -> None:
        await self._client().hdel(self._key(journey_id), member)

    async def all(self, journey_id: int) -> list[dict]:
        raw = await self._client().hgetall(self._key(journey_id))
        return [json.loads(value) for value in raw.values()]


_roster = _RedisRoster(settings.REDIS_URL) if settings.REDIS_URL else _LocalRoster()


async def presence_put(journey_id: int, member: str, state: dict) -> dict:
    state = {**state, "seen": time.time()}
    await _roster.put(journey_id, member, state)
    return state


async def presence_remove(journey_id: int, member: str) -> None:
    await _roster.remove(journey_id, member)


async def presence_roster(journey_id: int) -> list[dict]:
    """Everyone confirmed on the map within ``STALE_AFTER`` seconds (stale entries dropped)."""
    now = time.time()
    members = await _roster.all(journey_id)
    fresh = [m for m in members if now - m.get("seen", 0) <= STALE_AFTER]
    for stale in (m for m in members if m not in fresh):
        await _roster.remove(journey_id, stale["member"])
    return fresh
