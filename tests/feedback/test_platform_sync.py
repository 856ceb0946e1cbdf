"""A survey platform synced into the map: the connector's records go through the same checks
and upserts as files, the cursor is saved, and the next sync duplicates nothing."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from feedback import services
from feedback.models import ImportRun, SurveyResponse, SurveySource
from tests.factories import SurveySourceFactory
from tests.feedback.fake_vendors import FakeJsonFeed, FakeQualtrics, qualtrics_response, vendor_at
from touchpoints import services as touchpoint_services

pytestmark = pytest.mark.django_db


def feedback_item(n: int) -> dict:
    return {
        "id": f"fb-{n}",
        "submitted_at": f"2024-05-{n + 1:02d}T10:00:00Z",
        "scores": {"nps": 12 if n == 4 else n % 11},  # one out of scale
        "where": {"touchpoint": "app-store"},
        "text": f"Review {n}",
    }


def source_with_touchpoint(five_phase_map, editor, name: str, code: str, **source_fields):
    """A platform source on the map, and a touchpoint its responses name by code."""
    touchpoint_services.touchpoint_create(
        actor=editor,
        journey_id=five_phase_map.journey.pk,
        phase_id=five_phase_map.phases[0].pk,
        name=name,
        code=code,
    )
    return SurveySourceFactory(journey=five_phase_map.journey, **source_fields)


@pytest.fixture
def feed_source(five_phase_map, editor):
    return source_with_touchpoint(
        five_phase_map,
        editor,
        "App store",
        "app-store",
        kind=SurveySource.Kind.JSON,
        credentials={"token": "feed-token"},
        field_mapping={"nps": "scores.nps", "comment": "text", "touchpoint": "where.touchpoint"},
    )


def test_a_json_feed_sync_imports_saves_its_cursor_and_repeats_cleanly(feed_source, editor):
    with FakeJsonFeed([feedback_item(n) for n in range(5)], token="feed-token") as feed:
        feed_source.options = {"url": feed.feed_url}
        feed_source.save()
        run = services.import_run_execute(
            services.import_sync_start(actor=editor, source=feed_source).pk
        )
        assert (run.state, run.read, run.imported, run.failed) == ("succeeded", 5, 4, 1)
        assert run.row_errors.get().field == "nps"
        feed_source.refresh_from_db()
        assert feed_source.cursor == {"next": f"{feed.url}/feed?page=3"}
        assert feed_source.last_synced_at is not None
        assert SurveyResponse.objects.filter(touchpoint__code="app-store").count() == 4

        again = services.import_run_execute(
            services.import_sync_start(actor=editor, source=feed_source).pk
        )
    # The second sync starts at the saved cursor (the last page, re-read): nothing new.
    assert (again.read, again.imported, again.unchanged) == (1, 0, 0)
    assert SurveyResponse.objects.count() == 4


def test_refused_credentials_fail_the_run_with_a_clear_message(feed_source, editor):
    with FakeJsonFeed([feedback_item(0)], token="the-right-token") as feed:
        feed_source.options = {"url": feed.feed_url}
        feed_source.save()
        run = services.import_run_execute(
            services.import_sync_start(actor=editor, source=feed_source).pk
        )
    assert run.state == ImportRun.State.FAILED
    assert "refused the credentials" in run.error
    assert "feed-token" not in run.error
    assert not SurveyResponse.objects.exists()


# --- Qualtrics: an export not sorted by date, parsed as it is read ---------------------------

START = {"since": "2024-04-30T00:00:00Z"}


def recorded(minute: int) -> str:
    return (datetime(2024, 5, 1, 10, 0, tzinfo=UTC) + timedelta(minutes=minute)).isoformat()


@pytest.fixture
def qualtrics_export():
    """5,000 responses on the checkout touchpoint, one a minute, exported in no order."""
    responses = [
        qualtrics_response(f"R_{i:05d}", recorded(i), QID1=i % 11, touchpoint="checkout")
        for i in range(5000)
    ]
    random.Random(3).shuffle(responses)
    return responses


@pytest.fixture
def qualtrics_source(five_phase_map, editor, settings):
    settings.JOURNEYBOARD_IMPORT_CHUNK_ROWS = 1000  # a chunk committed per batch
    return source_with_touchpoint(
        five_phase_map,
        editor,
        "Checkout",
        "checkout",
        kind=SurveySource.Kind.QUALTRICS,
        credentials={"api_token": "qualtrics-secret-token"},
        field_mapping={"nps": "QID1"},
        cursor=START,
    )


def _sync(source, editor, fake) -> ImportRun:
    source.options = {"survey_id": "SV_journey"}
    source.save()
    run = services.import_sync_start(actor=editor, source=source)
    with vendor_at("qualtrics", fake):
        return services.import_run_execute(run.pk)


def test_an_unsorted_qualtrics_export_is_imported_once_and_resumes_after_its_latest_date(
    qualtrics_source, qualtrics_export, editor
):
    with FakeQualtrics(qualtrics_export, in_progress_polls=0) as fake:
        run = _sync(qualtrics_source, editor, fake)

    assert (run.state, run.read, run.imported, run.failed) == ("succeeded", 5000, 5000, 0)
    assert (run.done, run.total, run.progress) == (5000, 5000, 1.0)
    responses = SurveyResponse.objects.filter(source=qualtrics_source)
    assert responses.count() == responses.values("external_id").distinct().count() == 5000
    assert responses.filter(touchpoint__code="checkout").count() == 5000
    qualtrics_source.refresh_from_db()
    assert qualtrics_source.cursor == {"since": recorded(4999)}


def test_a_qualtrics_sync_that_breaks_off_halfway_resumes_from_where_it_started(
    qualtrics_source, qualtrics_export, editor
):
    with FakeQualtrics(qualtrics_export, in_progress_polls=0, cut_after=2500) as fake:
        broken = _sync(qualtrics_source, editor, fake)
        assert broken.state == ImportRun.State.FAILED
        assert broken.error == "The Qualtrics export could not be read."
        # Two batches were written and committed, but the cursor did not move past them: a
        # later batch could have held an earlier response.
        assert SurveyResponse.objects.filter(source=qualtrics_source).count() == 2000
        qualtrics_source.refresh_from_db()
        assert qualtrics_source.cursor == START

        fake.cut_after = None  # the next export arrives whole
        again = _sync(qualtrics_source, editor, fake)

    assert fake.requests[-3].json["startDate"] == "2024-04-29T23:59:59Z"  # from the old cursor
    assert (again.state, again.imported, again.unchanged) == ("succeeded", 3000, 2000)
    assert SurveyResponse.objects.filter(source=qualtrics_source).count() == 5000
    qualtrics_source.refresh_from_db()
    assert qualtrics_source.cursor == {"since": recorded(4999)}
