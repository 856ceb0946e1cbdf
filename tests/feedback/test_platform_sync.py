"""A survey platform synced into the map: the connector's records go through the same checks
and upserts as files, the cursor is saved, and the next sync duplicates nothing."""

import pytest

from feedback import services
from feedback.models import ImportRun, SurveyResponse, SurveySource
from tests.factories import SurveySourceFactory
from tests.feedback.fake_vendors import FakeJsonFeed
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


@pytest.fixture
def feed_source(five_phase_map, editor):
    touchpoint_services.touchpoint_create(
        actor=editor,
        journey_id=five_phase_map.journey.pk,
        phase_id=five_phase_map.phases[0].pk,
        name="App store",
        code="app-store",
    )
    return SurveySourceFactory(
        journey=five_phase_map.journey,
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
