"""The unmatched queue is a permanent view of the map: what responses named that no touchpoint
claimed, grouped by that value with counts, mapped by a person (a rule for the next import) or
ignored (hidden, never deleted)."""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feedback import services
from feedback.models import SurveyResponse
from feedback.selectors import journey_metrics
from journeys.realtime.broadcast import journey_group
from tests.factories import JourneyFactory, SurveySourceFactory

pytestmark = pytest.mark.django_db

HEADER = "response_id,submitted_at,nps,comment,touchpoint\n"


def _import(source, editor, rows: list[tuple[str, str]], nps: int = 9):
    body = HEADER + "".join(
        f'{rid},2024-05-0{1 + n % 9},{nps},ok,"{value}"\n' for n, (rid, value) in enumerate(rows)
    )
    upload = SimpleUploadedFile("s.csv", body.encode(), content_type="text/csv")
    return services.import_run_execute(
        services.import_file_start(actor=editor, source=source, upload=upload).pk
    )


def _url(journey, action=""):
    return f"/api/journeys/{journey.pk}/unmatched/{action}"


@pytest.fixture
def queued(survey_map, editor):
    _import(
        survey_map.source,
        editor,
        [
            ("a1", "walk-in"),
            ("a2", "walk-in"),
            ("a3", "WALK-IN\u00a0"),
            ("a4", "111"),
            ("a5", "111"),
            ("a6", "checkout"),
            ("a7", ""),
        ],
    )
    return survey_map


def test_the_queue_groups_what_responses_named_largest_first(queued, client_for, editor):
    answer = client_for(editor).get(_url(queued.journey))
    assert answer.status_code == 200
    groups = [(g["match_key"], g["value"], g["responses"], g["ignored"]) for g in answer.json()]
    # a7 named nothing: a group of its own, the rules' to match.
    assert groups == [
        ("walk-in", "walk-in", 3, False),
        ("111", "111", 2, False),
        ("", "", 1, False),
    ]
    first = answer.json()[0]
    assert (first["source"], first["source_name"]) == (queued.source.pk, queued.source.name)
    assert first["last_seen"].startswith("2024-05-03")


def test_mapping_a_group_matches_its_responses_and_the_next_import(
    queued, client_for, editor, django_capture_on_commit_callbacks
):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(journey_group(queued.journey.pk), channel)
    client = client_for(editor)

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            _url(queued.journey, "map/"),
            {"source": queued.source.pk, "match_key": "111", "touchpoint": queued.store.pk},
            format="json",
        )

    assert answer.status_code == 200 and answer.json() == {"mapped": 2}
    queued.source.refresh_from_db()
    assert queued.source.import_settings["touchpoint_values"] == {"111": "store-visit"}
    metrics = journey_metrics(journey_id=queued.journey.pk)["touchpoints"][str(queued.store.pk)]
    assert metrics["responses"] == 2
    assert [g["match_key"] for g in client.get(_url(queued.journey)).json()] == ["walk-in", ""]
    frames = []
    while not any(f["type"] == "unmatched" for f in frames) and len(frames) < 10:
        message = async_to_sync(asyncio.wait_for)(layer.receive(channel), 5)
        frames.append(json.loads(message["text"]))
    assert {"type": "unmatched", "journey": queued.journey.pk} in frames

    # The value is now a rule of the source: the next file's "111" matches on arrival.
    run = _import(queued.source, editor, [("b1", " 111 ")])
    assert run.unmatched == 0
    assert SurveyResponse.objects.get(external_id="b1").touchpoint == queued.store


def test_ignoring_hides_a_group_until_shown_and_deletes_nothing(queued, client_for, editor):
    client = client_for(editor)
    body = {"source": queued.source.pk, "match_key": "Walk-In", "ignored": True}
    answer = client.post(_url(queued.journey, "ignore/"), body, format="json")
    assert answer.json() == {"match_key": "walk-in", "ignored": True}

    assert [g["match_key"] for g in client.get(_url(queued.journey)).json()] == ["111", ""]
    shown = client.get(_url(queued.journey), {"ignored": "true"}).json()
    assert (shown[0]["match_key"], shown[0]["ignored"]) == ("walk-in", True)
    assert SurveyResponse.objects.filter(match_key="walk-in").count() == 3

    body["ignored"] = False
    client.post(_url(queued.journey, "ignore/"), body, format="json")
    assert client.get(_url(queued.journey)).json()[0]["match_key"] == "walk-in"
    queued.source.refresh_from_db()
    assert queued.source.import_settings["ignored_values"] == []


def test_viewers_read_the_queue_and_only_editors_change_it(queued, client_for, viewer, editor):
    assert client_for(viewer).get(_url(queued.journey)).status_code == 200
    body = {"source": queued.source.pk, "match_key": "111", "touchpoint": queued.store.pk}
    assert (
        client_for(viewer).post(_url(queued.journey, "map/"), body, format="json").status_code
        == 403
    )
    ignore = {"source": queued.source.pk, "match_key": "111", "ignored": True}
    assert (
        client_for(viewer).post(_url(queued.journey, "ignore/"), ignore, format="json").status_code
        == 403
    )
    assert client_for(None).get(_url(queued.journey)).status_code in (401, 403)
    assert not SurveyResponse.objects.filter(match_key="111").exclude(touchpoint=None).exists()


def test_another_map_s_source_or_touchpoint_is_refused(queued, client_for, editor):
    elsewhere = JourneyFactory(owner=editor)
    foreign = SurveySourceFactory(journey=elsewhere)
    client = client_for(editor)
    body = {"source": foreign.pk, "match_key": "111", "touchpoint": queued.store.pk}
    assert client.post(_url(queued.journey, "map/"), body, format="json").status_code == 404
    body = {"source": queued.source.pk, "match_key": "111", "touchpoint": 10**9}
    assert client.post(_url(queued.journey, "map/"), body, format="json").status_code == 400
    body = {"source": queued.source.pk, "match_key": "  ", "touchpoint": queued.store.pk}
    assert client.post(_url(queued.journey, "map/"), body, format="json").status_code == 400
    restricted = JourneyFactory(is_restricted=True)
    assert client.get(_url(restricted)).status_code == 404


def test_the_queue_costs_the_same_queries_for_a_small_and_a_large_map(
    survey_map, client_for, editor
):
    client = client_for(editor)
    _import(survey_map.source, editor, [("s1", "one")])
    with CaptureQueriesContext(connection) as small:
        client.get(_url(survey_map.journey))
    extra = SurveySourceFactory(journey=survey_map.journey)
    _import(extra, editor, [(f"l{n}", f"value {n % 40}") for n in range(400)])
    with CaptureQueriesContext(connection) as large:
        groups = client.get(_url(survey_map.journey)).json()
    assert len(groups) == 41
    assert len(large) == len(small)


def test_the_old_assign_door_still_maps_a_group(queued, client_for, editor):
    answer = client_for(editor).post(
        f"/api/survey-sources/{queued.source.pk}/unmatched/assign/",
        {"touchpoint": queued.store.pk, "touchpoint_code": "111"},
        format="json",
    )
    assert answer.json() == {"mapped": 2}
