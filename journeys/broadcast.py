"""Sending applied changes to everyone who has the map open (after commit, never before)."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def journey_group(journey_id: int) -> str:
    return f"journey-{journey_id}"


def broadcast_journey_event(journey_id: int, event: dict) -> None:
    """Send one event to the map's group; a failure is logged, since clients resync by revision."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            journey_group(journey_id), {"type": "journey.event", "event": event}
        )
    except Exception:  # the change is committed; a lost broadcast is recovered by resync
        logger.exception("Broadcast of %s to journey %s failed", event.get("kind"), journey_id)
