"""The HTML pages: who sees what, and what each costs in queries."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from journeys.models import Journey
from journeys.permissions import Role
from tests.factories import (
    CardFactory,
    JourneyFactory,
    LaneFactory,
    PersonaFactory,
    PhaseFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser_for(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def editor_data(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="editor-data" type="application/json">') + len(
        '<script id="editor-data" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_pages_send_anonymous_visitors_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_home_page_lists_and_filters_journeys(browser_for, viewer):
    persona = PersonaFactory(name="Olivia")
    JourneyFactory(title="Renewing a contract", persona=persona, status="validated")
    JourneyFactory(title="Returning a parcel", state="future")
    client = browser_for(viewer)

    page = client.get("/").content.decode()
    assert "Renewing a contract" in page and "Returning a parcel" in page
    assert "New journey" not in page  # viewers do not create maps

    filtered = client.get("/", {"persona": persona.pk}).content.decode()
    assert "Renewing a contract" in filtered and "Returning a parcel" not in filtered
    assert "Returning a parcel" in client.get("/", {"state": "future"}).content.decode()
    assert "Renewing" not in client.get("/", {"search": "parcel"}).content.decode()


def test_an_editor_creates_a_journey_from_a_template_on_the_home_page(browser_for, editor):
    client = browser_for(editor)
    assert "New journey" in client.get("/").content.decode()
    response = client.post(
        "/journeys/new/", {"title": "Opening an account", "template": "service_blueprint"}
    )
    journey = Journey.objects.get(title="Opening an account")
    assert response["Location"] == f"/journeys/{journey.pk}/"
    assert journey.lanes.count() == 4 and journey.owner == editor


def test_a_viewer_cannot_create_a_journey_even_by_posting(browser_for, viewer):
    browser_for(viewer).post("/journeys/new/", {"title": "Sneaky", "template": "blank"})
    assert not Journey.objects.filter(title="Sneaky").exists()


def test_the_editor_page_carries_the_map_and_the_users_rights(browser_for, editor, viewer):
    card = CardFactory(text="<b>bold?</b>")
    editor_view = editor_data(browser_for(editor).get(f"/journeys/{card.journey_id}/"))
    assert editor_view["canEdit"] is True
    assert editor_view["map"]["cells"][0]["cards"][0]["text"] == "<b>bold?</b>"
    assert "personas" in editor_view

    page = browser_for(viewer).get(f"/journeys/{card.journey_id}/")
    assert editor_data(page)["canEdit"] is False
    assert "personas" not in editor_data(page)
    html = page.content.decode()
    assert "<b>bold?</b>" not in html  # json_script escapes it
    assert 'data-action="undo"' not in html


def test_a_restricted_map_is_not_found_for_outsiders(browser_for):
    journey = JourneyFactory(is_restricted=True)
    outsider = UserFactory(role=Role.EDITOR)
    assert browser_for(outsider).get(f"/journeys/{journey.pk}/").status_code == 404


def test_the_editor_page_costs_the_same_queries_for_a_small_and_a_large_map(browser_for, editor):
    counts = []
    for cards in (1, 300):
        journey = JourneyFactory(persona=PersonaFactory())
        phases = PhaseFactory.create_batch(6, journey=journey)
        lanes = LaneFactory.create_batch(4, journey=journey)
        for i in range(cards):
            CardFactory(journey=journey, phase=phases[i % 6], lane=lanes[i % 4])
        client = browser_for(editor)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/journeys/{journey.pk}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
