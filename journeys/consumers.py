"""The live map: one WebSocket per open map, at /ws/journeys/<id>/.

Thin, like a view: it authenticates, subscribes to the map's group, parses frames and calls the
same services as the REST API. Documented close codes (sent after the handshake):
4401 not signed in · 4404 no such journey, or no access to it · 4410 (share links, at
/ws/share/<token>/) the link was revoked or has expired.

Frames from the client, each a JSON object with a "type":
  {"type": "ping"}
  {"type": "resync", "after": <revision>}              → "events" (or "snapshot" when too old)
  {"type": "edit", "id": <request id>, "action": "card.update", "data": {...}}  → "ack" or "error"
  {"type": "presence", "cell": {"phase": id, "lane": id} | null, "editing": bool}
Frames to the client: hello, event, events, snapshot, ack, error, presence, pong.
"""

import asyncio
import json
import time
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db import close_old_connections
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from journeys.broadcast import journey_group
from journeys.commands import conflict_current, edit_apply
from journeys.exceptions import JourneyboardError, VersionConflict
from journeys.models import Journey
from journeys.permissions import can_edit_journey, can_view_journey, role_of
from journeys.presence import REFRESH_EVERY, presence_put, presence_remove, presence_roster
from journeys.selectors import journey_events_after, journey_map_get, share_link_resolve

CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NO_ACCESS = 4404
CLOSE_LINK_GONE = 4410  # a share link that was revoked or has expired
MAX_FRAME_BYTES = 64 * 1024
RATE_PER_SECOND = 20  # sustained frames per second per connection …
RATE_BURST = 40  # … with this much burst


