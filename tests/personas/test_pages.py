"""The persona library pages: everyone reads, editors add, admins curate; maps are never
deleted with a persona."""

import pytest

from journeys.models import Journey
from personas.models import Persona, PersonaGroup
from tests.factories import JourneyFactory, PersonaFactory, PersonaGroupFactory

pytestmark = pytest.mark.django_db


def test_everyone_reads_the_library_and_a_persona_with_its_journeys(client, viewer):
    persona = PersonaFactory(name="Olivia", goals=["Save time"], preferred_channels=["email"])
    JourneyFactory(title="Renewing a contract", persona=persona)
    client.force_login(viewer)
    assert "Olivia" in client.get("/personas/").content.decode()
    page = client.get(f"/personas/{persona.pk}/").content.decode()
    assert "Save time" in page and "Renewing a contract" in page and "Email" in page
    assert f"/personas/{persona.pk}/edit/" not in page


def test_a_viewer_cannot_change_the_library_and_is_told_why(client, viewer):
    persona = PersonaFactory(name="Olivia")
    client.force_login(viewer)
    library = client.get("/personas/").content.decode()
    assert "/personas/new/" not in library and "ask an admin for the Editor role" in library
    refused = client.get("/personas/new/")
    assert refused.status_code == 403
    assert "needs the Editor role" in refused.content.decode()
    assert client.post(f"/personas/{persona.pk}/edit/", {"name": "Hacked"}).status_code == 403
    assert client.post(f"/personas/{persona.pk}/delete/").status_code == 403
    assert client.post("/personas/groups/new/", {"name": "Mine"}).status_code == 403
    persona.refresh_from_db()
    assert persona.name == "Olivia"


def test_an_editor_creates_a_persona_and_edits_it_but_not_others_nor_deletes(client, editor):
    theirs = PersonaFactory(name="Olivia")
    client.force_login(editor)
    assert "/personas/new/" in client.get("/personas/").content.decode()
    response = client.post("/personas/new/", {"name": "Sam the student", "goals": "Pass\nTravel"})
    assert response.status_code == 302
    mine = Persona.objects.get(name="Sam the student")
    assert (mine.goals, mine.created_by) == (["Pass", "Travel"], editor)
    page = client.get(f"/personas/{mine.pk}/").content.decode()
    assert f"/personas/{mine.pk}/edit/" in page and f"/personas/{mine.pk}/delete/" not in page
    edited = client.post(f"/personas/{mine.pk}/edit/", {"name": "Sam", "version": mine.version})
    assert edited.status_code == 302
    mine.refresh_from_db()
    assert mine.name == "Sam"

    other = client.get(f"/personas/{theirs.pk}/").content.decode()
    assert f"/personas/{theirs.pk}/edit/" not in other and "Only its author or an admin" in other
    refused = client.post(f"/personas/{theirs.pk}/edit/", {"name": "Hacked"})
    assert refused.status_code == 403 and "author or an admin" in refused.content.decode()
    assert client.post(f"/personas/{mine.pk}/delete/").status_code == 403
    theirs.refresh_from_db()
    assert theirs.name == "Olivia" and Persona.objects.filter(pk=mine.pk).exists()


def test_an_editor_adds_a_group_and_the_library_filters_by_it(client, editor):
    buyers = PersonaGroupFactory(name="Small business buyers")
    PersonaFactory(name="Olivia", group=buyers)
    PersonaFactory(name="Ungrouped Una")
    client.force_login(editor)

    response = client.post("/personas/groups/new/", {"name": "Students", "description": ""})
    students = PersonaGroup.objects.get(name="Students")
    assert response["Location"] == f"/personas/?group={students.pk}"
    assert students.created_by == editor
    PersonaFactory(name="Sam", group=students)

    page = client.get("/personas/", {"group": students.pk}).content.decode()
    assert "Sam" in page and "Olivia" not in page and "Ungrouped Una" not in page
    page = client.get("/personas/", {"group": buyers.pk}).content.decode()
    assert "Olivia" in page and "Sam" not in page
    everyone = client.get("/personas/").content.decode()
    assert all(name in everyone for name in ("Sam", "Olivia", "Ungrouped Una"))
    # A name already taken is refused, nothing added.
    client.post("/personas/groups/new/", {"name": "Students"})
    assert PersonaGroup.objects.filter(name="Students").count() == 1


def test_an_admin_creates_and_edits_a_persona_with_one_statement_per_line(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/personas/new/",
        {
            "name": "Sam",
            "goals": "Set up tonight\n\n  Pay monthly  ",
            "preferred_channels": ["chat", "sms"],
        },
    )
    sam = Persona.objects.get(name="Sam")
    assert response["Location"] == f"/personas/{sam.pk}/"
    assert sam.goals == ["Set up tonight", "Pay monthly"]
    assert sam.preferred_channels == ["chat", "sms"]
    assert sam.created_by == admin_user

    form = client.get(f"/personas/{sam.pk}/edit/").content.decode()
    assert "Set up tonight\nPay monthly" in form
    client.post(f"/personas/{sam.pk}/edit/", {"name": "Sam S.", "version": 1, "goals": "One"})
    sam.refresh_from_db()
    assert (sam.name, sam.goals, sam.version) == ("Sam S.", ["One"], 2)


def test_a_stale_persona_form_is_refused_and_says_so(client, admin_user):
    persona = PersonaFactory(name="Olivia")
    client.force_login(admin_user)
    client.post(f"/personas/{persona.pk}/edit/", {"name": "Olivia O.", "version": 1})
    response = client.post(
        f"/personas/{persona.pk}/edit/", {"name": "Olivia X", "version": 1}, follow=True
    )
    assert "changed this persona meanwhile" in response.content.decode()
    persona.refresh_from_db()
    assert persona.name == "Olivia O."


def test_deleting_a_persona_asks_first_and_keeps_its_maps(client, admin_user):
    persona = PersonaFactory(name="Olivia")
    journey = JourneyFactory(title="Renewing a contract", persona=persona)
    client.force_login(admin_user)
    question = client.get(f"/personas/{persona.pk}/delete/").content.decode()
    assert "Renewing a contract" in question and "kept" in question
    assert Persona.objects.filter(pk=persona.pk).exists()

    client.post(f"/personas/{persona.pk}/delete/")
    assert not Persona.objects.filter(pk=persona.pk).exists()
    assert Journey.objects.get(pk=journey.pk).persona is None
