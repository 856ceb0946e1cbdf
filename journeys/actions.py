"""The one table of actions on a map: ``"card.update"`` → input, service, output.

Every door onto a map's items — REST views (``journeys.api.items``), WebSocket frames
(``journeys.realtime.frames``) and the Django admin (``journeys.admin``) — looks its edit up
here, so all of them parse input the same way, call the same service and answer with the same
shape. Each service is named where it is listed: a search for ``card_update`` finds this table.

An action takes the raw input the door received (a JSON body, a frame's ``data``, an admin
form's values) and the item it names; it returns the item as saved, in the output shape that
REST answers and events share (``None`` for a delete).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rest_framework.exceptions import ValidationError

from journeys import services
from journeys.changes import ItemType
from journeys.serializers import DeleteSerializer, MoveSerializer
from touchpoints import services as touchpoint_services

CREATE, UPDATE, MOVE, DELETE = "create", "update", "move", "delete"


@dataclass(frozen=True)
class Action:
    kind: ItemType
    verb: str
    service: Callable[..., Any]

    @property
    def name(self) -> str:
        return f"{self.kind.name}.{self.verb}"

    def run(self, *, actor, data: Any, pk: int | None = None, journey_id: int | None = None):
        """Validate ``data``, call the service, return the saved item (``None`` for a delete).

        ``pk`` names the item (every verb but create); ``journey_id`` is the map the door is on,
        when it knows (a socket is on one map; a REST body names its journey): a create goes
        there, and any other verb refuses an item of another map as not found.
        Raises DRF's ``ValidationError`` for malformed input and the services' domain errors.
        """
        if not isinstance(data, dict):
            raise ValidationError({"data": ["Expected an object."]})
        return _PARSERS[self.verb](self, actor, data, pk, journey_id)

    def represent(self, item) -> dict[str, Any]:
        return self.kind.data(item)


def _create(action: Action, actor, data: dict, pk, journey_id: int | None):
    if journey_id is not None:
        data = {**data, "journey": journey_id}
    serializer = action.kind.serializer(data=data)
    serializer.is_valid(raise_exception=True)
    fields = dict(serializer.validated_data)
    fields.pop("version", None)
    return action.service(actor=actor, **fields)


def _update(action: Action, actor, data: dict, pk: int, journey_id):
    serializer = action.kind.serializer(data=data, partial=True)
    serializer.is_valid(raise_exception=True)
    changes = dict(serializer.validated_data)
    version = changes.pop("version", None)
    if version is None:
        raise ValidationError({"version": ["Name the version you edited."]})
    # Placement is a move, and an item never changes journey.
    for placement in ("journey_id", "index"):
        changes.pop(placement, None)
    return action.service(
        actor=actor,
        **{_id_argument(action): pk},
        version=version,
        changes=changes,
        journey_id=journey_id,
    )


def _move(action: Action, actor, data: dict, pk: int, journey_id):
    # Only the cell coordinates this kind has: cards and touchpoints a phase and a lane,
    # opportunities a phase, phases and lanes none (they move along their own axis). Naming
    # another is a mistake the sender should hear of, not a move that silently ignores it.
    foreign = [
        key for key in ("phase", "lane") if key in data and f"{key}_id" not in action.kind.scope
    ]
    if foreign:
        name = action.kind.name
        raise ValidationError(
            {key: [f"A {name} does not move to another {key}."] for key in foreign}
        )
    move = MoveSerializer(data=data)
    move.is_valid(raise_exception=True)
    target = {
        f"{key}_id": move.validated_data[key]
        for key in ("phase", "lane")
        if key in move.validated_data
    }
    return action.service(
        actor=actor,
        **{_id_argument(action): pk},
        index=move.validated_data["index"],
        version=move.validated_data.get("version"),
        journey_id=journey_id,
        **target,
    )


def _delete(action: Action, actor, data: dict, pk: int, journey_id):
    params = DeleteSerializer(data=data)
    params.is_valid(raise_exception=True)
    # Only a phase or a lane holds content that a delete may take along; only a touchpoint
    # holds survey evidence a delete must be confirmed for.
    cascade = (
        {"cascade": params.validated_data["cascade"]}
        if action.kind in (services.PHASE, services.LANE)
        else {"confirm": params.validated_data["confirm"]}
        if action.kind is touchpoint_services.TOUCHPOINT
        else {}
    )
    action.service(
        actor=actor,
        **{_id_argument(action): pk},
        version=params.validated_data.get("version"),
        journey_id=journey_id,
        **cascade,
    )
    return None


def _id_argument(action: Action) -> str:
    return f"{action.kind.name}_id"


_PARSERS = {CREATE: _create, UPDATE: _update, MOVE: _move, DELETE: _delete}

PHASE, LANE, CARD = services.PHASE, services.LANE, services.CARD
EMOTION, OPPORTUNITY = services.EMOTION, services.OPPORTUNITY
TOUCHPOINT = touchpoint_services.TOUCHPOINT

ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action(PHASE, CREATE, services.phase_create),
        Action(PHASE, UPDATE, services.phase_update),
        Action(PHASE, MOVE, services.phase_move),
        Action(PHASE, DELETE, services.phase_delete),
        Action(LANE, CREATE, services.lane_create),
        Action(LANE, UPDATE, services.lane_update),
        Action(LANE, MOVE, services.lane_move),
        Action(LANE, DELETE, services.lane_delete),
        Action(CARD, CREATE, services.card_create),
        Action(CARD, UPDATE, services.card_update),
        Action(CARD, MOVE, services.card_move),
        Action(CARD, DELETE, services.card_delete),
        Action(TOUCHPOINT, CREATE, touchpoint_services.touchpoint_create),
        Action(TOUCHPOINT, UPDATE, touchpoint_services.touchpoint_update),
        Action(TOUCHPOINT, MOVE, touchpoint_services.touchpoint_move),
        Action(TOUCHPOINT, DELETE, touchpoint_services.touchpoint_delete),
        # An emotion belongs to its phase: nothing to move.
        Action(EMOTION, CREATE, services.emotion_create),
        Action(EMOTION, UPDATE, services.emotion_update),
        Action(EMOTION, DELETE, services.emotion_delete),
        Action(OPPORTUNITY, CREATE, services.opportunity_create),
        Action(OPPORTUNITY, UPDATE, services.opportunity_update),
        Action(OPPORTUNITY, MOVE, services.opportunity_move),
        Action(OPPORTUNITY, DELETE, services.opportunity_delete),
    )
}

KINDS: dict[str, ItemType] = {a.kind.name: a.kind for a in ACTIONS.values()}


def action_get(name: str) -> Action | None:
    return ACTIONS.get(name)


def kind_of(item) -> ItemType | None:
    """The kind of a map item (for a refused edit's ``current``), or None."""
    for kind in KINDS.values():
        if isinstance(item, kind.model):
            return kind
    return None


def actions_of(kind: ItemType) -> dict[str, Action]:
    """A kind's actions by verb (what a REST view of that kind offers)."""
    return {a.verb: a for a in ACTIONS.values() if a.kind is kind}
