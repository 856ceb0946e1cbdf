"""Two people on one map, in two real Chromium pages on a real ASGI server."""

import pytest
from playwright.sync_api import expect

from journeys.permissions import Role
from tests.factories import UserFactory
from tests.journeys.test_browser_editor import cell, drag, open_editor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_card_added_moved_and_edited_in_one_page_appears_in_the_other(
    page_for, editor, five_phase_map
):
    colleague = UserFactory(role=Role.EDITOR, first_name="Olga", last_name="Berg")
    mine, theirs = page_for(editor), page_for(colleague)
    open_editor(mine, five_phase_map.journey)
    open_editor(theirs, five_phase_map.journey)
    for page in (mine, theirs):
        expect(page.locator("[data-connection]")).to_have_attribute("data-status", "live")
        expect(page.locator(".presence-avatar")).to_have_count(2)
    expect(mine.locator(".presence-avatar:not(.me)")).to_have_attribute("title", "Olga Berg")

    awareness, consideration = five_phase_map.phases[0], five_phase_map.phases[1]
    actions = five_phase_map.actions
    cell(mine, awareness, actions).locator(".add-item").click()
    mine.keyboard.type("Asks a friend")
    mine.keyboard.press("Enter")
    expect(cell(theirs, awareness, actions).locator(".item.card .text")).to_have_text(
        "Asks a friend"
    )

    drag(
        mine,
        cell(mine, awareness, actions).locator(".item.card"),
        cell(mine, consideration, actions).locator(".items"),
    )
    expect(cell(theirs, consideration, actions).locator(".item.card .text")).to_have_text(
        "Asks a friend"
    )
    expect(cell(theirs, awareness, actions).locator(".item.card")).to_have_count(0)

    cell(mine, consideration, actions).locator(".item.card").dblclick()
    mine.keyboard.press("Control+A")
    mine.keyboard.type("Asks two friends")
    mine.keyboard.press("Enter")
    expect(cell(theirs, consideration, actions).locator(".item.card .text")).to_have_text(
        "Asks two friends"
    )


def test_someone_typing_in_a_cell_is_shown_to_the_others_and_not_disturbed(
    page_for, editor, five_phase_map
):
    colleague = UserFactory(role=Role.EDITOR, first_name="Olga", last_name="Berg")
    mine, theirs = page_for(editor), page_for(colleague)
    open_editor(mine, five_phase_map.journey)
    open_editor(theirs, five_phase_map.journey)
    expect(theirs.locator("[data-connection]")).to_have_attribute("data-status", "live")

    awareness, actions = five_phase_map.phases[0], five_phase_map.actions
    cell(theirs, awareness, actions).locator(".add-item").click()
    theirs.keyboard.type("Half a thought")
    # The other page marks the cell as being edited by Olga.
    expect(cell(mine, awareness, actions)).to_have_class("cell locked")
    expect(cell(mine, awareness, actions).locator(".presence-badge")).to_have_text("OB")

    # A change by me arrives while Olga types: her draft stays as it is.
    cell(mine, five_phase_map.phases[2], actions).locator(".add-item").click()
    mine.keyboard.type("Signs the contract")
    mine.keyboard.press("Enter")
    expect(cell(mine, five_phase_map.phases[2], actions).locator(".item.card")).to_have_count(1)
    theirs.wait_for_timeout(500)
    expect(theirs.locator("textarea")).to_have_value("Half a thought")
    theirs.keyboard.press("Enter")
    expect(
        cell(theirs, five_phase_map.phases[2], actions).locator(".item.card .text")
    ).to_have_text("Signs the contract")
    expect(cell(mine, awareness, actions).locator(".item.card .text")).to_have_text(
        "Half a thought"
    )
    expect(cell(mine, awareness, actions)).not_to_have_class("cell locked")

    theirs.close()
    expect(mine.locator(".presence-avatar")).to_have_count(1)
