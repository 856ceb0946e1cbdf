"""What the editor's settings panel sends: one PATCH of the journey, saved as one change of the
map, told to everyone on it after commit; who may see the map is its owner's (or an admin's)."""

import json

import pytest

from journeys.models import Journey, JourneyEvent
from journeys.permissions import Role
from tests.factories import PersonaFactory, UserFactory

pytestmark = pytest.mark.django_db


def editor_data(response) -> dict:
    html = response.content.decode()
    marker = '<script id="editor-data" type="application/json">'
    start = html.index(marker) + len(marker)
    return json.loads(html[start : html.index("</script>", start)])


def test_the_owner_saves_every_setting_in_one_change_told_after_commit(
    client_for, five_phase_map, editor, django_capture_on_commit_callbacks
):
    journey = five_phase_map.journey
    persona = PersonaFactory(name="Cora Commuter")
    colleague, successor = UserFactory(role=Role.EDITOR), UserFactory(role=Role.EDITOR)
    revision = journey.revision
    settings = {
        "title": "Buying an e-bike",
        "description": "From the first ad to the first service.",
        "scenario": "Wants to stop driving to work.",
        "persona": persona.pk,
        "status": "validated",
        "state": "future",
        "is_restricted": True,
        "collaborators": [colleague.pk],
        "owner_id": successor.pk,
        "version": journey.version,
    }

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(editor).patch(f"/api/journeys/{journey.pk}/", settings, format="json")

    # The old owner, no collaborator of the map now restricted, no longer sees it: the answer
    # is still the saved journey (the change was theirs), and their next read is refused.
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["title"], body["status"], body["state"], body["persona"]) == (
        "Buying an e-bike",
        "validated",
        "future",
        persona.pk,
    )
    assert (body["owner"]["id"], body["collaborators"], body["is_restricted"]) == (
        successor.pk,
        [colleague.pk],
        True,
    )
    journey.refresh_from_db()
    assert journey.revision == revision + 1
    event = JourneyEvent.objects.get(journey=journey, revision=journey.revision)
    assert event.kind == "journey_updated"
    assert event.payload["journey"]["title"] == "Buying an e-bike"
    # Nothing is sent before commit: the event, then the sockets' access re-check.
    assert len(callbacks) == 2
    assert client_for(editor).get(f"/api/journeys/{journey.pk}/").status_code == 404


def test_an_editor_who_does_not_own_the_map_changes_its_title_but_not_who_sees_it(
    client_for, five_phase_map, other_editor
):
    journey = five_phase_map.journey
    url = f"/api/journeys/{journey.pk}/"
    client = client_for(other_editor)

    refused = client.patch(
        url,
        {"title": "Mine now", "collaborators": [other_editor.pk], "version": journey.version},
        format="json",
    )
    assert refused.status_code == 403
    journey.refresh_from_db()
    assert (journey.title, list(journey.collaborators.all())) == ("Buying a bike", [])

    saved = client.patch(
        url, {"title": "Buying a city bike", "status": "in_review", "version": journey.version}
    )
    assert saved.status_code == 200
    journey.refresh_from_db()
    assert (journey.title, journey.status) == ("Buying a city bike", "in_review")


def test_an_unknown_status_or_owner_is_refused_with_nothing_written(
    client_for, five_phase_map, editor
):
    journey = five_phase_map.journey
    url = f"/api/journeys/{journey.pk}/"
    for change in ({"status": "approved"}, {"owner_id": 999_999}, {"title": ""}):
        response = client_for(editor).patch(url, {**change, "version": journey.version})
        assert response.status_code == 400, change
        assert set(response.json()["errors"]) & {"status", "owner_id", "title"}
    journey.refresh_from_db()
    assert (journey.title, journey.status, journey.version) == ("Buying a bike", "draft", 1)


def test_the_editor_page_offers_the_settings_to_editors_and_who_sees_it_to_the_owner(
    client, five_phase_map, editor, other_editor, viewer
):
    url = f"/journeys/{five_phase_map.journey.pk}/"
    client.force_login(viewer)
    page = client.get(url)
    assert b'data-action="settings"' not in page.content
    assert b"data-settings-panel" not in page.content
    assert editor_data(page)["canManage"] is False

    client.force_login(other_editor)
    page = client.get(url)
    assert b'data-action="settings"' in page.content
    assert editor_data(page)["canManage"] is False

    client.force_login(editor)
    data = editor_data(client.get(url))
    assert data["canManage"] is True
    assert [value for value, _ in data["choices"]["journeyStatuses"]] == [
        Journey.Status.DRAFT,
        Journey.Status.IN_REVIEW,
        Journey.Status.VALIDATED,
        Journey.Status.ARCHIVED,
    ]
    assert [value for value, _ in data["choices"]["journeyStates"]] == ["current", "future"]
