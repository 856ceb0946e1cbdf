"""The VoC emotion: how customers feel in each phase, measured rather than guessed.

Each available signal is put on −1…+1 — NPS / 100, (CSAT % − 50) / 50, (4 − CES) / 3 (low
effort is good) and the mean comment sentiment — and their mean, times 3 and rounded, is the
phase's score on the map's −3…+3 emotion scale. A phase whose team estimate differs from it by
``DISAGREEMENT`` or more is flagged on the map.
"""

from collections.abc import Iterable

from django.db import transaction

from feedback.selectors import Metrics, journey_metrics
from journeys.changes import change_record
from journeys.models import Emotion, Journey, Phase
from journeys.serializers import EmotionSerializer, represent
from touchpoints.models import Touchpoint

DISAGREEMENT = 2


def voc_score(metrics: Metrics | dict) -> int | None:
    m = metrics if isinstance(metrics, dict) else metrics.as_dict()
    signals = []
    if m["nps"] is not None:
        signals.append(m["nps"] / 100)
    if m["csat"] is not None:
        signals.append((m["csat"] - 50) / 50)
    if m["ces"] is not None:
        signals.append((4 - m["ces"]) / 3)
    if m["sentiment"] is not None:
        signals.append(m["sentiment"])
    if not signals:
        return None
    score = round(3 * sum(signals) / len(signals))
    return max(Emotion.MIN_SCORE, min(Emotion.MAX_SCORE, score))


def voc_refresh(*, touchpoint_ids: Iterable[int]) -> None:
    """Recompute the VoC emotions of the maps these touchpoints are on, as one change per map."""
    journey_ids = sorted(
        set(Touchpoint.objects.filter(pk__in=set(touchpoint_ids)).values_list("journey", flat=True))
    )
    for journey_id in journey_ids:
        with transaction.atomic():
            journey_voc_refresh(journey_id)


def journey_voc_refresh(journey_id: int) -> None:
    """A system change (no actor): the VoC emotion of every phase with responses, with its n."""
    metrics = journey_metrics(journey_id=journey_id)
    phases = set(Phase.objects.filter(journey_id=journey_id).values_list("pk", flat=True))
    current = {e.phase_id: e for e in Emotion.objects.filter(journey_id=journey_id, source="voc")}
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
                journey_id=journey_id, phase_id=phase_id, source="voc", score=score, label=label
            )
        elif (emotion.score, emotion.label) != (score, label):
            emotion.score, emotion.label, emotion.version = score, label, emotion.version + 1
            emotion.save(update_fields=["score", "label", "version", "updated_at"])
        else:
            continue
        changed.append(represent(EmotionSerializer, emotion))
    change_record(
        journey=Journey.objects.get(pk=journey_id),
        actor=None,
        kind="voc_updated",
        payload={"emotions": changed, "metrics": metrics},
    )
