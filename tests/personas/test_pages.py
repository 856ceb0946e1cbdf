"""The persona library pages: everyone reads, admins change, maps are never deleted with it."""

import pytest

from journeys.models import Journey
from personas.models import Persona
from tests.factories import JourneyFactory, PersonaFactory

pytestmark = pytest.mark.django_db


def test_everyone_reads_the_library_and_a_persona_with_its_journeys(client, viewer):
    persona = PersonaFactory(name="Olivia", goals=["Save time"], preferred_channels=["email"])
    JourneyFactory(title="Renewing a contract", persona=persona)
    client.force_login(viewer)
    assert "Olivia" in client.get("/personas/").content.decode()
    page = client.get(f"/personas/{persona.pk}/").content.decode()
    assert "Save time" in page and "Renewing a contract" in page and "Email" in page
    assert f"/personas/{persona.pk}/edit/" not in page


@pytest.mark.parametrize("user", ["viewer", "editor"])
def test_only_admins_change_personas(client, request, user):
    persona = PersonaFactory(name="Olivia")
    client.force_login(request.getfixturevalue(user))
    assert client.get("/personas/new/").status_code == 404
    assert client.post(f"/personas/{persona.pk}/edit/", {"name": "Hacked"}).status_code == 404
    assert client.post(f"/personas/{persona.pk}/delete/").status_code == 404
    persona.refresh_from_db()
    assert persona.name == "Olivia"


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