class TokenBucket:
    """A per-connection rate limit: a flood gets error frames, never a closed socket."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class JourneyConsumer(AsyncWebsocketConsumer):
    watching = False

    async def connect(self) -> None:
        self.journey_id = int(self.scope["url_route"]["kwargs"]["journey_id"])
        self.group = journey_group(self.journey_id)
        self.user = self.scope.get("user")
        self.joined = False
        self.limit = TokenBucket(RATE_PER_SECOND, RATE_BURST)
        # ?watch=1: a page that follows the map without being on it (a dashboard) is not shown
        # to the map's editors as someone present.
        self.watching = parse_qs(self.scope.get("query_string", b"").decode()).get("watch") == ["1"]
        access = await database_sync_to_async(self._access)()
        # Accept first, so the browser sees a meaningful close code rather than a failed handshake.
        await self.accept()
        if access is None:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        can_view, self.can_edit, revision = access
        if not can_view:
            await self.close(code=CLOSE_NO_ACCESS)
            return
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.joined = True
        self.presence = {
            "member": self.channel_name,
            "user": {"id": self.user.pk, "name": self.user.get_full_name() or self.user.username},
            "cell": None,
            "editing": False,
        }
        if not self.watching:
            self.presence = await presence_put(self.journey_id, self.channel_name, self.presence)
        roster = [] if self.watching else await presence_roster(self.journey_id)
        await self.send_frame(
            {
                "type": "hello",
                "revision": revision,
                "can_edit": self.can_edit,
                "you": self.presence,
                "presence": roster,
            }
        )
        if not self.watching:
            await self.channel_layer.group_send(
                self.group, {"type": "journey.presence", "action": "update", "state": self.presence}
            )
        self.refresher = asyncio.ensure_future(self._refresh_presence())

    def _access(self) -> tuple[bool, bool, int] | None:
        close_old_connections()
        if role_of(self.user) is None:
            return None
        journey = Journey.objects.filter(pk=self.journey_id).first()
        if journey is None or not can_view_journey(self.user, journey):
            return False, False, 0
        return True, can_edit_journey(self.user, journey), journey.revision

    async def disconnect(self, code: int) -> None:
        if not getattr(self, "joined", False):
            return
        self.refresher.cancel()
        await self.channel_layer.group_discard(self.group, self.channel_name)
        if self.watching:
            return
        await presence_remove(self.journey_id, self.channel_name)
        await self.channel_layer.group_send(
            self.group,
            {"type": "journey.presence", "action": "leave", "state": {"member": self.channel_name}},
        )

    async def _refresh_presence(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_EVERY)
            if not self.watching:
                self.presence = await presence_put(
                    self.journey_id, self.channel_name, self.presence
                )
                # Browsers forget a member they have not heard of for STALE_AFTER: the server
                # that would announce its leaving can die with it. This keeps the living heard.
                await self.channel_layer.group_send(
                    self.group,
                    {"type": "journey.presence", "action": "update", "state": self.presence},
                )
            # Renews the group membership too (the layer forgets members after group_expiry).
            await self.channel_layer.group_add(self.group, self.channel_name)

    # --- Frames from the client ---------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.joined:
            return
        raw = text_data if text_data is not None else bytes_data
        if len(raw) > MAX_FRAME_BYTES:
            await self.error(None, "too_large", f"Frames are limited to {MAX_FRAME_BYTES} bytes.")
            return
        if not self.limit.take():
            await self.error(None, "rate_limited", "Too many frames; slow down.")
            return
        try:
            frame = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            await self.error(None, "invalid_json", "Frames must be JSON.")
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self.error(None, "invalid_frame", 'A frame is a JSON object with a "type".')
            return
        handler = {
            "ping": self.on_ping,
            "resync": self.on_resync,
            "edit": self.on_edit,
            "presence": self.on_presence,
        }.get(frame["type"])
        if handler is None:
            await self.error(
                frame.get("id"), "unknown_type", f"Unknown frame type {frame['type']!r}."
            )
            return
        await handler(frame)

    async def on_ping(self, frame: dict) -> None:
        await self.send_frame({"type": "pong"})

    async def on_resync(self, frame: dict) -> None:
        after = frame.get("after")
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            await self.error(None, "invalid_frame", '"after" must be a revision number (>= 0).')
            return
        await self.send_frame(await database_sync_to_async(self._missed)(after))

    def _missed(self, after: int) -> dict[str, Any]:
        close_old_connections()
        journey = Journey.objects.select_related("persona", "owner").get(pk=self.journey_id)
        events = journey_events_after(journey=journey, after=after)
        if events is None:
            return {"type": "snapshot", "map": journey_map_get(journey=journey)}
        return {"type": "events", "revision": journey.revision, "events": events}

    async def on_edit(self, frame: dict) -> None:
        request_id = frame.get("id")
        if request_id is not None and (
            not isinstance(request_id, str | int) or len(str(request_id)) > 64
        ):
            await self.error(None, "invalid_frame", '"id" must be a short string or number.')
            return
        if not self.can_edit:
            await self.error(
                request_id, "permission_denied", "You have read-only access to this map."
            )
            return
        if not isinstance(frame.get("action"), str):
            await self.error(request_id, "invalid_frame", 'An edit names its "action".')
            return
        try:
            # Not thread-sensitive: edits from many sockets run side by side, each on its own
            # pooled connection; the journey's row lock still serialises edits of one map.
            apply = database_sync_to_async(self._apply, thread_sensitive=False)
            saved = await apply(frame["action"], frame.get("data"))
        except VersionConflict as conflict:
            current = await database_sync_to_async(conflict_current)(conflict)
            await self.error(
                request_id, conflict.code, conflict.message, current=current, **conflict.details
            )
            return
        except JourneyboardError as refused:
            await self.error(request_id, refused.code, refused.message, **refused.details)
            return
        except ValidationError as invalid:
            await self.error(
                request_id, "invalid", "Some fields are invalid.", errors=invalid.detail
            )
            return
        await self.send_frame({"type": "ack", "id": request_id, "object": saved})

    def _apply(self, action: str, data: Any) -> dict | None:
        close_old_connections()
        try:
            return edit_apply(actor=self.user, journey_id=self.journey_id, action=action, data=data)
        finally:
            close_old_connections()  # back to the pool, not held by an idle worker thread

    async def on_presence(self, frame: dict) -> None:
        if self.watching:
            await self.error(None, "invalid_frame", "A watching socket reports no presence.")
            return
        cell = frame.get("cell")
        valid_cell = cell is None or (
            isinstance(cell, dict)
            and all(isinstance(cell.get(k), int) for k in ("phase", "lane"))
            and len(cell) == 2
        )
        if not valid_cell or not isinstance(frame.get("editing", False), bool):
            await self.error(
                None,
                "invalid_frame",
                'Presence is {"cell": {"phase", "lane"} or null, "editing": bool}.',
            )
            return
        self.presence = await presence_put(
            self.journey_id,
            self.channel_name,
            {
                **self.presence,
                "cell": cell,
                "editing": bool(frame.get("editing")) and self.can_edit,
            },
        )
        await self.channel_layer.group_send(
            self.group, {"type": "journey.presence", "action": "update", "state": self.presence}
        )

    # --- Messages from the group --------------------------------------------------------------

    async def dispatch(self, message: dict) -> None:
        # Group messages touch no database: skip Channels' per-message connection housekeeping,
        # a thread hop for every event delivered to every socket.
        if message["type"] in ("journey.event", "journey.presence"):
            await getattr(self, message["type"].replace(".", "_"))(message)
        else:
            await super().dispatch(message)

    async def journey_event(self, message: dict) -> None:
        # Events and import progress, serialised once for the whole group.
        await self.send(text_data=message["text"])

    async def journey_presence(self, message: dict) -> None:
        await self.send_frame(
            {"type": "presence", "action": message["action"], "state": message["state"]}
        )

    async def share_revoked(self, message: dict) -> None:
        pass  # only share-link visitors' sockets care

    # --- Helpers ------------------------------------------------------------------------------

    async def send_frame(self, frame: dict) -> None:
        await self.send(text_data=json.dumps(frame, default=str))

    async def error(self, request_id: Any, code: str, detail: str, **extra: Any) -> None:
        await self.send_frame(
            {"type": "error", "id": request_id, "code": code, "detail": detail, **extra}
        )


class SharedJourneyConsumer(JourneyConsumer):
    """A share-link visitor's live map, at /ws/share/<token>/: the map's events and resync, and
    nothing else — no edits, no presence either way (visitors are not team members)."""

    async def connect(self) -> None:
        self.joined = False
        self.can_edit = False
        self.limit = TokenBucket(RATE_PER_SECOND, RATE_BURST)
        self.token = self.scope["url_route"]["kwargs"]["token"]
        link = await database_sync_to_async(self._active_link)()
        await self.accept()
        if link is None:
            await self.close(code=CLOSE_LINK_GONE)
            return
        self.share_link_id, self.journey_id, revision = link
        self.group = journey_group(self.journey_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.joined = True
        you = {"member": self.channel_name, "user": None, "cell": None, "editing": False}
        await self.send_frame(
            {"type": "hello", "revision": revision, "can_edit": False, "you": you, "presence": []}
        )
        self.refresher = asyncio.ensure_future(self._keep_checking())

    def _active_link(self) -> tuple[int, int, int] | None:
        close_old_connections()
        link = share_link_resolve(token=self.token)
        if link is None or link.state_at(timezone.now()) != "active":
            return None
        return link.pk, link.journey_id, link.journey.revision

    async def _keep_checking(self) -> None:
        # Expiry passes silently and a revocation notice can be lost: look again now and then.
        while True:
            await asyncio.sleep(REFRESH_EVERY)
            if await database_sync_to_async(self._active_link)() is None:
                await self.close(code=CLOSE_LINK_GONE)
                return
            await self.channel_layer.group_add(self.group, self.channel_name)

    async def disconnect(self, code: int) -> None:
        if not getattr(self, "joined", False):
            return
        self.refresher.cancel()
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def on_presence(self, frame: dict) -> None:
        await self.error(None, "permission_denied", "A shared map is read-only.")

    async def journey_presence(self, message: dict) -> None:
        pass  # who of the team is on the map is not shown to outside visitors

    async def share_revoked(self, message: dict) -> None:
        if message.get("share_link") == self.share_link_id:
            await self.close(code=CLOSE_LINK_GONE)
