"""Edits that arrive as WebSocket frames: validated with the REST API's own serializers, then
applied by the same service functions, so both ways of editing obey the same rules."""

from typing import Any

from rest_framework.exceptions import ValidationError

from journeys import services
from journeys.changes import journey_id_of
from journeys.exceptions import InvalidInput, NotFound, VersionConflict
from journeys.models import Card, Emotion, Lane, Opportunity, Phase
from journeys.serializers import (
    CardSerializer,
    DeleteSerializer,
    EmotionSerializer,
    LaneSerializer,
    MoveSerializer,
    OpportunitySerializer,
    PhaseSerializer,
    represent,
)
from touchpoints import services as touchpoint_services
from touchpoints.models import Touchpoint
from touchpoints.serializers import TouchpointSerializer

KINDS = {
    "phase": (Phase, PhaseSerializer, services),
    "lane": (Lane, LaneSerializer, services),
    "card": (Card, CardSerializer, services),
    "emotion": (Emotion, EmotionSerializer, services),
    "opportunity": (Opportunity, OpportunitySerializer, services),
    "touchpoint": (Touchpoint, TouchpointSerializer, touchpoint_services),
}
VERBS = ("create", "update", "move", "delete")
ACTIONS = sorted(
    f"{kind}.{verb}" for kind in KINDS for verb in VERBS if (kind, verb) != ("emotion", "move")
)


def edit_apply(*, actor, journey_id: int, action: str, data: Any) -> dict[str, Any] | None:
    """Apply one edit to the journey the connection is on; returns the item as saved.

    Raises the services' domain errors, or DRF's ValidationError for malformed input.
    """
    if action not in ACTIONS:
        raise InvalidInput({"action": f"Unknown action; one of {', '.join(ACTIONS)}."})
    if not isinstance(data, dict):
        raise InvalidInput({"data": "Expected an object."})
    kind, verb = action.split(".")
    model, serializer_class, module = KINDS[kind]
    service = getattr(module, f"{kind}_{verb}")

    if verb == "create":
        serializer = serializer_class(data={**data, "journey": journey_id})
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("version", None)
        return represent(serializer_class, service(actor=actor, **fields))

    pk = data.get("id")
    if not isinstance(pk, int) or isinstance(pk, bool):
        raise InvalidInput({"id": "Name the item by its id (an integer)."})
    # Only this journey's items: another journey's id is simply not found here.
    if journey_id_of(model, pk) != journey_id:
        raise NotFound(f"No such {model._meta.verbose_name} on this journey.")
    arguments = {f"{kind}_id": pk}
    rest = {key: value for key, value in data.items() if key != "id"}

    if verb == "update":
        serializer = serializer_class(data=rest, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version", None)
        if version is None:
            raise ValidationError({"version": ["Name the version you edited."]})
        for placement in ("journey_id", "index"):
            changes.pop(placement, None)
        item = service(actor=actor, **arguments, version=version, changes=changes)
    elif verb == "move":
        move = MoveSerializer(data=rest)
        move.is_valid(raise_exception=True)
        target = {
            f"{key}_id": move.validated_data[key]
            for key in ("phase", "lane")
            if key in move.validated_data
        }
        if kind in ("phase", "lane"):
            target = {}
        elif kind == "opportunity":
            target.pop("lane_id", None)
        item = service(
            actor=actor,
            **arguments,
            index=move.validated_data["index"],
            version=move.validated_data.get("version"),
            **target,
        )
    else:
        params = DeleteSerializer(data=rest)
        params.is_valid(raise_exception=True)
        extra = {"cascade": params.validated_data["cascade"]} if kind in ("phase", "lane") else {}
        service(actor=actor, **arguments, version=params.validated_data.get("version"), **extra)
        return {"id": pk}
    return represent(serializer_class, item)


def conflict_current(error: VersionConflict) -> dict[str, Any] | None:
    """The object as it now is, in the shape clients know, for a refused stale edit."""
    for model, serializer_class, _ in KINDS.values():
        if isinstance(error.current, model):
            return represent(serializer_class, error.current)
    return None
