"""A scripted live-map client over a real WebSocket, with the browser editor's rules:
apply events in revision order, ask for what was missed on a gap, keep the newer copy."""

import asyncio
import itertools
import json
import urllib.request
from typing import Any

from websockets.asyncio.client import connect

ENTITIES = ("phase", "lane", "card", "touchpoint", "emotion", "opportunity")
PLURAL = {
    "cards": "card",
    "touchpoints": "touchpoint",
    "emotions": "emotion",
    "opportunities": "opportunity",
}


def map_items(snapshot: dict) -> dict[str, dict[int, dict]]:
    """The items of a map as the REST API returns it, by kind and id."""
    return {
        "phase": {p["id"]: p for p in snapshot["phases"]},
        "lane": {lane["id"]: lane for lane in snapshot["lanes"]},
        "card": {c["id"]: c for cell in snapshot["cells"] for c in cell["cards"]},
        "touchpoint": {t["id"]: t for t in snapshot["touchpoints"]},
        "emotion": {e["id"]: e for e in snapshot["emotions"]},
        "opportunity": {o["id"]: o for o in snapshot["opportunities"]},
    }


class LiveClient:
    def __init__(self, server, journey_id: int, session: str, name: str = "") -> None:
        self.server = server
        self.journey_id = journey_id
        self.session = session
        self.name = name
        self.items: dict[str, dict[int, dict]] = {}
        self.revision = 0
        self.pending: dict[str, asyncio.Future] = {}
        self.ids = itertools.count(1)
        self.gaps = 0
        self.events_seen = 0
        self.on_event = None  # optional callback(event) for measurements
        self.resyncing = False

    @property
    def headers(self) -> dict[str, str]:
        return {"Cookie": f"sessionid={self.session}"}

    def snapshot(self) -> dict:
        request = urllib.request.Request(
            f"{self.server.url}/api/journeys/{self.journey_id}/", headers=self.headers
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    async def connect(self) -> dict:
        self.socket = await connect(
            f"{self.server.ws_url}/ws/journeys/{self.journey_id}/",
            additional_headers=self.headers,
            origin=self.server.url,
            max_size=None,
        )
        hello = json.loads(await self.socket.recv())
        assert hello["type"] == "hello", hello
        if not self.items:
            snapshot = await asyncio.to_thread(self.snapshot)
            self.items, self.revision = map_items(snapshot), snapshot["revision"]
        self.reader = asyncio.create_task(self._read())
        # Whatever changed between the snapshot (or our last event) and subscribing.
        await self.resync()
        return hello

    async def close(self) -> None:
        await self.socket.close()
        self.reader.cancel()

    async def resync(self) -> None:
        if not self.resyncing:
            self.resyncing = True
            await self.socket.send(json.dumps({"type": "resync", "after": self.revision}))

    async def _read(self) -> None:
        async for raw in self.socket:
            frame = json.loads(raw)
            kind = frame["type"]
            if kind == "event":
                self.events_seen += 1
                if self.on_event:
                    self.on_event(frame)
                if frame["revision"] > self.revision + 1:
                    self.gaps += 1
                    await self.resync()
                elif not self.resyncing:
                    self.apply(frame)
            elif kind == "events":
                for event in frame["events"]:
                    self.apply(event)
                self.resyncing = False
            elif kind == "snapshot":
                self.items, self.revision = map_items(frame["map"]), frame["map"]["revision"]
                self.resyncing = False
            elif kind in ("ack", "error") and str(frame.get("id")) in self.pending:
                self.pending.pop(str(frame["id"])).set_result(frame)

    def apply(self, event: dict) -> None:
        if event["revision"] <= self.revision:
            return
        self.revision = event["revision"]
        entity, _, verb = event["kind"].partition("_")
        if entity not in ENTITIES:
            return
        payload = event["payload"]
        if verb == "deleted":
            self.items[entity].pop(payload[entity]["id"], None)
            for word, ids in payload.get("deleted", {}).items():
                for item_id in ids:
                    self.items[PLURAL[word]].pop(item_id, None)
            return
        item = payload[entity]
        current = self.items[entity].get(item["id"])
        if current is None or item["version"] >= current["version"]:
            self.items[entity][item["id"]] = item
        for item_id, position in (payload.get("renumbered") or {}).items():
            if int(item_id) in self.items[entity]:
                self.items[entity][int(item_id)]["position"] = position

    async def edit(self, action: str, data: dict[str, Any], timeout: float = 10) -> dict:
        request_id = f"{self.name}-{next(self.ids)}"
        future = asyncio.get_running_loop().create_future()
        self.pending[request_id] = future
        await self.socket.send(
            json.dumps({"type": "edit", "id": request_id, "action": action, "data": data})
        )
        return await asyncio.wait_for(future, timeout)

    def cards(self) -> dict[int, tuple]:
        return {
            card_id: (c["phase"], c["lane"], c["position"], c["text"], c["version"])
            for card_id, c in self.items.get("card", {}).items()
        }
