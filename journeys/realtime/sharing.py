"""Share-link visitors' live sockets, at /ws/share/<token>/: read-only, and only what
``journeys.visitors`` lets through.

Through a *map* link the socket hears the map's events and replays them, projected for
visitors. Through a *dashboard* link it hears only that the map changed (a new revision), so
the page fetches its comment-free data again: no card text, no replay — a dashboard link never
opens the map. Either closes with 4410 once its link is revoked or expires. No edits, no
presence either way: visitors are not team members.
"""

import asyncio
from typing import Any

from channels.db import database_sync_to_async
from django.db import close_old_connections
from django.utils import timezone

from journeys.models import Journey, ShareLink
from journeys.realtime.broadcast import journey_group
from journeys.realtime.consumers import (
    CLOSE_LINK_GONE,
    RATE_BURST,
    RATE_PER_SECOND,
    LiveSocket,
    TokenBucket,
)
from journeys.realtime.presence import REFRESH_EVERY
from journeys.selectors import journey_events_after, journey_map_get, share_link_resolve
from journeys.visitors import dashboard_visitor_event, visitor_event, visitor_map


class SharedLinkConsumer(LiveSocket):
    dashboard = False  # a dashboard link's socket: revisions only

    async def connect(self) -> None:
        self.limit = TokenBucket(RATE_PER_SECOND, RATE_BURST)
        self.token = self.scope["url_route"]["kwargs"]["token"]
        link = await database_sync_to_async(self._link_now)()
        await self.accept()
        if link is None:
            await self.close(code=CLOSE_LINK_GONE)
            return
        self.dashboard = link.target == ShareLink.Target.DASHBOARD
        self.share_link_id, self.journey_id = link.pk, link.journey_id
        await self.join(journey_group(self.journey_id))
        you = {"member": self.channel_name, "user": None, "cell": None, "editing": False}
        await self.send_frame(
            {
                "type": "hello",
                "revision": link.journey.revision,
                "can_edit": False,
                "you": you,
                "presence": [],
            }
        )
        self.refresher = asyncio.ensure_future(self._keep_checking())

    def _link_now(self) -> ShareLink | None:
        """The link, if it still works (revoked or expired: None)."""
        close_old_connections()
        link = share_link_resolve(token=self.token)
        if link is None or link.state_at(timezone.now()) != "active":
            return None
        return link

    async def _keep_checking(self) -> None:
        # Expiry passes silently and a revocation notice can be lost: look again now and then.
        while True:
            await asyncio.sleep(REFRESH_EVERY)
            if await database_sync_to_async(self._link_now)() is None:
                await self.lost_access()
                return
            await self.channel_layer.group_add(journey_group(self.journey_id), self.channel_name)

    # --- Frames from the visitor ------------------------------------------------------------------

    def handlers(self) -> dict[str, Any]:
        if self.dashboard:
            return {"ping": self.on_ping, "resync": self.no_replay}
        return {
            "ping": self.on_ping,
            "resync": self.on_resync,
            "edit": self.read_only,
            "presence": self.read_only,
        }

    async def read_only(self, frame: dict) -> None:
        await self.error(frame.get("id"), "permission_denied", "A shared map is read-only.")

    async def no_replay(self, frame: dict) -> None:
        await self.error(None, "permission_denied", "A shared dashboard replays no map changes.")

    async def lost_access(self) -> None:
        await self.leave()
        await self.close(code=CLOSE_LINK_GONE)

    def missed(self, after: int) -> dict[str, Any] | None:
        if self._link_now() is None:
            return None
        journey = Journey.objects.select_related("persona", "owner").get(pk=self.journey_id)
        events = journey_events_after(journey=journey, after=after)
        if events is None:
            return {"type": "snapshot", "map": visitor_map(journey_map_get(journey=journey))}
        visible = [e for e in map(visitor_event, events) if e is not None]
        return {"type": "events", "revision": journey.revision, "events": visible}

    # --- Messages from the map's group ------------------------------------------------------------

    async def dispatch(self, message: dict) -> None:
        # As for the team's sockets: group messages need no database housekeeping.
        if message["type"] == "journey.event":
            await self.journey_event(message)
        elif message["type"] != "journey.presence":  # who of the team is here stays theirs
            await super().dispatch(message)

    async def journey_event(self, message: dict) -> None:
        if message.get("visitor_text") is None:
            return  # not for visitors (import progress)
        if self.dashboard:
            await self.send_frame(dashboard_visitor_event({"revision": message["revision"]}))
        else:
            await self.send(text_data=message["visitor_text"])

    async def access_changed(self, message: dict) -> None:
        pass  # a team member's access; a link's own access ends with the link

    async def share_revoked(self, message: dict) -> None:
        if message.get("share_link") == self.share_link_id:
            await self.lost_access()
