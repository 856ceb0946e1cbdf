"""Touchpoints: where the customer meets the brand, each with a stable code for survey data."""

import pytest

from touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client_for, editor):
    return client_for(editor)


def _touchpoint(api, map_, **fields):
    payload = {
        "journey": map_.journey.pk,
        "phase": map_.phase("Awareness").pk,
        "name": "Website",
        **fields,
    }
    response = api.post("/api/touchpoints/", payload)
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_touchpoint_goes_into_the_touchpoints_lane_with_a_derived_code(api, five_phase_map):
    body = _touchpoint(api, five_phase_map, channel="website", department="marketing")
    assert body["lane"] == five_phase_map.lane("touchpoints").pk
    assert body["code"] == "awareness-website"
    second = _touchpoint(api, five_phase_map)
    assert second["code"] == "awareness-website-2"


def test_a_touchpoint_code_stays_when_it_is_renamed(api, five_phase_map):
    body = _touchpoint(api, five_phase_map)
    renamed = api.patch(
        f"/api/touchpoints/{body['id']}/", {"name": "Web shop", "version": 1}
    ).json()
    assert (renamed["name"], renamed["code"]) == ("Web shop", "awareness-website")


def test_a_touchpoint_code_is_unique_within_its_journey(api, five_phase_map):
    _touchpoint(api, five_phase_map, code="web")
    response = api.post(
        "/api/touchpoints/",
        {
            "journey": five_phase_map.journey.pk,
            "phase": five_phase_map.phases[0].pk,
            "name": "x",
            "code": "web",
        },
    )
    assert response.status_code == 400
    assert "code" in response.json()["errors"]


def test_a_touchpoint_moves_to_another_phase(api, five_phase_map):
    body = _touchpoint(api, five_phase_map, is_moment_that_matters=True)
    target = five_phase_map.phase("Services")
    moved = api.post(
        f"/api/touchpoints/{body['id']}/move/", {"phase": target.pk, "index": 0}
    ).json()
    assert moved["phase"] == target.pk
    assert moved["is_moment_that_matters"] is True


@pytest.mark.parametrize(("field", "value"), [("channel", "pigeon"), ("department", "legal")])
def test_a_touchpoint_with_an_unknown_channel_or_department_is_refused(
    api, five_phase_map, field, value
):
    response = api.post(
        "/api/touchpoints/",
        {
            "journey": five_phase_map.journey.pk,
            "phase": five_phase_map.phases[0].pk,
            "name": "x",
            field: value,
        },
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Touchpoint.objects.exists()


def test_touchpoints_are_filtered_by_channel_and_department(api, five_phase_map):
    _touchpoint(api, five_phase_map, channel="phone", department="sales")
    _touchpoint(api, five_phase_map, channel="email", department="marketing")
    journey = five_phase_map.journey.pk
    phones = api.get("/api/touchpoints/", {"journey": journey, "channel": "phone"}).json()
    assert [t["channel"] for t in phones["results"]] == ["phone"]
    sales = api.get("/api/touchpoints/", {"journey": journey, "department": "sales"}).json()
    assert sales["count"] == 1


def test_a_map_without_a_touchpoints_lane_asks_for_one(api, client_for, editor):
    journey = api.post("/api/journeys/", {"title": "x", "template": "service_blueprint"}).json()
    api.delete(f"/api/lanes/{journey['lanes'][1]['id']}/")  # the frontstage (touchpoints) lane
    response = api.post(
        "/api/touchpoints/",
        {"journey": journey["id"], "phase": journey["phases"][0]["id"], "name": "x"},
    )
    assert response.status_code == 400
    assert "lane" in response.json()["errors"]
