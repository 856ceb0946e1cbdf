"""Edits that arrive as WebSocket frames: the same actions as the REST API (``journeys.actions``)
on the map the socket is on."""

from typing import Any

from journeys.actions import ACTIONS, CREATE
from journeys.exceptions import InvalidInput

ACTION_NAMES = sorted(ACTIONS)


def edit_apply(*, actor, journey_id: int, action: str, data: Any) -> dict[str, Any] | None:
    """Apply one edit to the socket's journey; returns the item as saved (``{"id"}`` for a delete).

    Raises the services' domain errors, or DRF's ValidationError for malformed input. An item
    of another map is not found here, as it would be on that map's socket.
    """
    act = ACTIONS.get(action)
    if act is None:
        raise InvalidInput({"action": f"Unknown action; one of {', '.join(ACTION_NAMES)}."})
    if not isinstance(data, dict):
        raise InvalidInput({"data": "Expected an object."})
    if act.verb == CREATE:
        return act.represent(act.run(actor=actor, data=data, journey_id=journey_id))
    pk = data.get("id")
    if not isinstance(pk, int) or isinstance(pk, bool):
        raise InvalidInput({"id": "Name the item by its id (an integer)."})
    rest = {key: value for key, value in data.items() if key != "id"}
    item = act.run(actor=actor, data=rest, pk=pk, journey_id=journey_id)
    return {"id": pk} if item is None else act.represent(item)
