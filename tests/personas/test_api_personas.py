"""The persona library: admins keep it, everyone reads it, and maps follow its changes."""

import io

import pytest
from django.test import Client
from PIL import Image

from journeys.models import Journey, JourneyEvent
from personas.models import Persona
from tests.factories import JourneyFactory, PersonaFactory, PersonaGroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client_for, admin_user):
    return client_for(admin_user)


def test_an_admin_creates_a_full_persona(api, admin_user):
    group = PersonaGroupFactory(name="Small business")
    response = api.post(
        "/api/personas/",
        {
            "name": "Sam Startup",
            "group": group.pk,
            "role": "Founder",
            "segment": "Small business",
            "bio": "Buys software in an evening.",
            "age_range": "25–34",
            "location": "Lisbon",
            "occupation": "Agency founder",
            "income_band": "€40k–€60k",
            "goals": ["Get set up tonight"],
            "needs": ["Self-service sign-up"],
            "frustrations": ["Hidden fees"],
            "motivations": ["Look professional"],
            "expectations": ["Works on mobile"],
            "behaviours": ["Uses chat first"],
            "preferred_channels": ["chat", "social"],
            "quote": "If I can't try it in five minutes, I'm gone.",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["goals"] == ["Get set up tonight"]
    assert body["preferred_channels"] == ["chat", "social"]
    assert (body["created_by"], body["updated_by"], body["version"]) == (
        admin_user.pk,
        admin_user.pk,
        1,
    )


def test_a_persona_photo_is_uploaded_and_served_to_signed_in_users(
    api, admin_user, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    image = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(image, "PNG")
    image.name = "sam.png"
    image.seek(0)
    response = api.post("/api/personas/", {"name": "Sam", "photo": image}, format="multipart")
    assert response.status_code == 201, response.json()
    photo_url = response.json()["photo"]
    assert photo_url.startswith("http://testserver/media/personas/sam")
    assert (tmp_path / Persona.objects.get().photo.name).exists()
    path = photo_url.removeprefix("http://testserver")
    assert Client().get(path).status_code == 403
    browser = Client()
    browser.force_login(admin_user)
    served = browser.get(path)
    assert served.status_code == 200
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")


def test_a_file_that_is_not_an_image_is_refused_as_a_photo(api):
    bogus = io.BytesIO(b"not an image")
    bogus.name = "x.png"
    response = api.post("/api/personas/", {"name": "Sam", "photo": bogus}, format="multipart")
    assert response.status_code == 400
    assert "photo" in response.json()["errors"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("preferred_channels", ["carrier pigeon"]), ("goals", "not a list"), ("goals", [""])],
)
def test_bad_persona_lists_are_refused(api, field, value):
    response = api.post("/api/personas/", {"name": "Sam", field: value})
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_persona_change_is_logged_on_every_map_that_uses_it(api):
    persona = PersonaFactory()
    journeys = JourneyFactory.create_batch(2, persona=persona)
    unrelated = JourneyFactory()

    response = api.patch(f"/api/personas/{persona.pk}/", {"quote": "New quote", "version": 1})

    assert response.status_code == 200
    for journey in journeys:
        journey.refresh_from_db()
        event = JourneyEvent.objects.get(journey=journey, revision=journey.revision)
        assert event.kind == "persona_updated"
        assert event.payload["persona"]["quote"] == "New quote"
    assert not JourneyEvent.objects.filter(journey=unrelated).exists()
    assert api.get(f"/api/journeys/{journeys[0].pk}/").json()["persona"]["quote"] == "New quote"


def test_a_stale_persona_edit_answers_409(api):
    persona = PersonaFactory()
    api.patch(f"/api/personas/{persona.pk}/", {"quote": "One", "version": 1})
    response = api.patch(f"/api/personas/{persona.pk}/", {"quote": "Two", "version": 1})
    assert response.status_code == 409
    assert response.json()["current"]["quote"] == "One"


def test_deleting_a_persona_keeps_its_maps(api):
    persona = PersonaFactory()
    journey = JourneyFactory(persona=persona)
    assert api.delete(f"/api/personas/{persona.pk}/").status_code == 204
    journey.refresh_from_db()
    assert journey.persona is None
    assert Journey.objects.filter(pk=journey.pk).exists()
    assert JourneyEvent.objects.get(journey=journey).kind == "persona_removed"


def test_personas_are_searched_and_filtered(client_for, viewer):
    group = PersonaGroupFactory()
    PersonaFactory(name="Olivia", segment="Enterprise", group=group)
    PersonaFactory(name="Sam", segment="Small business")
    client = client_for(viewer)
    assert [
        p["name"] for p in client.get("/api/personas/", {"search": "oliv"}).json()["results"]
    ] == ["Olivia"]
    assert client.get("/api/personas/", {"group": group.pk}).json()["count"] == 1
    assert client.get("/api/personas/", {"segment": "Small business"}).json()["count"] == 1


def test_deleting_a_group_keeps_its_personas(api):
    persona = PersonaFactory(group=PersonaGroupFactory())
    assert api.delete(f"/api/persona-groups/{persona.group_id}/").status_code == 204
    persona.refresh_from_db()
    assert persona.group is None


def test_an_editor_adds_a_persona_and_a_group_and_edits_only_their_own(client_for, editor):
    client = client_for(editor)
    group = client.post("/api/persona-groups/", {"name": "Commuters"}, format="json")
    assert group.status_code == 201
    created = client.post(
        "/api/personas/", {"name": "Cleo", "group": group.json()["id"]}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["created_by"] == editor.pk
    mine = created.json()["id"]
    assert (
        client.patch(f"/api/personas/{mine}/", {"quote": "On time", "version": 1}).status_code
        == 200
    )

    theirs = PersonaFactory(name="Olivia")
    refused = client.patch(f"/api/personas/{theirs.pk}/", {"quote": "X", "version": 1})
    assert refused.status_code == 403
    assert "author or an admin" in refused.json()["detail"]
    # Curation stays with admins: deleting personas, renaming and deleting groups.
    assert client.delete(f"/api/personas/{mine}/").status_code == 403
    renamed = client.patch(
        f"/api/persona-groups/{group.json()['id']}/", {"name": "N", "version": 1}
    )
    assert renamed.status_code == 403
    assert Persona.objects.filter(pk=mine).exists()


def test_a_viewer_is_told_who_may_add_to_the_library(client_for, viewer):
    refused = client_for(viewer).post("/api/personas/", {"name": "Pat"}, format="json")
    assert refused.status_code == 403
    assert "Editor role" in refused.json()["detail"]
    assert not Persona.objects.filter(name="Pat").exists()


def test_a_persona_an_editor_changes_reaches_every_map_that_uses_it(client_for, editor):
    client = client_for(editor)
    persona = client.post("/api/personas/", {"name": "Cleo"}, format="json").json()
    journeys = JourneyFactory.create_batch(2, persona_id=persona["id"])
    client.patch(f"/api/personas/{persona['id']}/", {"role": "Nurse", "version": 1}, format="json")
    for journey in journeys:
        journey.refresh_from_db()
        event = JourneyEvent.objects.get(journey=journey, revision=journey.revision)
        assert (event.kind, event.payload["persona"]["role"]) == ("persona_updated", "Nurse")
