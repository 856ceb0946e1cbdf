"""The persona library in real Chromium: an editor files a new persona under a new group, the
library filters by that group, a map that uses the persona follows its edit live, and a viewer
is told who can add to the library."""

import pytest
from playwright.sync_api import expect

from journeys import services
from personas.models import Persona, PersonaGroup
from tests.journeys.test_browser_editor import open_editor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_an_editor_adds_a_group_and_a_persona_in_it_and_a_map_follows_the_edit(
    page_for, editor, viewer
):
    page = page_for(editor)
    page.goto("/personas/")
    expect(page.locator("#library-rules")).to_contain_text("Editors add personas and groups")
    page.get_by_label("New group").fill("Commuters")
    page.get_by_role("button", name="Add group").click()
    expect(page.get_by_label("Group", exact=True)).to_have_value(
        str(PersonaGroup.objects.get(name="Commuters").pk)
    )
    expect(page.locator(".empty")).to_have_text("No personas in this group yet.")

    page.get_by_role("link", name="New persona").click()
    page.get_by_label("Name").fill("Cleo the commuter")
    page.get_by_label("Group").select_option(label="Commuters")
    page.get_by_role("button", name="Save persona").click()
    expect(page.locator("h1")).to_have_text("Cleo the commuter")
    expect(page.get_by_role("link", name="Edit")).to_be_visible()
    expect(page.get_by_role("link", name="Delete")).to_have_count(0)  # curation is for admins

    page.goto("/personas/")
    page.get_by_label("Group", exact=True).select_option(label="Commuters")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(".persona-tile")).to_have_count(1)
    expect(page.locator(".persona-tile")).to_contain_text("Cleo the commuter")

    # A map that uses the persona hears of its edit without a reload.
    persona = Persona.objects.get(name="Cleo the commuter")
    journey = services.journey_create(actor=editor, title="Getting to work", persona_id=persona.pk)
    map_page = page_for(editor)
    open_editor(map_page, journey)
    expect(map_page.locator("[data-persona-panel]")).to_contain_text("Cleo the commuter")
    page.goto(f"/personas/{persona.pk}/edit/")
    page.get_by_label("Name").fill("Cleo, daily commuter")
    page.get_by_role("button", name="Save persona").click()
    expect(map_page.locator("[data-persona-panel]")).to_contain_text("Cleo, daily commuter")

    reader = page_for(viewer)
    reader.goto("/personas/")
    expect(reader.get_by_role("link", name="New persona")).to_have_count(0)
    expect(reader.locator("#library-rules")).to_contain_text("ask an admin for the Editor role")
    reader.goto("/personas/new/")
    expect(reader.get_by_role("alert")).to_contain_text("needs the Editor role")
