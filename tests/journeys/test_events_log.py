"""The events API: a client a little behind gets what it missed, one far behind a snapshot, and
anyone who may read the map can page through its whole log, however old."""

import pytest

from journeys import services
from journeys.models import JourneyEvent

pytestmark = pytest.mark.django_db
REPLAY_LIMIT = 20  # the replay window, made small so that a short history outgrows it


@pytest.fixture
def long_history(five_phase_map, editor, monkeypatch):
    monkeypatch.setattr("journeys.selectors.EVENT_REPLAY_LIMIT", REPLAY_LIMIT)
    card = five_phase_map.add_card(editor, "v1")
    for n in range(REPLAY_LIMIT + 25):
        card = services.card_update(
            actor=editor, card_id=card.pk, version=card.version, changes={"text": f"v{n + 2}"}
        )
    five_phase_map.journey.refresh_from_db()
    return five_phase_map.journey


def test_a_client_far_behind_gets_a_snapshot(long_history, client_for, viewer):
    answer = client_for(viewer).get(f"/api/journeys/{long_history.pk}/events/?after=0").json()
    assert "snapshot" in answer and "events" not in answer


def test_the_whole_log_reads_page_by_page_beyond_the_replay_window(
    long_history, client_for, viewer
):
    client = client_for(viewer)
    revisions, after, pages = [], 0, 0
    while after is not None:
        page = client.get(f"/api/journeys/{long_history.pk}/events/?after={after}&limit=15")
        assert page.status_code == 200
        body = page.json()
        assert len(body["events"]) <= 15
        revisions += [event["revision"] for event in body["events"]]
        after, pages = body["next_after"], pages + 1
    assert revisions == list(range(1, long_history.revision + 1))
    assert pages == -(-long_history.revision // 15)
    logged = JourneyEvent.objects.filter(journey=long_history).count()
    assert len(revisions) == logged > REPLAY_LIMIT


@pytest.mark.parametrize("limit", ["0", "1001", "many"])
def test_a_page_size_out_of_range_is_refused(long_history, client_for, viewer, limit):
    answer = client_for(viewer).get(
        f"/api/journeys/{long_history.pk}/events/?after=0&limit={limit}"
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid"
