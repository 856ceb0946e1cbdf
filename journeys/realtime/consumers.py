"""The live map: one WebSocket per open map, at /ws/journeys/<id>/.

Thin, like a view: it authenticates, subscribes to the map's group, parses frames and calls the
same actions as the REST API. Documented close codes (sent after the handshake):
4401 not signed in (or signed out since) · 4404 no such journey, or no access to it (any more)
· 4410 (share links, at /ws/share/<token>/) the link was revoked or has expired.

Access is the user's as it is *now*: every edit and every replay resolves the session's user
again, and a socket whose user loses the map (removed as a collaborator, signed out,
deactivated) is closed as soon as the change is heard of, and within ``ACCESS_RECHECK_BEATS``
presence refreshes at the latest.

Frames from the client, each a JSON object with a "type":
  {"type": "ping"}
  {"type": "resync", "after": <revision>}              → "events" (or "snapshot" when too old)
  {"type": "edit", "id": <request id>, "action": "card.update", "data": {...}}  → "ack" or "error"
  {"type": "presence", "cell": {"phase": id, "lane": id} | null, "editing": bool}
Frames to the client: hello, event, events, snapshot, ack, error, presence, access, pong.
A frame the server cannot handle gets an "error" frame; the socket stays open.
"""

import asyncio
import itertools
import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db import close_old_connections

from config.errors import error_answer
from config.ws_auth import user_for_session
from journeys.models import Journey
from journeys.permissions import (
    can_edit_journey,
    can_share_journey,
    can_view_journey,
    role_of,
)
from journeys.realtime.access import user_now
from journeys.realtime.broadcast import journey_group, user_group
from journeys.realtime.frames import edit_apply
from journeys.realtime.presence import (
    REFRESH_EVERY,
    presence_put,
    presence_remove,
    presence_roster,
)
from journeys.selectors import journey_events_after, journey_map_get

logger = logging.getLogger(__name__)

CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NO_ACCESS = 4404
CLOSE_LINK_GONE = 4410  # a share link that was revoked or has expired
MAX_FRAME_BYTES = 64 * 1024
RATE_PER_SECOND = 20  # sustained frames per second per connection …
RATE_BURST = 40  # … with this much burst
# Access changes are announced (journeys.realtime.access); every this many presence refreshes
# a socket checks on its own too, in case an announcement was lost (a minute by default).
ACCESS_RECHECK_BEATS = 6


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


@dataclass(frozen=True)
class Access:
    """What the socket's user may do on its map right now."""

    user: Any
    close_code: int | None  # None: may stay; else the code to close with
    can_edit: bool = False
    revision: int = 0
    can_share: bool = False  # sees the map's share links (their events in full)


def answer_of(error: Exception) -> dict[str, Any]:
    """An error frame's fields for ``error``, the same answer REST gives (``config.errors``)."""
    answer = error_answer(error)
    if answer is None:
        logger.exception("Live map frame failed", exc_info=error)
        return {"code": "server_error", "detail": "The server could not handle this; try again."}
    return answer[1]


async def _best_effort(step) -> None:
    """One step of leaving. A socket leaves however it ends — when Redis itself is the reason,
    too: what fails here expires on its own (group membership, the roster's stale entries)."""
    try:
        await step
    except Exception:
        logger.warning("Leaving a live map: a step failed", exc_info=True)


def parse_frame(raw: str | bytes) -> dict | str:
    """The frame as a dict, or the error code that refuses it."""
    try:
        frame = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return "invalid_json"
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        return "invalid_frame"
    return frame


