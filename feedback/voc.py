"""The VoC emotion: how customers feel in each phase, measured rather than guessed.

Each available signal is put on −1…+1 — NPS / 100, (CSAT % − 50) / 50, (4 − CES) / 3 (low
effort is good) and the mean comment sentiment — and their mean, times 3 and rounded, is the
phase's score on the map's −3…+3 emotion scale. A phase whose team estimate differs from it by
``DISAGREEMENT`` or more is flagged on the map.
"""

from collections.abc import Iterable

from django.db import transaction

from feedback.selectors import journey_metrics, voc_score
from journeys.changes import change_record, versioned_update
from journeys.dashboards.window import default_window
from journeys.models import Emotion, Journey, JourneyEvent, Phase
from journeys.serializers import EmotionSerializer, represent
from touchpoints.models import Touchpoint

DISAGREEMENT = 2


def emotion_differs(team: int | None, voc: int | None) -> bool:
    """Whether the team's estimate and what customers say differ enough to flag the phase:
    the one rule the dashboard applies and the editor is served (``DISAGREEMENT``)."""
    return team is not None and voc is not None and abs(team - voc) >= DISAGREEMENT


def voc_refresh(*, touchpoint_ids: Iterable[int]) -> None:
    """Recompute the VoC emotions of the maps these touchpoints are on, as one change per map."""
    journey_ids = sorted(
        set(Touchpoint.objects.filter(pk__in=set(touchpoint_ids)).values_list("journey", flat=True))
    )
    for journey_id in journey_ids:
        with transaction.atomic():
            journey_voc_refresh(journey_id)


def journey_voc_refresh(journey_id: int) -> None:
    """A system change (no actor): the VoC emotion of every phase with responses, with its n.

    Recorded as one ``voc_updated`` event only when something changed: an emotion, or the
    metrics the last such event published. A refresh that finds the same numbers is silent."""
    # In the one lock order (journeys.changes): rows first, the journey last. The map's phases,
    # locked in id order, make a second refresh of this map (another import finishing) wait
    # here and then read what the first one wrote, rather than create the same emotions beside
    # it; FOR NO KEY UPDATE, so cards and touchpoints can still be added to them meanwhile.
    phases = list(
        Phase.objects.select_for_update(of=("self",), no_key=True)
        .filter(journey_id=journey_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    journey = Journey.objects.filter(pk=journey_id).first()
    if journey is None:
        return
    # Over the default window, as the editor and the dashboard open with: one curve.
    window = default_window()
    metrics = journey_metrics(journey_id=journey_id, since=window.since, until=window.until)
    voc = Emotion.Source.VOC
    current = {e.phase_id: e for e in Emotion.objects.filter(journey_id=journey_id, source=voc)}
    changed = []
    for phase_id in phases:
        phase_metrics = metrics["phases"].get(str(phase_id))
        score = voc_score(phase_metrics) if phase_metrics else None
        emotion = current.get(phase_id)
        if score is None:
            if emotion is not None:
                emotion.delete()
                changed.append({"id": emotion.pk, "phase": phase_id, "deleted": True})
            continue
        label = f"n = {phase_metrics['responses']}"
        if emotion is None:
            emotion = Emotion.objects.create(
                journey_id=journey_id, phase_id=phase_id, source=voc, score=score, label=label
            )
        elif (emotion.score, emotion.label) != (score, label):
            # Versioned like any edit, so a client keeps the newer of two copies it sees.
            emotion = versioned_update(
                Emotion,
                journey=journey,
                pk=emotion.pk,
                version=emotion.version,
                changes={"score": score, "label": label},
            )
        else:
            continue
        changed.append(represent(EmotionSerializer, emotion))
    if not changed and metrics == _metrics_last_published(journey_id):
        return
    change_record(
        journey=journey,
        actor=None,
        kind="voc_updated",
        payload={"emotions": changed, "metrics": metrics},
    )


def _metrics_last_published(journey_id: int) -> dict | None:
    """The metrics the map's last ``voc_updated`` event carried (what open maps show)."""
    last = (
        JourneyEvent.objects.filter(journey_id=journey_id, kind="voc_updated")
        .order_by("-revision")
        .values_list("payload", flat=True)
        .first()
    )
    return last.get("metrics") if last else None
