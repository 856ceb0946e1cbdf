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
    """Send one channel-layer message to everyone on the map, from any thread (inside an event
    loop's thread too, where async_to_sync may not run)."""
    layer = get_channel_layer()
    if layer is None:
        return
    send = async_to_sync(layer.group_send)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        send(journey_group(journey_id), message)
    else:
        _outside_loop.submit(send, journey_group(journey_id), message).result(timeout=10)


def _frame_send(journey_id: int, frame: dict) -> None:
    # Serialised once here, not once per open socket: the consumer forwards the text as is.
    _group_send(journey_id, {"type": "journey.event", "text": json.dumps(frame, default=str)})


def broadcast_journey_event(journey_id: int, event: dict) -> None:
    """Send one event to the map's group; a failure is logged, since clients resync by revision."""
    try:
        _frame_send(journey_id, {"type": "event", **event})
    except Exception:  # the change is committed; a lost broadcast is recovered by resync
        logger.exception("Broadcast of %s to journey %s failed", event.get("kind"), journey_id)


def broadcast_journey_message(journey_id: int, frame: dict) -> None:
    """Send a frame that is not a change of the map (import progress) to the map's group."""
    try:
        _frame_send(journey_id, frame)
    except Exception:  # progress is also polled; a lost frame costs nothing
        logger.exception("Progress frame to journey %s failed", journey_id)


def broadcast_share_link_revoked(journey_id: int, share_link_id: int) -> None:
    """Tell the map's group a share link was revoked: its visitors' sockets close."""
    try:
        _group_send(journey_id, {"type": "share.revoked", "share_link": share_link_id})
    except Exception:  # the link is revoked either way; the page refuses on its next load
        logger.exception("Revocation notice to journey %s failed", journey_id)
