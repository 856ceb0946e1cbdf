"""A source's credentials go only where they were given for: an editor cannot repoint a source
and keep its token, viewers do not see where sources point, and whoever may not change a
source (or add one to a map) learns nothing from a malformed request."""

import pytest

from feedback import services
from feedback.models import ImportRun, SurveySource
from journeys import services as journey_services
from tests.factories import SurveySourceFactory
from tests.feedback.fake_vendors import FakeJsonFeed

pytestmark = pytest.mark.django_db

TOKEN = "feed-secret-token"
ITEMS = [{"id": "r1", "submitted_at": "2024-05-01T10:00:00Z"}]


@pytest.fixture
def feed(five_phase_map):
    with FakeJsonFeed(ITEMS, token=TOKEN) as fake:
        fake.source = SurveySourceFactory(
            journey=five_phase_map.journey,
            kind="json",
            options={"url": fake.feed_url},
            credentials={"token": TOKEN},
        )
        yield fake


def test_an_editor_cannot_point_a_source_elsewhere_and_keep_its_token(client_for, editor, feed):
    client = client_for(editor)
    source = feed.source
    with FakeJsonFeed(ITEMS) as collector:
        moved = client.patch(
            f"/api/survey-sources/{source.pk}/",
            {"options": {"url": collector.feed_url}},
            format="json",
        )
        assert moved.status_code == 400
        assert moved.json()["code"] == "invalid"
        assert "give its credentials again" in moved.json()["errors"]["credentials"][0]
        source.refresh_from_db()
        assert (source.options, source.credentials) == ({"url": feed.feed_url}, {"token": TOKEN})

        # The next sync still goes to the feed the token was given for.
        run = services.import_sync_start(actor=editor, source=source)
        assert services.import_run_execute(run.pk).state == ImportRun.State.SUCCEEDED
        assert collector.requests == []

        # Moving it with the new feed's credentials replaces the stored ones.
        again = client.patch(
            f"/api/survey-sources/{source.pk}/",
            {"options": {"url": collector.feed_url}, "credentials": {}},
            format="json",
        )
        assert again.status_code == 200, again.json()
        source.refresh_from_db()
        assert source.credentials == {}
        assert again.json()["credentials_set"] == []
        run = services.import_sync_start(actor=editor, source=source)
        assert services.import_run_execute(run.pk).state == ImportRun.State.SUCCEEDED

    assert "authorization" not in collector.requests[0].headers
    assert len(feed.requests) == 1  # only the sync before the move


def test_a_vendor_host_cannot_be_set_and_a_kind_change_needs_credentials(
    client_for, editor, five_phase_map
):
    typeform = SurveySourceFactory(
        journey=five_phase_map.journey,
        kind="typeform",
        options={"form_id": "tfJourney"},
        credentials={"access_token": "tfp_secret"},
    )
    client = client_for(editor)
    url = f"/api/survey-sources/{typeform.pk}/"
    elsewhere = {"form_id": "tfJourney", "base_url": "https://collector.example.net"}
    answer = client.patch(url, {"options": elsewhere}, format="json")
    assert answer.status_code == 400
    assert answer.json()["errors"]["options"] == [
        "A vendor's address is fixed: options.base_url is not accepted."
    ]
    as_feed = {"kind": "json", "options": {"url": "https://collector.example.net/feed"}}
    answer = client.patch(url, as_feed, format="json")
    assert answer.status_code == 400
    assert "credentials" in answer.json()["errors"]
    typeform.refresh_from_db()
    assert (typeform.kind, typeform.credentials) == ("typeform", {"access_token": "tfp_secret"})
    # What does not change the address keeps the credentials, as before.
    assert client.patch(url, {"name": "NPS (Typeform)"}, format="json").status_code == 200
    typeform.refresh_from_db()
    assert typeform.credentials == {"access_token": "tfp_secret"}


def test_a_viewer_sees_a_source_without_its_address(client_for, viewer, editor, feed):
    url = f"/api/survey-sources/{feed.source.pk}/"
    seen_by_viewer = client_for(viewer).get(url).json()
    listed = client_for(viewer).get("/api/survey-sources/").json()["results"]

    assert seen_by_viewer["options"] == {}
    assert listed[0]["options"] == {}
    assert feed.url not in str(listed)
    assert client_for(editor).get(url).json()["options"] == {"url": feed.feed_url}


def test_a_mapping_or_rules_of_the_wrong_shape_are_a_400(client_for, editor, five_phase_map):
    source = SurveySourceFactory(journey=five_phase_map.journey)
    client = client_for(editor)
    for body in ({"field_mapping": True}, {"matching_rules": 5}, {"options": 5}):
        answer = client.patch(f"/api/survey-sources/{source.pk}/", body, format="json")
        assert answer.status_code == 400, (body, answer.content)
        assert list(answer.json()["errors"]) == list(body)
        created = client.post(
            "/api/survey-sources/",
            {"name": "Wrong", "journey": five_phase_map.journey.pk, **body},
            format="json",
        )
        assert created.status_code == 400, (body, created.content)
    assert SurveySource.objects.count() == 1


def test_access_is_checked_before_a_malformed_body_is_judged(
    client_for, viewer, other_editor, editor, five_phase_map
):
    source = SurveySourceFactory(journey=five_phase_map.journey)
    malformed = {"field_mapping": True, "matching_rules": 5}
    changed = client_for(viewer).patch(
        f"/api/survey-sources/{source.pk}/", malformed, format="json"
    )
    assert changed.status_code == 403

    secret = journey_services.journey_create(actor=editor, title="Secret", template="blank")
    secret.is_restricted = True
    secret.save()
    created = client_for(other_editor).post(
        "/api/survey-sources/", {"name": "x", "journey": secret.pk, **malformed}, format="json"
    )
    assert created.status_code == 404


def test_an_editor_cannot_tell_a_restricted_map_from_a_missing_one(
    client_for, other_editor, editor
):
    secret = journey_services.journey_create(actor=editor, title="Secret", template="blank")
    secret.is_restricted = True
    secret.save()
    client = client_for(other_editor)

    restricted = client.post("/api/survey-sources/", {"name": "x", "journey": secret.pk})
    missing = client.post("/api/survey-sources/", {"name": "x", "journey": secret.pk + 1000})

    assert restricted.status_code == missing.status_code == 404
    assert (
        restricted.json() == missing.json() == {"code": "not_found", "detail": "No such journey."}
    )
    assert not SurveySource.objects.exists()
