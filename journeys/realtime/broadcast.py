"""Sending applied changes to everyone who has the map open (after commit, never before)."""

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)
# For the rare caller that runs inside an event loop's thread, where async_to_sync may not run.
_outside_loop = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journey-broadcast")


def journey_group(journey_id: int) -> str:
    return f"journey-{journey_id}"


def user_group(user_id: int) -> str:
    """Every live socket of one user: told when their role, account or sessions change."""
    return f"user-{user_id}"


def event_message(event) -> dict:
    """A JourneyEvent as clients receive it, live or replayed."""
    return {
        "kind": event.kind,
        "journey": event.journey_id,
        "revision": event.revision,
        "actor": event.actor_id,
        "payload": event.payload,
    }


def _group_send(journey_id: int, message: dict) -> None:
    """Send one channel-layer message to everyone on the map."""
    _send_to(get_channel_layer(), journey_group(journey_id), message)


def _send_to(layer, group: str, message: dict) -> None:
    """Send one channel-layer message to a group, from any thread (inside an event loop's
    thread too, where async_to_sync may not run)."""
    if layer is None:
        return
    send = async_to_sync(layer.group_send)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        send(group, message)
    else:
        _outside_loop.submit(send, group, message).result(timeout=10)


def _frame_send(
    journey_id: int,
    frame: dict,
    *,
    visitor_frame: dict | None = None,
    linkless_frame: dict | None = None,
) -> None:
    # Serialised once here, not once per open socket: consumers forward the text as is. A
    # share-link visitor's socket forwards ``visitor_text`` instead (nothing when it is None),
    # and a team member who may not share the map ``linkless_text`` when there is one.
    _group_send(
        journey_id,
        {
            "type": "journey.event",
            "text": json.dumps(frame, default=str),
            "visitor_text": None
            if visitor_frame is None
            else json.dumps(visitor_frame, default=str),
            "linkless_text": None
            if linkless_frame is None
            else json.dumps(linkless_frame, default=str),
            "revision": frame.get("revision"),
        },
    )


def broadcast_journey_event(journey_id: int, event: dict) -> None:
    """Send one event to the map's group; a failure is logged, since clients resync by revision."""
    from journeys.visitors import visitor_event, without_share_links

    try:
        visitor = visitor_event(event)
        linkless = without_share_links(event)
        _frame_send(
            journey_id,
            {"type": "event", **event},
            visitor_frame=None if visitor is None else {"type": "event", **visitor},
            linkless_frame=None if linkless is event else {"type": "event", **linkless},
        )
    except Exception:  # the change is committed; a lost broadcast is recovered by resync
        logger.exception("Broadcast of %s to journey %s failed", event.get("kind"), journey_id)


def broadcast_journey_message(journey_id: int, frame: dict) -> None:
    """Send a frame that is not a change of the map (import progress) to the team on the map."""
    try:
        _frame_send(journey_id, frame)
    except Exception:  # progress is also polled; a lost frame costs nothing
        logger.exception("Progress frame to journey %s failed", journey_id)


def broadcast_access_changed(*, journey_id: int | None = None, user_id: int | None = None) -> None:
    """Ask the map's (or the user's) open sockets to check their access again, after commit."""
    groups = [journey_group(journey_id)] if journey_id is not None else []
    groups += [user_group(user_id)] if user_id is not None else []
    layer = get_channel_layer()
    for group in groups:
        try:
            _send_to(layer, group, {"type": "access.changed"})
        except Exception:  # sockets re-check on their own at the next presence refresh
            logger.exception("Access notice to %s failed", group)


def broadcast_share_link_revoked(journey_id: int, share_link_id: int) -> None:
    """Tell the map's group a share link was revoked: its visitors' sockets close."""
    try:
        _group_send(journey_id, {"type": "share.revoked", "share_link": share_link_id})
    except Exception:  # the link is revoked either way; the page refuses on its next load
        logger.exception("Revocation notice to journey %s failed", journey_id)
