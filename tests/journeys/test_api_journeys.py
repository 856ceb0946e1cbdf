"""The journeys API: a list of maps, and one map whole, in a constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from journeys import services
from journeys.models import Journey, JourneyEvent, Lane
from journeys.permissions import Role
from tests.factories import (
    CardFactory,
    JourneyFactory,
    LaneFactory,
    PersonaFactory,
    PhaseFactory,
    TouchpointFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_an_editor_creates_a_journey_from_the_five_phase_template(client_for, editor):
    persona = PersonaFactory()
    response = client_for(editor).post(
        "/api/journeys/",
        {
            "title": "Buying a bike",
            "template": "five_phase",
            "persona": persona.pk,
            "state": "future",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [p["name"] for p in body["phases"]] == [
        "Awareness",
        "Consideration",
        "Conversion",
        "Post-Purchase",
        "Services",
    ]
    assert [(lane["name"], lane["kind"]) for lane in body["lanes"]] == [
        ("Actions", "actions"),
        ("Touchpoints", "touchpoints"),
        ("Thoughts", "thoughts"),
        ("Feelings", "emotions"),
        ("Pain points", "pain_points"),
        ("Process ownership", "process_ownership"),
        ("Opportunities", "opportunities"),
    ]
    assert body["persona"]["name"] == persona.name
    assert body["owner"]["username"] == editor.username
    assert (body["state"], body["status"], body["revision"]) == ("future", "draft", 1)


@pytest.mark.parametrize(
    ("template", "phases", "lanes"),
    [
        ("blank", 3, ["actions", "touchpoints", "emotions"]),
        ("service_blueprint", 5, ["actions", "touchpoints", "backstage", "process_ownership"]),
    ],
)
def test_the_other_templates(client_for, editor, template, phases, lanes):
    body = client_for(editor).post("/api/journeys/", {"title": "T", "template": template}).json()
    assert len(body["phases"]) == phases
    assert [lane["kind"] for lane in body["lanes"]] == lanes


def test_the_templates_are_listed(client_for, viewer):
    body = client_for(viewer).get("/api/journeys/templates/").json()
    assert {t["key"] for t in body} == {"five_phase", "blank", "service_blueprint"}


def test_an_unknown_template_is_a_clear_400(client_for, editor):
    response = client_for(editor).post("/api/journeys/", {"title": "T", "template": "nope"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "template" in response.json()["errors"]


def test_invalid_input_answers_400_with_field_messages(client_for, editor):
    response = client_for(editor).post("/api/journeys/", {"title": "", "status": "finished"})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"title", "status"}
    assert all(isinstance(m, str) for messages in errors.values() for m in messages)


def test_the_map_holds_everything_in_its_cells(client_for, five_phase_map, editor, viewer):
    awareness = five_phase_map.phase("Awareness")
    services.card_create(
        actor=editor,
        journey_id=five_phase_map.journey.pk,
        phase_id=awareness.pk,
        lane_id=five_phase_map.actions.pk,
        text="Asks a friend",
    )
    services.emotion_create(
        actor=editor,
        journey_id=five_phase_map.journey.pk,
        phase_id=awareness.pk,
        score=2,
        emoji="😀",
    )

    body = client_for(viewer).get(f"/api/journeys/{five_phase_map.journey.pk}/").json()

    assert body["cells"] == [
        {
            "phase": awareness.pk,
            "lane": five_phase_map.actions.pk,
            "cards": [body["cells"][0]["cards"][0]],
        }
    ]
    assert body["cells"][0]["cards"][0]["text"] == "Asks a friend"
    assert body["emotions"][0]["score"] == 2
    assert body["revision"] == 3
    assert body["touchpoints"] == [] and body["opportunities"] == []


def _map(cards: int, touchpoints: int, phases: int = 12, lanes: int = 8) -> Journey:
    journey = JourneyFactory(persona=PersonaFactory())
    phase_objs = PhaseFactory.create_batch(phases, journey=journey)
    lane_objs = LaneFactory.create_batch(lanes, journey=journey)
    for i in range(cards):
        CardFactory(journey=journey, phase=phase_objs[i % phases], lane=lane_objs[i % lanes])
    tp_lane = LaneFactory(journey=journey, kind=Lane.Kind.TOUCHPOINTS)
    for i in range(touchpoints):
        TouchpointFactory(journey=journey, phase=phase_objs[i % phases], lane=tp_lane)
    return journey


def test_the_map_costs_the_same_queries_for_1_card_and_1000_cards(viewer):
    small, large = _map(cards=1, touchpoints=1), _map(cards=1000, touchpoints=100)
    client = APIClient()
    client.force_authenticate(viewer)
    counts = {}
    for name, journey in (("small", small), ("large", large)):
        viewer.__dict__.pop("_journeyboard_role", None)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/journeys/{journey.pk}/")
        assert response.status_code == 200
        counts[name] = len(queries)
    body = response.json()
    assert sum(len(cell["cards"]) for cell in body["cells"]) == 1000
    assert len(body["touchpoints"]) == 100
    assert counts["small"] == counts["large"] == 9


def test_the_list_is_paginated_and_filtered(client_for, viewer):
    persona = PersonaFactory()
    JourneyFactory.create_batch(3, persona=persona, status="validated")
    JourneyFactory.create_batch(2, status="draft", state="future")
    client = client_for(viewer)

    page = client.get("/api/journeys/", {"page_size": 2}).json()
    assert page["count"] == 5 and len(page["results"]) == 2 and page["next"]

    assert client.get("/api/journeys/", {"persona": persona.pk}).json()["count"] == 3
    assert client.get("/api/journeys/", {"status": "draft", "state": "future"}).json()["count"] == 2
    assert client.get("/api/journeys/", {"status": "nonsense"}).status_code == 400


def test_the_list_filters_by_touchpoint_channel_and_department(client_for, viewer):
    by_phone = TouchpointFactory(channel="phone", department="sales").journey
    TouchpointFactory(channel="email", department="marketing")
    client = client_for(viewer)
    results = client.get("/api/journeys/", {"channel": "phone"}).json()["results"]
    assert [j["id"] for j in results] == [by_phone.pk]
    results = client.get("/api/journeys/", {"department": "sales"}).json()["results"]
    assert [j["id"] for j in results] == [by_phone.pk]


def test_the_list_searches_titles(client_for, viewer):
    JourneyFactory(title="Onboarding a new bank customer")
    JourneyFactory(title="Returning a parcel")
    results = client_for(viewer).get("/api/journeys/", {"search": "parcel"}).json()["results"]
    assert [j["title"] for j in results] == ["Returning a parcel"]


def test_a_journey_update_with_a_stale_version_answers_409_with_the_current_journey(
    client_for, five_phase_map, editor
):
    journey = five_phase_map.journey
    client = client_for(editor)
    assert (
        client.patch(f"/api/journeys/{journey.pk}/", {"title": "New", "version": 1}).status_code
        == 200
    )

    response = client.patch(f"/api/journeys/{journey.pk}/", {"status": "validated", "version": 1})

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "version_conflict"
    assert (body["current"]["title"], body["current"]["version"]) == ("New", 2)
    journey.refresh_from_db()
    assert journey.status == "draft"


def test_an_update_must_name_its_version(client_for, five_phase_map, editor):
    response = client_for(editor).patch(
        f"/api/journeys/{five_phase_map.journey.pk}/", {"title": "x"}
    )
    assert response.status_code == 400
    assert "version" in response.json()["errors"]


def test_only_the_owner_or_an_admin_restricts_a_journey(
    client_for, five_phase_map, editor, other_editor, admin_user
):
    url = f"/api/journeys/{five_phase_map.journey.pk}/"
    refused = client_for(other_editor).patch(url, {"is_restricted": True, "version": 1})
    assert refused.status_code == 403
    response = client_for(editor).patch(
        url, {"is_restricted": True, "collaborators": [other_editor.pk], "version": 1}
    )
    assert response.status_code == 200
    assert response.json()["collaborators"] == [other_editor.pk]
    assert client_for(other_editor).get(url).status_code == 200
    outsider = UserFactory(role=Role.EDITOR)
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(admin_user).get(url).status_code == 200


def test_deleting_a_journey_removes_its_map_and_log(client_for, five_phase_map, editor):
    journey_id = five_phase_map.journey.pk
    assert client_for(editor).delete(f"/api/journeys/{journey_id}/").status_code == 204
    assert not Journey.objects.filter(pk=journey_id).exists()
    assert not JourneyEvent.objects.filter(journey_id=journey_id).exists()


def test_session_writes_need_the_csrf_token(five_phase_map, editor):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(editor)
    url = f"/api/journeys/{five_phase_map.journey.pk}/"
    assert client.get(url).status_code == 200
    refused = client.patch(url, {"title": "x", "version": 1}, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]

    client.get("/admin/login/")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    accepted = client.patch(
        url, {"title": "x", "version": 1}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 200


def test_token_authentication(five_phase_map, editor):
    client = APIClient()
    response = client.post(
        "/api/auth/token/", {"username": editor.username, "password": "s3cret-pass"}
    )
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    me = client.get("/api/me/").json()
    assert (me["username"], me["role"]) == (editor.username, "editor")
    assert client.get(f"/api/journeys/{five_phase_map.journey.pk}/").status_code == 200


def test_anonymous_callers_are_asked_to_authenticate(five_phase_map):
    response = APIClient().get("/api/journeys/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_the_journey_list_costs_the_same_queries_for_2_and_30_journeys(viewer):
    client = APIClient()
    client.force_authenticate(viewer)
    counts = []
    for batch in (2, 28):
        for journey in JourneyFactory.create_batch(batch, persona=PersonaFactory()):
            journey.collaborators.set([viewer])
        viewer.__dict__.pop("_journeyboard_role", None)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/journeys/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_client_catches_up_on_the_events_it_missed(client_for, five_phase_map, editor, viewer):
    journey = five_phase_map.journey
    start = client_for(viewer).get(f"/api/journeys/{journey.pk}/").json()["revision"]
    for text in ("one", "two"):
        services.card_create(
            actor=editor,
            journey_id=journey.pk,
            phase_id=five_phase_map.phases[0].pk,
            lane_id=five_phase_map.actions.pk,
            text=text,
        )
    body = client_for(viewer).get(f"/api/journeys/{journey.pk}/events/", {"after": start}).json()
    assert body["revision"] == start + 2
    assert [e["payload"]["card"]["text"] for e in body["events"]] == ["one", "two"]
    assert [e["revision"] for e in body["events"]] == [start + 1, start + 2]
    assert client_for(viewer).get(f"/api/journeys/{journey.pk}/events/").status_code == 400


def test_a_client_too_far_behind_gets_a_snapshot(
    client_for, five_phase_map, editor, viewer, monkeypatch
):
    monkeypatch.setattr("journeys.selectors.EVENT_REPLAY_LIMIT", 0)
    body = (
        client_for(viewer)
        .get(f"/api/journeys/{five_phase_map.journey.pk}/events/", {"after": 0})
        .json()
    )
    assert body["snapshot"]["phases"][0]["name"] == "Awareness"
