"""A map may have several Opportunities lanes: each opportunity shows once, in its own lane,
and keeps it through the API and a map file's round trip. The five-phase template has a Pain
points lane."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from journeys import services
from journeys.models import Lane, Opportunity

pytestmark = pytest.mark.django_db


def test_the_five_phase_template_has_a_pain_points_lane(five_phase_map):
    kinds = [lane.kind for lane in five_phase_map.lanes]
    assert Lane.Kind.PAIN_POINTS in kinds
    assert kinds.index(Lane.Kind.PAIN_POINTS) < kinds.index(Lane.Kind.OPPORTUNITIES)


def test_an_opportunity_goes_into_the_opportunities_lane_it_names(
    client_for, editor, five_phase_map
):
    journey, phase = five_phase_map.journey, five_phase_map.phases[0]
    quick_wins = services.lane_create(
        actor=editor, journey_id=journey.pk, name="Quick wins", kind=Lane.Kind.OPPORTUNITIES
    )
    client = client_for(editor)
    created = client.post(
        "/api/opportunities/",
        {"journey": journey.pk, "phase": phase.pk, "lane": quick_wins.pk, "title": "Live chat"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["lane"] == quick_wins.pk
    unnamed = client.post(
        "/api/opportunities/",
        {"journey": journey.pk, "phase": phase.pk, "title": "Clearer prices"},
        format="json",
    )
    assert unnamed.json()["lane"] is None  # shown in the first Opportunities lane

    actions = five_phase_map.actions
    refused = client.patch(
        f"/api/opportunities/{created.json()['id']}/",
        {"lane": actions.pk, "version": 1},
        format="json",
    )
    assert refused.status_code == 400
    assert "Opportunities lane" in str(refused.json())
    assert Opportunity.objects.get(pk=created.json()["id"]).lane_id == quick_wins.pk


def test_a_map_file_keeps_each_opportunity_in_its_lane(client_for, editor, five_phase_map):
    journey, phase = five_phase_map.journey, five_phase_map.phases[1]
    quick_wins = services.lane_create(
        actor=editor, journey_id=journey.pk, name="Quick wins", kind=Lane.Kind.OPPORTUNITIES
    )
    services.opportunity_create(
        actor=editor,
        journey_id=journey.pk,
        phase_id=phase.pk,
        title="Live chat",
        lane_id=quick_wins.pk,
    )
    services.opportunity_create(
        actor=editor, journey_id=journey.pk, phase_id=phase.pk, title="Clearer prices"
    )
    client = client_for(editor)
    exported = client.get(f"/api/journeys/{journey.pk}/export/", {"format": "json"}).content
    document = json.loads(exported)
    lane_names = {lane["key"]: lane["name"] for lane in document["lanes"]}
    placed = {o["title"]: lane_names.get(o["lane"]) for o in document["opportunities"]}
    assert placed == {"Live chat": "Quick wins", "Clearer prices": None}

    upload = SimpleUploadedFile("map.json", exported)
    response = client.post("/api/journeys/import/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    copy = Opportunity.objects.exclude(journey=journey)
    assert copy.get(title="Live chat").lane.name == "Quick wins"
    assert copy.get(title="Clearer prices").lane is None