class LiveSocket(AsyncWebsocketConsumer):
    """What every live socket shares: frame parsing, rate limit, error frames, and leaving its
    groups and the roster however it ends — a consumer that fails must not haunt the map."""

    joined = False
    groups_joined: tuple[str, ...] = ()
    refresher: asyncio.Task | None = None

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.leave()

    async def disconnect(self, code: int) -> None:
        await self.leave()

    async def join(self, *groups: str) -> None:
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = groups
        self.joined = True

    async def leave(self) -> None:
        """Out of the groups (and, for team members, the roster); safe to call twice."""
        if not self.joined:
            return
        self.joined = False
        if self.refresher is not None:
            self.refresher.cancel()
        for group in self.groups_joined:
            await _best_effort(self.channel_layer.group_discard(group, self.channel_name))

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
        frame = parse_frame(raw)
        if frame == "invalid_json":
            await self.error(None, "invalid_json", "Frames must be JSON (and not nested deeply).")
            return
        if frame == "invalid_frame":
            await self.error(None, "invalid_frame", 'A frame is a JSON object with a "type".')
            return
        handler = self.handlers().get(frame["type"])
        if handler is None:
            await self.error(
                frame.get("id"), "unknown_type", f"Unknown frame type {frame['type']!r}."
            )
            return
        try:
            await handler(frame)
        except Exception as failure:  # an error frame, never a dropped socket
            await self.error(_request_id(frame), **answer_of(failure))

    def handlers(self) -> dict[str, Any]:
        return {"ping": self.on_ping}

    async def on_ping(self, frame: dict) -> None:
        await self.send_frame({"type": "pong"})

    async def on_resync(self, frame: dict) -> None:
        after = frame.get("after")
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            await self.error(None, "invalid_frame", '"after" must be a revision number (>= 0).')
            return
        missed = await database_sync_to_async(self.missed)(after)
        if missed is None:
            await self.lost_access()
            return
        await self.send_frame(missed)

    def missed(self, after: int) -> dict[str, Any] | None:
        """What a client missed since revision ``after``, or None if it may no longer know."""
        raise NotImplementedError

    async def lost_access(self) -> None:
        """The socket's user (or link) may no longer see the map: close it as such."""
        raise NotImplementedError

    async def send_frame(self, frame: dict) -> None:
        await self.send(text_data=json.dumps(frame, default=str))

    async def error(self, request_id: Any, code: str, detail: str, **extra: Any) -> None:
        await self.send_frame(
            {"type": "error", "id": request_id, "code": code, "detail": detail, **extra}
        )


def _request_id(frame: dict) -> Any:
    request_id = frame.get("id")
    return request_id if isinstance(request_id, str | int) else None


