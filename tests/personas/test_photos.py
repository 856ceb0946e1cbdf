"""A persona's photo is for the team: everyone with a role sees the library's photos, people
without an account (share-link visitors included) see none, and nothing else is served."""

import io

import pytest
from django.test import Client
from PIL import Image

from journeys import services as journey_services
from personas.models import Persona
from tests.factories import JourneyFactory, UserFactory
from tests.journeys.test_share_links import editor_data

pytestmark = pytest.mark.django_db


def _png(name: str, colour: str) -> io.BytesIO:
    image = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(image, "PNG")
    image.name = name
    image.seek(0)
    return image


def _get(user, path: str) -> int:
    browser = Client()
    if user is not None:
        browser.force_login(user)
    return browser.get(path).status_code


def test_a_persona_photo_is_served_only_to_those_who_may_see_it(
    client_for, admin_user, editor, viewer, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    api = client_for(admin_user)
    created = api.post(
        "/api/personas/", {"name": "Sam", "photo": _png("sam.png", "teal")}, format="multipart"
    )
    assert created.status_code == 201, created.json()
    persona = Persona.objects.get()
    photo = f"/media/{persona.photo.name}"
    in_no_group = UserFactory(username="nobody-in-no-group")
    inactive = UserFactory(username="gone", is_active=False)

    # The library is shared: every role reads every persona, photo included.
    for user in (admin_user, editor, viewer, in_no_group):
        assert _get(user, photo) == 200, user.username
    for user in (None, inactive):
        assert _get(user, photo) == 403

    # A share-link visitor's map carries no photo, and the address alone opens nothing.
    journey = JourneyFactory(owner=editor, persona=persona)
    link = journey_services.share_link_create(actor=editor, journey_id=journey.pk)
    assert editor_data(Client().get(f"/s/{link.token}/"))["map"]["persona"]["photo"] is None
    assert _get(None, photo) == 403

    # A replaced photo stays on disk (Django keeps old files) but is no persona's any more.
    answer = api.patch(
        f"/api/personas/{persona.pk}/",
        {"photo": _png("sam-new.png", "orange"), "version": persona.version},
        format="multipart",
    )
    assert answer.status_code == 200, answer.json()
    persona.refresh_from_db()
    assert (tmp_path / photo.removeprefix("/media/")).exists()
    assert _get(admin_user, photo) == 404
    assert _get(admin_user, f"/media/{persona.photo.name}") == 200
    # Nothing else under MEDIA_ROOT is served, whatever its path.
    (tmp_path / "notes.txt").write_text("not a photo")
    for path in ("/media/notes.txt", "/media/personas/../notes.txt", "/media/personas/x.png"):
        assert _get(admin_user, path) == 404, path
