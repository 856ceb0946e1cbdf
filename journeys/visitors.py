"""What a share-link visitor may see: one projection, applied to every page, snapshot, live event
and replay a visitor receives.

A visitor has no account. Through a map link they see the map as a viewer does, less the
people: no usernames or full names (the map's owner and collaborators, who changed what), no
share links (their labels say who else the map went to), no persona photo (photos are served to
signed-in users only) and no customers' comments. Through a dashboard link they see the
dashboard (``journeys.web.sharing``) and, live, only that something changed.
"""

from typing import Any

# Fields of a map item that name a person (as a user id; the editor turns ids into names).
_PEOPLE_FIELDS = ("updated_by", "created_by")
# Events about the map's share links: their labels, expiries and creators are for those who may
# share the map (``can_share_journey``); viewers and visitors learn only that the map changed.
SHARE_LINK_KINDS = ("share_link_created", "share_link_revoked")
_ITEM_KINDS = ("phase", "lane", "card", "touchpoint", "emotion", "opportunity")


def visitor_item(item: dict[str, Any]) -> dict[str, Any]:
    return {**item, **dict.fromkeys((f for f in _PEOPLE_FIELDS if f in item), None)}


def visitor_journey(journey: dict[str, Any]) -> dict[str, Any]:
    """A journey's own fields without its owner's or collaborators' identities."""
    projected = visitor_item(journey)
    if "owner" in projected:
        projected["owner"] = {"id": None, "username": "", "name": ""}
    if "collaborators" in projected:
        projected["collaborators"] = []
    return projected


def visitor_persona(persona: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if persona is None else {**persona, "photo": None}


def visitor_map(map_data: dict[str, Any]) -> dict[str, Any]:
    """The whole map (``journey_map_get``) as a visitor may see it."""
    projected = visitor_journey(map_data)
    projected["persona"] = visitor_persona(map_data.get("persona"))
    for kind in ("phases", "lanes", "touchpoints", "emotions", "opportunities"):
        if kind in projected:
            projected[kind] = [visitor_item(item) for item in projected[kind]]
    if "cells" in projected:
        projected["cells"] = [
            {**cell, "cards": [visitor_item(card) for card in cell["cards"]]}
            for cell in projected["cells"]
        ]
    return projected


def without_share_links(event: dict[str, Any]) -> dict[str, Any]:
    """A map event as someone who may not see the map's share links receives it."""
    if event["kind"] not in SHARE_LINK_KINDS:
        return event
    # Still numbered: the receiver's revision count must not show a gap for it.
    return {**event, "kind": "map_changed", "payload": {}}


def visitor_event(event: dict[str, Any]) -> dict[str, Any] | None:
    """A map event (``event_message``) as a visitor may receive it, or None if not at all."""
    if event["kind"] in SHARE_LINK_KINDS:
        return {**without_share_links(event), "actor": None}
    payload = dict(event.get("payload") or {})
    for key in _ITEM_KINDS:
        if isinstance(payload.get(key), dict):
            payload[key] = visitor_item(payload[key])
    if isinstance(payload.get("journey"), dict):
        payload["journey"] = visitor_journey(payload["journey"])
    if isinstance(payload.get("persona"), dict):
        payload["persona"] = visitor_persona(payload["persona"])
    if isinstance(payload.get("emotions"), list):
        payload["emotions"] = [visitor_item(e) for e in payload["emotions"]]
    return {**event, "actor": None, "payload": payload}


def dashboard_visitor_event(event: dict[str, Any]) -> dict[str, Any]:
    """What a dashboard link's socket hears of a change: that the map is at a new revision."""
    return {"type": "event", "revision": event["revision"]}