class JourneyConsumer(LiveSocket):
    watching = False
    can_edit = False
    can_share = False

    async def connect(self) -> None:
        self.journey_id = int(self.scope["url_route"]["kwargs"]["journey_id"])
        self.group = journey_group(self.journey_id)
        self.user = self.scope.get("user")
        self.limit = TokenBucket(RATE_PER_SECOND, RATE_BURST)
        # ?watch=1: a page that follows the map without being on it (a dashboard) is not shown
        # to the map's editors as someone present.
        self.watching = parse_qs(self.scope.get("query_string", b"").decode()).get("watch") == ["1"]
        access = await database_sync_to_async(self._access_now)()
        # Accept first, so the browser sees a meaningful close code rather than a failed handshake.
        await self.accept()
        if access.close_code is not None:
            await self.close(code=access.close_code)
            return
        self.user, self.can_edit = access.user, access.can_edit
        self.can_share = access.can_share
        await self.join(self.group, user_group(self.user.pk))
        self.known_members: set[str] = set()
        self.presence = {
            "member": self.channel_name,
            "user": {"id": self.user.pk, "name": self.user.get_full_name() or self.user.username},
            "cell": None,
            "editing": False,
        }
        if not self.watching:
            self.presence = await presence_put(self.journey_id, self.channel_name, self.presence)
        roster = [] if self.watching else await presence_roster(self.journey_id)
        self.known_members = {member["member"] for member in roster}
        await self.send_frame(
            {
                "type": "hello",
                "revision": access.revision,
                "can_edit": self.can_edit,
                "you": self.presence,
                "presence": roster,
            }
        )
        if not self.watching:
            await self.channel_layer.group_send(
                self.group, {"type": "journey.presence", "action": "update", "state": self.presence}
            )
        self.refresher = asyncio.ensure_future(self._keep_fresh())

    # --- Who the user is now, and what they may do ----------------------------------------------

    def _user_now(self):
        """The socket's user as they are now, for an edit or a replay (one query)."""
        # Authenticated by other middleware (no session in the scope): the account as it is now.
        return user_now(
            user_id=getattr(self.scope.get("user"), "pk", None),
            session_key=self.scope.get("session_key"),
            with_session="session_key" in self.scope,
        )

    def _signed_in_now(self):
        """The session's user, checked as a sign-in is (its password hash too)."""
        if "session_key" in self.scope:
            return user_for_session(self.scope["session_key"])
        return self._user_now()

    def _access_now(self) -> Access:
        close_old_connections()
        user = self._signed_in_now()
        if role_of(user) is None:
            return Access(user, CLOSE_NOT_SIGNED_IN)
        journey = Journey.objects.filter(pk=self.journey_id).first()
        if journey is None or not can_view_journey(user, journey):
            return Access(user, CLOSE_NO_ACCESS)
        return Access(
            user,
            None,
            can_edit_journey(user, journey),
            journey.revision,
            can_share_journey(user, journey),
        )

    async def recheck_access(self) -> bool:
        """Close the socket if its user may no longer see the map; True if it stays open."""
        access = await database_sync_to_async(self._access_now)()
        if access.close_code is not None:
            await self.leave()
            await self.close(code=access.close_code)
            return False
        self.can_share = access.can_share
        if access.can_edit != self.can_edit:
            self.can_edit = access.can_edit
            await self.send_frame({"type": "access", "can_edit": self.can_edit})
        return True

    async def access_changed(self, message: dict) -> None:
        """Someone changed who may see the map, or this user's role, session or account."""
        if self.joined:
            await self.recheck_access()

    async def leave(self) -> None:
        was_present = self.joined and not self.watching
        await super().leave()
        if not was_present:
            return
        await _best_effort(presence_remove(self.journey_id, self.channel_name))
        await _best_effort(
            self.channel_layer.group_send(
                self.group,
                {
                    "type": "journey.presence",
                    "action": "leave",
                    "state": {"member": self.channel_name},
                },
            )
        )

    async def _keep_fresh(self) -> None:
        """Now and then: confirm presence, renew group membership (the layer forgets members
        after ``group_expiry``), tell the client who vanished with a dead server, and re-check
        access in case a notice of its change was lost."""
        for beat in itertools.count(1):
            await asyncio.sleep(REFRESH_EVERY)
            if beat % ACCESS_RECHECK_BEATS == 0 and not await self.recheck_access():
                return
            for group in self.groups_joined:
                await self.channel_layer.group_add(group, self.channel_name)
            if not self.watching:
                self.presence = await presence_put(
                    self.journey_id, self.channel_name, self.presence
                )
                await self._forget_the_vanished()

    async def _forget_the_vanished(self) -> None:
        # A server that dies says no goodbyes: its sockets' entries go stale in the roster.
        present = {member["member"] for member in await presence_roster(self.journey_id)}
        for member in self.known_members - present - {self.channel_name}:
            await self.send_frame(
                {"type": "presence", "action": "leave", "state": {"member": member}}
            )
        self.known_members &= present

    # --- Frames from the client -------------------------------------------------------------------

    def handlers(self) -> dict[str, Any]:
        return {
            "ping": self.on_ping,
            "resync": self.on_resync,
            "edit": self.on_edit,
            "presence": self.on_presence,
        }

    async def lost_access(self) -> None:
        await self.recheck_access()  # closes the socket

    def missed(self, after: int) -> dict[str, Any] | None:
        """What a client missed since ``after``, if its user may still see the map."""
        close_old_connections()
        user = self._user_now()
        journey = Journey.objects.select_related("persona", "owner").filter(pk=self.journey_id)
        journey = journey.first()
        if journey is None or not can_view_journey(user, journey):
            return None
        events = journey_events_after(
            journey=journey, after=after, sees_share_links=can_share_journey(user, journey)
        )
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
        # Not thread-sensitive: edits from many sockets run side by side, each on its own
        # pooled connection; the journey's row lock still serialises edits of one map.
        apply = database_sync_to_async(self._apply, thread_sensitive=False)
        outcome, body = await apply(frame["action"], frame.get("data"))
        if outcome == "ack":
            await self.send_frame({"type": "ack", "id": request_id, "object": body})
            return
        await self.error(request_id, **body)
        if body["code"] in ("not_found", "permission_denied"):
            await self.recheck_access()  # was it the map that is out of reach now?

    def _apply(self, action: str, data: Any) -> tuple[str, dict[str, Any] | None]:
        """("ack", the saved item) or ("error", the answer), computed in this thread: a refused
        edit's ``current`` is serialised here, beside the database."""
        close_old_connections()
        try:
            actor = self._user_now()
            return "ack", edit_apply(
                actor=actor, journey_id=self.journey_id, action=action, data=data
            )
        except Exception as refused:
            return "error", answer_of(refused)
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

    # --- Messages from the group ------------------------------------------------------------------

    async def dispatch(self, message: dict) -> None:
        # Group messages touch no database: skip Channels' per-message connection housekeeping,
        # a thread hop for every event delivered to every socket.
        if message["type"] == "journey.event":
            await self.journey_event(message)
        elif message["type"] == "journey.presence":
            await self.journey_presence(message)
        else:
            await super().dispatch(message)

    async def journey_event(self, message: dict) -> None:
        # Events and import progress, serialised once for the whole group; an event about a
        # share link also once as those who may not share the map receive it.
        linkless = message.get("linkless_text")
        use_linkless = linkless is not None and not self.can_share
        await self.send(text_data=linkless if use_linkless else message["text"])

    async def journey_presence(self, message: dict) -> None:
        state = message["state"]
        if message["action"] == "leave":
            self.known_members.discard(state["member"])
        else:
            self.known_members.add(state["member"])
        await self.send_frame({"type": "presence", "action": message["action"], "state": state})

    async def share_revoked(self, message: dict) -> None:
        pass  # only share-link visitors' sockets care
