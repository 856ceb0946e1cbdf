"""What a touchpoint holds that no delete may lose by a slip: its survey responses' matches and
its opportunities' links.

A deleted touchpoint leaves its code on each response it held (``unmatched_from``) and each
opportunity linked to it (``unlinked_from``); a touchpoint created on the map with that code
again (the editor's undo re-creates it with its code) takes them all back, whoever had matched
them (an import, a rule or a person), and the rollups and VoC emotions are counted again.
Both run inside the caller's transaction, before its own ``change_record``.
"""

from typing import Any

from django.db.models import F

from journeys.models import Journey, Opportunity, Phase
from journeys.serializers import OpportunitySerializer, represent


def evidence_counts(touchpoint_ids: list[int]) -> dict[str, int]:
    """How many survey responses these touchpoints hold and opportunities are linked to them."""
    from feedback.models import SurveyResponse

    if not touchpoint_ids:
        return {"responses": 0, "opportunities": 0}
    return {
        "responses": SurveyResponse.objects.filter(touchpoint_id__in=touchpoint_ids).count(),
        "opportunities": Opportunity.objects.filter(touchpoint_id__in=touchpoint_ids).count(),
    }


def evidence_set_aside(journey: Journey, touchpoints: list) -> dict[str, Any]:
    """Before these (locked) touchpoints are deleted: unmatch their responses and unlink their
    opportunities, each remembering the touchpoint's code. Returns what the event carries: the
    opportunities as they now are, and how many responses were unmatched."""
    from feedback.models import SurveyResponse

    unmatched = 0
    unlinked: list[int] = []
    for touchpoint in touchpoints:
        unmatched += SurveyResponse.objects.filter(touchpoint_id=touchpoint.pk).update(
            touchpoint=None, unmatched_from=touchpoint.code
        )
        ids = _opportunities_locked(journey, touchpoint_id=touchpoint.pk)
        # The version moves on, so every open map keeps this copy over the one it holds.
        Opportunity.objects.filter(pk__in=ids).update(
            touchpoint=None, unlinked_from=touchpoint.code, version=F("version") + 1
        )
        unlinked += ids
    return {"responses_unmatched": unmatched, "changed": _opportunities_data(unlinked)}


def evidence_restore(journey: Journey, touchpoint) -> dict[str, Any]:
    """A touchpoint just created: take back the responses and opportunities a deleted
    touchpoint with its code left behind on this map, and recount its rollups and the map's
    VoC emotions. Returns what the event carries (as ``evidence_set_aside``)."""
    from feedback.models import SurveyResponse
    from feedback.voc import journey_voc_refresh
    from feedback.writer import rollups_rebuild

    rematched = SurveyResponse.objects.filter(
        journey_id=journey.pk, unmatched_from=touchpoint.code, touchpoint__isnull=True
    ).update(touchpoint=touchpoint.pk, unmatched_from="")
    ids = _opportunities_locked(journey, unlinked_from=touchpoint.code, touchpoint__isnull=True)
    Opportunity.objects.filter(pk__in=ids).update(
        touchpoint=touchpoint.pk, unlinked_from="", version=F("version") + 1
    )
    if rematched:
        rollups_rebuild([touchpoint.pk])
        journey_voc_refresh(journey.pk)
    return {"responses_rematched": rematched, "changed": _opportunities_data(ids)}


def evidence_waiting(journey_id: int, code: str) -> bool:
    """Whether a deleted touchpoint with this code left responses or opportunities here."""
    from feedback.models import SurveyResponse

    return (
        SurveyResponse.objects.filter(
            journey_id=journey_id, unmatched_from=code, touchpoint__isnull=True
        ).exists()
        or Opportunity.objects.filter(
            journey_id=journey_id, unlinked_from=code, touchpoint__isnull=True
        ).exists()
    )


def phases_lock(journey_id: int) -> None:
    """The map's phases, as the VoC refresh locks them (id order, FOR NO KEY UPDATE): taken
    before the journey row, in the one lock order, by a change that will recount them."""
    list(
        Phase.objects.select_for_update(of=("self",), no_key=True)
        .filter(journey_id=journey_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _opportunities_locked(journey: Journey, **where: Any) -> list[int]:
    rows = Opportunity.objects.select_for_update(of=("self",)).filter(
        journey_id=journey.pk, **where
    )
    return list(rows.order_by("pk").values_list("pk", flat=True))


def _opportunities_data(ids: list[int]) -> dict[str, list[dict[str, Any]]]:
    if not ids:
        return {}
    fresh = Opportunity.objects.filter(pk__in=ids).order_by("pk")
    return {"opportunity": [represent(OpportunitySerializer, o) for o in fresh]}
