"""Recomputing the map's VoC emotions is a change like any other when it changes something, and
no change at all when it does not: no event, no revision, nothing broadcast."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from feedback import services
from feedback.voc import voc_refresh
from journeys.models import Emotion, Journey, JourneyEvent

pytestmark = pytest.mark.django_db

HEADER = "response_id,submitted_at,nps,csat,ces,comment,channel,touchpoint\n"
ROWS = [
    "r1,2024-05-01,10,5,2,,web,checkout",
    "r2,2024-05-02,3,2,6,,web,checkout",
    "r3,2024-05-03,8,,,,,store-visit",
]


def _import(survey_map, editor, rows: list[str]) -> None:
    upload = SimpleUploadedFile("survey.csv", (HEADER + "\n".join(rows) + "\n").encode())
    run = services.import_file_start(actor=editor, source=survey_map.source, upload=upload)
    services.import_run_execute(run.pk)


def _revision(survey_map) -> int:
    return Journey.objects.get(pk=survey_map.journey.pk).revision


def _voc_events(survey_map) -> list[JourneyEvent]:
    return list(JourneyEvent.objects.filter(journey=survey_map.journey, kind="voc_updated"))


def _touchpoints(survey_map) -> list[int]:
    return [survey_map.checkout.pk, survey_map.store.pk]


def test_a_refresh_that_changes_nothing_records_nothing(
    survey_map, editor, django_capture_on_commit_callbacks
):
    _import(survey_map, editor, ROWS)
    assert len(_voc_events(survey_map)) == 1
    emotions = list(Emotion.objects.filter(source="voc").values_list("phase", "score", "version"))
    revision = _revision(survey_map)

    with django_capture_on_commit_callbacks(execute=False) as broadcasts:
        voc_refresh(touchpoint_ids=_touchpoints(survey_map))
        voc_refresh(touchpoint_ids=_touchpoints(survey_map))

    assert broadcasts == []
    assert _revision(survey_map) == revision
    assert len(_voc_events(survey_map)) == 1
    assert (
        list(Emotion.objects.filter(source="voc").values_list("phase", "score", "version"))
        == emotions
    )


def test_a_refresh_that_moves_an_emotion_records_one_event_with_it(survey_map, editor):
    _import(survey_map, editor, ROWS)
    store = Emotion.objects.get(phase=survey_map.store.phase, source="voc")
    assert (store.score, store.label, store.version) == (0, "n = 1", 1)
    revision = _revision(survey_map)

    # A promoter beside the passive: NPS 50, score round(1.5) = 2.
    _import(survey_map, editor, ["r4,2024-05-04,10,,,,,store-visit"])

    events = JourneyEvent.objects.filter(journey=survey_map.journey, revision__gt=revision)
    assert [e.kind for e in events] == ["voc_updated"]
    assert _revision(survey_map) == revision + 1
    store.refresh_from_db()
    assert (store.score, store.label, store.version) == (2, "n = 2", 2)
    (changed,) = events[0].payload["emotions"]
    assert (changed["id"], changed["score"], changed["version"]) == (store.pk, 2, 2)


def test_metrics_that_change_without_moving_an_emotion_are_still_published(survey_map, editor):
    _import(survey_map, editor, ROWS)
    checkout = Emotion.objects.get(phase=survey_map.checkout.phase, source="voc")
    revision = _revision(survey_map)

    # r1's effort from 2 to 3: the checkout's CES moves (4 → 4.5), its emotion stays at 0.
    _import(survey_map, editor, ["r1,2024-05-01,10,5,3,,web,checkout"])

    events = list(JourneyEvent.objects.filter(journey=survey_map.journey, revision__gt=revision))
    assert [e.kind for e in events] == ["voc_updated"]
    assert events[0].payload["emotions"] == []
    assert events[0].payload["metrics"]["touchpoints"][str(survey_map.checkout.pk)]["ces"] == 4.5
    assert Emotion.objects.get(pk=checkout.pk).version == checkout.version
