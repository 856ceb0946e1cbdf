"""Whatever a client puts in an address or a body, the API answers in its error shape: a 400
for what it cannot take, a 404 for what names nothing; never a 500 (found by fuzzing, #13)."""

import pytest
from django.db import DataError, connection

from config.errors import error_answer
from journeys.permissions import Role
from tests.factories import OpportunityFactory, PersonaFactory, UserFactory

pytestmark = pytest.mark.django_db


def assert_error(answer, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.content[:300]
    assert answer["Content-Type"].startswith("application/json")
    body = answer.json()
    assert body["code"] == code and body["detail"]
    return body


def test_a_non_numeric_journey_id_is_a_404(client_for, editor, five_phase_map):
    client = client_for(editor)
    for journey_id in ("abc", "null,null", "١", "²"):
        assert_error(client.get(f"/api/journeys/{journey_id}/"), 404, "not_found")
        assert_error(client.get(f"/api/journeys/{journey_id}/events/?after=0"), 404, "not_found")
        assert_error(client.patch(f"/api/journeys/{journey_id}/", {}), 404, "not_found")


def test_an_api_address_that_names_nothing_is_a_404_in_the_error_shape(client_for, editor):
    client = client_for(editor)
    for path in (
        "/api/journeys/abc/voc/",
        "/api/journeys/0.5/events/",
        "/api/touchpoints/abc/comments/",
        "/api/no-such-thing/",
    ):
        assert_error(client.get(path), 404, "not_found")


def test_a_missing_object_behind_a_generic_view_is_a_404_in_the_error_shape(client_for, editor):
    # DRF's get_object_or_404 raises Django's Http404, which had no ``code``.
    assert_error(client_for(editor).get("/api/personas/999999/"), 404, "not_found")
    assert_error(client_for(editor).get("/api/touchpoints/999999/comments/"), 404, "not_found")


@pytest.mark.parametrize("kind", ["phases", "lanes", "opportunities"])
def test_a_move_with_foreign_keys_is_a_400(client_for, editor, five_phase_map, kind):
    phase, lane = five_phase_map.phases[1], five_phase_map.actions
    item = {
        "phases": five_phase_map.phases[0],
        "lanes": lane,
        "opportunities": OpportunityFactory(journey=five_phase_map.journey, phase=phase),
    }[kind]
    foreign = {"lane": lane.pk} if kind == "opportunities" else {"phase": phase.pk, "lane": lane.pk}
    answer = client_for(editor).post(
        f"/api/{kind}/{item.pk}/move/", {"index": 1, "version": item.version, **foreign}
    )
    body = assert_error(answer, 400, "invalid")
    assert set(body["errors"]) == set(foreign)
    moved = type(item).objects.get(pk=item.pk)
    assert (moved.version, moved.position) == (item.version, item.position)  # nothing moved


def test_an_opportunity_still_moves_to_another_phase(client_for, editor, five_phase_map):
    opportunity = OpportunityFactory(journey=five_phase_map.journey, phase=five_phase_map.phases[0])
    target = five_phase_map.phases[2]
    answer = client_for(editor).post(
        f"/api/opportunities/{opportunity.pk}/move/",
        {"index": 0, "phase": target.pk, "version": opportunity.version},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["phase"] == target.pk


@pytest.mark.parametrize(
    "window", [{"since": "0001-01-01"}, {"until": "9999-12-31"}, {"since": "0030-07-03"}]
)
def test_a_dashboard_with_an_out_of_range_date_is_a_400(client_for, editor, five_phase_map, window):
    client = client_for(editor)
    for url in (
        "/api/dashboards/portfolio/",
        f"/api/journeys/{five_phase_map.journey.pk}/dashboard/",
    ):
        body = assert_error(client.get(url, window), 400, "invalid")
        assert set(body["errors"]) <= {"since", "until"}


def test_a_dashboard_window_at_the_edges_of_the_range_still_answers(
    client_for, editor, five_phase_map
):
    answer = client_for(editor).get(
        f"/api/journeys/{five_phase_map.journey.pk}/dashboard/",
        {"since": "1900-01-01", "until": "2999-12-31"},
    )
    assert answer.status_code == 200, answer.content[:300]
    assert answer.json()["window"]["previous"]["until"] == "1899-12-31"


def test_a_portfolio_persona_written_in_other_digits_is_a_400(client_for, db):
    PersonaFactory()
    viewer = UserFactory(username="vera-viewer", role=Role.VIEWER)
    for persona in ("²", "١"):
        body = assert_error(
            client_for(viewer).get("/api/dashboards/portfolio/", {"persona": persona}),
            400,
            "invalid",
        )
        assert "persona" in body["errors"]


def test_a_nul_byte_in_a_search_is_a_400(client_for, editor, five_phase_map):
    answer = client_for(editor).get("/api/journeys/", {"search": "bike\x00"})
    assert_error(answer, 400, "invalid")


def test_a_value_the_database_cannot_hold_is_a_400_not_an_outage(db):
    # PostgreSQL refuses a NUL byte in text (DataError, which was answered 503 "unavailable");
    # SQLite's driver refuses an integer past 64 bits (OverflowError, which was a 500).
    value = "a\x00b" if connection.vendor == "postgresql" else 2**64
    with pytest.raises((DataError, OverflowError)) as caught, connection.cursor() as cursor:
        cursor.execute("SELECT %s", [value])
    status, body = error_answer(caught.value)
    assert status == 400 and body["code"] == "invalid"


def test_an_id_too_large_for_the_database_is_a_400(client_for, editor, five_phase_map):
    journey = five_phase_map.journey
    answer = client_for(editor).post(
        "/api/cards/",
        {"journey": journey.pk, "phase": 2**64, "lane": five_phase_map.actions.pk, "text": "Hi"},
    )
    assert_error(answer, 400, "invalid")
    assert not journey.cards.exists()
