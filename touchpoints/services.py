"""Touchpoint changes, through the same journey change path as every other map item."""

from typing import Any

from django.db import transaction
from django.utils.text import slugify

from journeys.changes import (
    ItemType,
    item_create,
    item_delete,
    item_move,
    item_update,
    journey_for_change,
)
from journeys.exceptions import InvalidInput
from journeys.models import Lane
from touchpoints.models import Touchpoint
from touchpoints.serializers import TouchpointSerializer

TOUCHPOINT = ItemType(
    Touchpoint,
    "touchpoint",
    TouchpointSerializer,
    frozenset({"name", "channel", "department", "description", "is_moment_that_matters", "code"}),
    ("phase_id", "lane_id"),
    clash={"code": "Another touchpoint on this journey has this code."},
)


def _code_unique(journey_id: int, wanted: str, *, exclude_pk: int | None = None) -> str:
    taken = set(
        Touchpoint.objects.filter(journey_id=journey_id, code__startswith=wanted)
        .exclude(pk=exclude_pk)
        .values_list("code", flat=True)
    )
    code, n = wanted, 2
    while code in taken:
        code, n = f"{wanted}-{n}", n + 1
    return code


def touchpoint_create(
    *,
    actor,
    journey_id: int,
    phase_id: int,
    name: str,
    lane_id: int | None = None,
    code: str = "",
    index: int | None = None,
    **fields: Any,
) -> Touchpoint:
    """A touchpoint in a phase; its code (for matching survey data) is derived when not given."""
    from journeys.models import Phase

    with transaction.atomic():
        journey_for_change(journey_id=journey_id, actor=actor)  # access, before reading its lanes
        if lane_id is None:
            lane_id = (
                Lane.objects.filter(journey_id=journey_id, kind=Lane.Kind.TOUCHPOINTS)
                .order_by("position", "pk")
                .values_list("pk", flat=True)
                .first()
            )
            if lane_id is None:
                raise InvalidInput({"lane": "This journey has no touchpoints lane; name a lane."})
        # A create racing this one for the same code is refused by the constraint (clash).
        if code:
            if Touchpoint.objects.filter(journey_id=journey_id, code=code).exists():
                raise InvalidInput(TOUCHPOINT.clash)
        else:
            phase_name = Phase.objects.filter(pk=phase_id).values_list("name", flat=True).first()
            code = _code_unique(journey_id, slugify(f"{phase_name or ''} {name}")[:70] or "tp")
        fields = {"phase_id": phase_id, "lane_id": lane_id, "name": name, "code": code, **fields}
        return item_create(
            TOUCHPOINT, actor=actor, journey_id=journey_id, fields=fields, index=index
        )


def touchpoint_update(
    *,
    actor,
    touchpoint_id: int,
    version: int,
    changes: dict[str, Any],
    journey_id: int | None = None,
) -> Touchpoint:
    code = changes.get("code")
    if (
        code
        and Touchpoint.objects.filter(code=code, journey__touchpoints=touchpoint_id)
        .exclude(pk=touchpoint_id)
        .exists()
    ):
        raise InvalidInput(TOUCHPOINT.clash)
    return item_update(
        TOUCHPOINT,
        actor=actor,
        pk=touchpoint_id,
        version=version,
        changes=changes,
        journey_id=journey_id,
    )


def touchpoint_move(
    *,
    actor,
    touchpoint_id: int,
    index: int,
    phase_id: int | None = None,
    lane_id: int | None = None,
    version: int | None = None,
    journey_id: int | None = None,
) -> Touchpoint:
    return item_move(
        TOUCHPOINT,
        actor=actor,
        pk=touchpoint_id,
        index=index,
        version=version,
        target={"phase_id": phase_id, "lane_id": lane_id},
        journey_id=journey_id,
    )


def touchpoint_delete(
    *, actor, touchpoint_id: int, version: int | None = None, journey_id: int | None = None
) -> None:
    item_delete(TOUCHPOINT, actor=actor, pk=touchpoint_id, version=version, journey_id=journey_id)
