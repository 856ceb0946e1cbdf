"""The editor's one store and keyed grid, with two people on one map in real Chromium: a late
HTTP answer never replaces a peer's newer version, a peer's edit leaves a half-typed draft and
the focus alone, and one's own edit is drawn once (its echo draws nothing)."""

import time

import pytest
from playwright.sync_api import expect

from journeys.models import Journey
from journeys.permissions import Role
from tests.factories import UserFactory
from tests.journeys.test_browser_editor import cell, open_editor, saves, wait_for_save

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def both_live(*pages) -> None:
    for page in pages:
        expect(page.locator("[data-connection]")).to_have_attribute("data-status", "live")


def edit_card_text(page, card, text: str) -> None:
    card.dblclick()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def wait_for_revision(page, journey: Journey) -> None:
    """Wait until the page has applied every event the journey has now."""
    revision = Journey.objects.values_list("revision", flat=True).get(pk=journey.pk)
    # A function, not an expression, which Playwright would eval (refused by the page's CSP).
    page.wait_for_function(f"() => Number(document.body.dataset.revision) >= {revision}")


def test_a_late_answer_never_replaces_a_newer_version_from_a_peer(page_for, editor, five_phase_map):
    journey, awareness, actions = (
        five_phase_map.journey,
        five_phase_map.phases[0],
        five_phase_map.actions,
    )
    saved = five_phase_map.add_card(editor, "Asks a friend")
    colleague = UserFactory(role=Role.EDITOR, first_name="Olga", last_name="Berg")
    mine, theirs = page_for(editor), page_for(colleague)

    # My save reaches the server, but its answer is held back until after Olga's newer edit.
    held = []

    def hold_the_answer(route):
        if route.request.method != "PATCH":
            route.continue_()
            return
        held.append((route, route.fetch()))

    mine.route(f"**/api/cards/{saved.pk}/", hold_the_answer)
    open_editor(mine, journey)
    open_editor(theirs, journey)
    both_live(mine, theirs)
    my_card = cell(mine, awareness, actions).locator(".item.card")
    their_card = cell(theirs, awareness, actions).locator(".item.card")

    edit_card_text(mine, my_card, "Asks two friends")
    expect(their_card.locator(".text")).to_have_text("Asks two friends")  # saved (version 2)
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        mine.wait_for_timeout(50)  # lets Playwright run the route handler
    assert len(held) == 1

    before = saves(theirs)
    edit_card_text(theirs, their_card, "Asks three friends")
    wait_for_save(theirs, before)
    expect(their_card.locator(".text")).to_have_text("Asks three friends")  # version 3
    wait_for_revision(mine, journey)  # my page has Olga's version 3 from the socket

    before = saves(mine)
    route, answer = held[0]
    route.fulfill(response=answer)  # now my answer (version 2) arrives, late
    wait_for_save(mine, before)
    expect(my_card.locator(".text")).to_have_text("Asks three friends")
    expect(mine.locator(".toast.error")).to_have_count(0)


def test_a_peers_edits_leave_a_half_typed_draft_and_the_focus_alone(
    page_for, editor, five_phase_map
):
    journey, actions = five_phase_map.journey, five_phase_map.actions
    awareness, consideration = five_phase_map.phases[:2]
    colleague = UserFactory(role=Role.EDITOR, first_name="Olga", last_name="Berg")
    mine, theirs = page_for(editor), page_for(colleague)
    open_editor(mine, journey)
    open_editor(theirs, journey)
    both_live(mine, theirs)

    cell(mine, awareness, actions).locator(".add-item").click()
    mine.keyboard.type("Half a thought")
    # Mark the draft's node and the cell's Sortable, to tell later whether they are the same.
    mine.evaluate(
        """() => {
          const draft = document.activeElement;
          draft.marked = true;
          const list = draft.closest(".items");
          const expando = Object.keys(list).find((key) => key.startsWith("Sortable"));
          list[expando].marked = true;
        }"""
    )

    # Olga adds a card to another cell and one to the cell I am typing in.
    for phase, text in ((consideration, "Compares prices"), (awareness, "Sees an advert")):
        cell(theirs, phase, actions).locator(".add-item").click()
        theirs.keyboard.type(text)
        theirs.keyboard.press("Enter")
        expect(cell(theirs, phase, actions).locator(".item.card .text")).to_have_text(text)

    # Both show on my page while I type (the grid is not held back until I finish) …
    expect(cell(mine, consideration, actions).locator(".item.card .text")).to_have_text(
        "Compares prices"
    )
    expect(cell(mine, awareness, actions).locator(".item.card .text")).to_have_text(
        "Sees an advert"
    )
    # … and my draft is the same node, still focused, with what I typed, in the same Sortable.
    kept = mine.evaluate(
        """() => {
          const draft = document.activeElement;
          const list = draft.closest(".items");
          const expando = Object.keys(list).find((key) => key.startsWith("Sortable"));
          return {
            draft: draft.marked === true, value: draft.value,
            sortable: list[expando].marked === true,
          };
        }"""
    )
    assert kept == {"draft": True, "value": "Half a thought", "sortable": True}

    mine.keyboard.type(" about bikes")
    mine.keyboard.press("Enter")
    expect(cell(mine, awareness, actions).locator(".item.card .text")).to_have_text(
        ["Sees an advert", "Half a thought about bikes"]
    )
    expect(cell(theirs, awareness, actions).locator(".item.card .text")).to_have_text(
        ["Sees an advert", "Half a thought about bikes"]
    )


def test_ones_own_edit_is_drawn_once_and_its_echo_draws_nothing(page_for, editor, five_phase_map):
    journey, awareness, actions = (
        five_phase_map.journey,
        five_phase_map.phases[0],
        five_phase_map.actions,
    )
    five_phase_map.add_card(editor, "Asks a friend")
    mine = page_for(editor)
    open_editor(mine, journey)
    both_live(mine)
    renders = int(mine.evaluate("Number(document.body.dataset.renders || 0)"))

    before = saves(mine)
    edit_card_text(mine, cell(mine, awareness, actions).locator(".item.card"), "Asks two friends")
    wait_for_save(mine, before)
    wait_for_revision(mine, journey)  # the echo has come back over the socket
    expect(cell(mine, awareness, actions).locator(".item.card .text")).to_have_text(
        "Asks two friends"
    )
    assert int(mine.evaluate("Number(document.body.dataset.renders)")) == renders + 1
