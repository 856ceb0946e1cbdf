"""Touchpoint changes, through the same journey change path as every other map item."""

from typing import Any

from django.db import transaction
from django.utils.text import slugify

from journeys.changes import (
    ItemType,
    change_record,
    item_create,
    item_for_change,
    item_journey_for_change,
    item_move,
    item_update,
    journey_for_change,
)
from journeys.exceptions import DeleteNeedsConfirming, InvalidInput, VersionConflict
from journeys.models import Lane
from touchpoints.evidence import (
    evidence_counts,
    evidence_restore,
    evidence_set_aside,
    evidence_waiting,
    phases_lock,
)
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
    """A touchpoint in a phase; its code (for matching survey data) is derived when not given.

    A touchpoint deleted with this code on this map (the editor's undo re-creates one with
    its code) left its responses and opportunity links behind: they come back to this one,
    and its metrics with them (``touchpoints.evidence``)."""
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
        if not evidence_waiting(journey_id, code):
            return item_create(
                TOUCHPOINT, actor=actor, journey_id=journey_id, fields=fields, index=index
            )
        # The VoC recount locks the map's phases; here they are locked before item_create's
        # revision bump takes the journey row, in the one lock order (journeys.changes).
        phases_lock(journey_id)
        touchpoint = item_create(
            TOUCHPOINT, actor=actor, journey_id=journey_id, fields=fields, index=index
        )
        journey = touchpoint.journey
        restored = evidence_restore(journey, touchpoint)
        change_record(
            journey=journey,
            actor=actor,
            kind="evidence_restored",
            payload={"touchpoint": {"id": touchpoint.pk, "code": code}, **restored},
        )
        return touchpoint


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
    *,
    actor,
    touchpoint_id: int,
    version: int | None = None,
    journey_id: int | None = None,
    confirm: bool = False,
) -> None:
    """Delete a touchpoint. One that holds survey responses or has opportunities linked is
    refused (409 ``confirm_required``, with their counts) unless ``confirm``: then its
    responses are unmatched and its opportunities unlinked, each remembering its code (undo
    brings them back), and the map's VoC emotions are counted again without it."""
    from feedback.voc import journey_voc_refresh

    with transaction.atomic():
        journey = item_journey_for_change(
            Touchpoint, pk=touchpoint_id, actor=actor, journey_id=journey_id
        )
        # Locked before anything is counted or cascades: a survey import holds the touchpoints
        # it matches FOR KEY SHARE (responses have no foreign-key constraint), so this waits
        # for one in flight and then sees every response it wrote.
        touchpoint = item_for_change(Touchpoint, journey=journey, pk=touchpoint_id, lock=True)
        if version is not None and touchpoint.version != version:
            raise VersionConflict(touchpoint)
        counts = evidence_counts([touchpoint.pk])
        if any(counts.values()) and not confirm:
            raise DeleteNeedsConfirming(
                f"The touchpoint “{touchpoint.name}” holds {evidence_words(counts)}. Deleting it "
                "unmatches them (undo, or a touchpoint with its code, brings them back); "
                "confirm to delete it.",
                counts=counts,
            )
        set_aside = evidence_set_aside(journey, [touchpoint])
        touchpoint.delete()  # its rollups go with it
        if set_aside["responses_unmatched"]:
            journey_voc_refresh(journey.pk)  # locks the phases, then bumps the revision
        change_record(
            journey=journey,
            actor=actor,
            kind="touchpoint_deleted",
            payload={"touchpoint": {"id": touchpoint_id, "code": touchpoint.code}, **set_aside},
        )


def evidence_words(counts: dict[str, int]) -> str:
    """“1,204 survey responses and 2 linked opportunities”, leaving out what is zero."""
    words = []
    if counts.get("responses"):
        n = counts["responses"]
        words.append(f"{n:,} survey response{'s' if n != 1 else ''}")
    if counts.get("opportunities"):
        n = counts["opportunities"]
        words.append(f"{n:,} linked opportunit{'ies' if n != 1 else 'y'}")
    return " and ".join(words) or "nothing"
