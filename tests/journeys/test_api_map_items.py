"""Editing a map through the API: cards, phases, lanes, emotions and opportunities."""

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from journeys import services
from journeys.models import Card, Opportunity, Phase
from tests.factories import CardFactory, JourneyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client_for, editor):
    return client_for(editor)


def _card(api, map_, phase="Awareness", text="Asks a friend"):
    response = api.post(
        "/api/cards/",
        {
            "journey": map_.journey.pk,
            "phase": map_.phase(phase).pk,
            "lane": map_.actions.pk,
            "text": text,
        },
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_card_is_added_edited_moved_and_deleted(api, five_phase_map):
    card = _card(api, five_phase_map)
    assert (card["text"], card["version"]) == ("Asks a friend", 1)

    edited = api.patch(
        f"/api/cards/{card['id']}/", {"text": "Asks two friends", "version": 1}
    ).json()
    assert (edited["text"], edited["version"]) == ("Asks two friends", 2)

    target = five_phase_map.phase("Conversion")
    moved = api.post(
        f"/api/cards/{card['id']}/move/", {"phase": target.pk, "index": 0, "version": 2}
    )
    assert moved.status_code == 200
    assert (moved.json()["phase"], moved.json()["version"]) == (target.pk, 3)

    assert api.delete(f"/api/cards/{card['id']}/?version=3").status_code == 204
    assert not Card.objects.exists()


def test_a_stale_card_edit_answers_409_with_the_current_card(api, client_for, five_phase_map):
    card = _card(api, five_phase_map)
    olga = UserFactory(role="editor", first_name="Olga", last_name="Berg")
    colleague = client_for(olga)
    assert (
        colleague.patch(f"/api/cards/{card['id']}/", {"text": "Theirs", "version": 1}).status_code
        == 200
    )

    response = api.patch(f"/api/cards/{card['id']}/", {"text": "Mine", "version": 1})

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "version_conflict"
    assert (body["current"]["text"], body["current"]["version"]) == ("Theirs", 2)
    assert body["changed_by"] == {"id": olga.pk, "name": "Olga Berg"}
    assert "changed by Olga Berg" in body["detail"]


def test_a_stale_delete_answers_409_and_keeps_the_card(api, five_phase_map):
    card = _card(api, five_phase_map)
    api.patch(f"/api/cards/{card['id']}/", {"text": "changed", "version": 1})
    response = api.delete(f"/api/cards/{card['id']}/?version=1")
    assert response.status_code == 409
    assert Card.objects.filter(pk=card["id"]).exists()


def test_card_text_is_stored_as_written_and_returned_as_json_data(api, five_phase_map):
    card = _card(api, five_phase_map, text="<img src=x onerror=alert(1)>")
    assert card["text"] == "<img src=x onerror=alert(1)>"


def test_an_empty_card_text_is_refused(api, five_phase_map):
    response = api.post(
        "/api/cards/",
        {
            "journey": five_phase_map.journey.pk,
            "phase": five_phase_map.phases[0].pk,
            "lane": five_phase_map.actions.pk,
            "text": "  ",
        },
    )
    assert response.status_code == 400
    assert "text" in response.json()["errors"]


def test_moving_a_card_to_an_unknown_lane_is_refused(api, five_phase_map):
    card = _card(api, five_phase_map)
    response = api.post(f"/api/cards/{card['id']}/move/", {"lane": 999999, "index": 0})
    assert response.status_code == 400
    assert "lane" in response.json()["errors"]


def test_deleting_a_non_empty_phase_answers_409_with_what_it_holds(api, five_phase_map):
    _card(api, five_phase_map, phase="Services")
    phase = five_phase_map.phase("Services")

    refused = api.delete(f"/api/phases/{phase.pk}/")

    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "phase_not_empty"
    assert body["counts"] == {"cards": 1}
    assert "Services" in body["detail"]
    assert Phase.objects.filter(pk=phase.pk).exists()

    assert api.delete(f"/api/phases/{phase.pk}/?cascade=true").status_code == 204
    assert not Phase.objects.filter(pk=phase.pk).exists()


def test_phases_are_added_renamed_and_reordered(api, five_phase_map):
    journey = five_phase_map.journey
    created = api.post(
        "/api/phases/", {"journey": journey.pk, "name": "Loyalty", "index": 0}
    ).json()
    api.patch(
        f"/api/phases/{created['id']}/",
        {"name": "Advocacy", "customer_goal": "Tell others", "version": 1},
    )
    api.post(f"/api/phases/{created['id']}/move/", {"index": 5})
    names = [p["name"] for p in api.get(f"/api/journeys/{journey.pk}/").json()["phases"]]
    assert names == [
        "Awareness",
        "Consideration",
        "Conversion",
        "Post-Purchase",
        "Services",
        "Advocacy",
    ]


def test_the_team_sets_one_emotion_per_phase(api, five_phase_map):
    phase = five_phase_map.phase("Services")
    payload = {"journey": five_phase_map.journey.pk, "phase": phase.pk, "score": -2, "emoji": "😠"}
    created = api.post("/api/emotions/", payload)
    assert created.status_code == 201
    assert created.json()["source"] == "team"
    duplicate = api.post("/api/emotions/", payload)
    assert duplicate.status_code == 400
    assert "phase" in duplicate.json()["errors"]
    updated = api.patch(
        f"/api/emotions/{created.json()['id']}/", {"score": -3, "version": 1}
    ).json()
    assert updated["score"] == -3


@pytest.mark.parametrize("score", [-4, 4, "very sad"])
def test_an_emotion_outside_minus_3_to_3_is_refused(api, five_phase_map, score):
    response = api.post(
        "/api/emotions/",
        {
            "journey": five_phase_map.journey.pk,
            "phase": five_phase_map.phases[0].pk,
            "score": score,
        },
    )
    assert response.status_code == 400
    assert "score" in response.json()["errors"]


def test_an_opportunity_carries_its_action_plan_and_priority(api, five_phase_map, editor):
    response = api.post(
        "/api/opportunities/",
        {
            "journey": five_phase_map.journey.pk,
            "phase": five_phase_map.phase("Services").pk,
            "title": "Ticket status by email",
            "impact": 5,
            "effort": 2,
            "status": "planned",
            "owner": editor.pk,
            "due_date": "2027-03-31",
            "kpi": "CSAT",
            "target": "≥ 85%",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["priority"], body["priority_level"]) == (20, "high")
    assert (body["owner"], body["due_date"], body["kpi"]) == (editor.pk, "2027-03-31", "CSAT")

    updated = api.patch(f"/api/opportunities/{body['id']}/", {"effort": 5, "version": 1}).json()
    assert (updated["priority"], updated["priority_level"]) == (5, "low")
    ranked = api.get(
        "/api/opportunities/", {"journey": five_phase_map.journey.pk, "ordering": "-priority"}
    )
    assert ranked.json()["results"][0]["id"] == body["id"]


@pytest.mark.parametrize(
    ("field", "value"), [("impact", 0), ("effort", 6), ("status", "someday"), ("owner", 999999)]
)
def test_an_opportunity_with_bad_fields_is_refused(api, five_phase_map, field, value):
    payload = {
        "journey": five_phase_map.journey.pk,
        "phase": five_phase_map.phases[0].pk,
        "title": "x",
        field: value,
    }
    response = api.post("/api/opportunities/", payload)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Opportunity.objects.exists()


def test_every_change_advances_the_revision_the_map_reports(api, five_phase_map):
    journey_url = f"/api/journeys/{five_phase_map.journey.pk}/"
    start = api.get(journey_url).json()["revision"]
    card = _card(api, five_phase_map)
    api.patch(f"/api/cards/{card['id']}/", {"text": "x", "version": 1})
    api.post(f"/api/cards/{card['id']}/move/", {"index": 0})
    assert api.get(journey_url).json()["revision"] == start + 3


def test_services_and_api_share_one_shape(api, five_phase_map, editor):
    card = services.card_create(
        actor=editor,
        journey_id=five_phase_map.journey.pk,
        phase_id=five_phase_map.phases[0].pk,
        lane_id=five_phase_map.actions.pk,
        text="same",
    )
    from journeys.models import JourneyEvent

    event = JourneyEvent.objects.filter(journey=five_phase_map.journey).latest("revision")
    assert event.payload["card"] == api.get(f"/api/cards/{card.pk}/").json()


def test_a_card_on_a_map_the_editor_may_not_see_cannot_be_edited_moved_or_deleted(
    api, other_editor
):
    card = CardFactory(journey=JourneyFactory(owner=other_editor, is_restricted=True), text="Kept")
    url = f"/api/cards/{card.pk}/"

    assert api.patch(url, {"text": "Changed", "version": 1}).status_code == 404
    assert api.post(f"{url}move/", {"index": 0, "version": 1}).status_code == 404
    assert api.delete(f"{url}?version=1").status_code == 404
    card.refresh_from_db()
    assert (card.text, card.version) == ("Kept", 1)


def test_an_edit_naming_no_card_id_answers_404(api):
    assert api.patch("/api/cards/first/", {"text": "x", "version": 1}).status_code == 404
    assert api.delete("/api/cards/first/").status_code == 404


def test_a_card_edit_over_rest_reads_each_row_once(
    editor, five_phase_map, django_assert_num_queries
):
    # As the editor's calls arrive: the user found by token, its role, then the service's own
    # statements (a savepoint around them here, in a test's transaction): the journey read
    # through the card, the versioned UPDATE, its read back, the revision bump with the event.
    # The service is the access check, so the view reads no row before it.
    card = five_phase_map.add_card(editor, "Asks a friend")
    client = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=editor).key}")
    # SQLite has no UPDATE inside WITH: the revision bump and the event row are two statements.
    with django_assert_num_queries(8 if connection.vendor == "postgresql" else 9):
        response = client.patch(f"/api/cards/{card.pk}/", {"text": "Asks two", "version": 1})
    assert response.status_code == 200, response.json()
