"""The map settings panel, in two real Chromium pages on a real ASGI server: what the owner
changes there (title, status, state, collaborators, restriction) reaches everyone on the map
at once, and a map restricted away from someone leaves their page, API and socket at once."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from journeys.models import Journey, JourneyEvent
from journeys.permissions import Role
from tests.factories import UserFactory
from tests.journeys.test_browser_editor import open_editor
from tests.waiting import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

DOCS = Path(__file__).resolve().parents[2] / "docs"


def watch_sockets(page: Page) -> list:
    """The page's WebSockets, as it opens them (call before the page loads)."""
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket))
    return sockets


def open_settings(page: Page):
    page.get_by_role("button", name="⚙ Settings").click()
    panel = page.get_by_role("complementary", name="Map settings")
    expect(panel).to_be_visible()
    expect(panel.get_by_label("Title")).to_be_focused()
    return panel


def save_settings(panel) -> None:
    page = panel.page
    saved = int(page.evaluate("document.body.dataset.settingsSaves || 0"))
    panel.get_by_role("button", name="Save settings").click()
    page.wait_for_function(f"() => Number(document.body.dataset.settingsSaves || 0) > {saved}")
    expect(panel).to_be_hidden()


def expect_header_follows(page: Page) -> None:
    """The toolbar of a page on the map shows the settings the owner saved."""
    head = page.locator(".journey-title")
    expect(head.locator("h1")).to_have_text("Buying an e-bike")
    expect(head.locator('[data-field="journey-status"]')).to_have_text("In review")
    expect(head.locator('[data-field="journey-status"]')).to_have_class("badge status-in_review")
    expect(head.locator('[data-field="journey-state"]')).to_have_text("Future state")
    expect(head.locator('[data-field="journey-restricted"]')).to_be_visible()
    expect(page).to_have_title("Buying an e-bike · Journeyboard")


def saved_as_asked(journey: Journey, colleague) -> None:
    """The settings are stored, as one change of the map (a revision and its event)."""
    journey.refresh_from_db()
    assert (journey.title, journey.status, journey.state, journey.is_restricted) == (
        "Buying an e-bike",
        Journey.Status.IN_REVIEW,
        Journey.State.FUTURE,
        True,
    )
    assert journey.scenario == "Commutes 12 km a day and wants to stop driving."
    assert list(journey.collaborators.values_list("pk", flat=True)) == [colleague.pk]
    assert JourneyEvent.objects.filter(journey=journey, kind="journey_updated").count() == 1


def test_the_owner_changes_the_settings_and_a_colleague_sees_them_live(
    page_for, editor, five_phase_map
):
    journey = five_phase_map.journey
    editor.first_name, editor.last_name = "Eddie", "Editor"  # the screenshot's names, always
    editor.save(update_fields=["first_name", "last_name"])
    colleague = UserFactory(role=Role.EDITOR, first_name="Olga", last_name="Berg")
    mine, theirs = page_for(editor), page_for(colleague)
    open_editor(mine, journey)
    open_editor(theirs, journey)
    expect(theirs.locator("[data-connection]")).to_have_attribute("data-status", "live")
    expect(theirs.locator('[data-field="journey-status"]')).to_have_text("Draft")
    expect(theirs.locator('[data-field="journey-restricted"]')).to_be_hidden()

    panel = open_settings(mine)
    panel.get_by_label("Title").fill("Buying an e-bike")
    panel.get_by_label("Description").fill("From the first ad to the first service.")
    panel.get_by_label("Scenario").fill("Commutes 12 km a day and wants to stop driving.")
    panel.get_by_label("Status").select_option(label="In review")
    panel.get_by_label("State").select_option(label="Future state")
    panel.get_by_label("Person to add as a collaborator").select_option(label="Olga Berg")
    panel.get_by_role("button", name="Add", exact=True).click()
    expect(panel.get_by_role("list", name="Collaborators")).to_contain_text("Olga Berg")
    panel.get_by_label("Restricted").check()
    # The README's picture of the panel, made afresh, at a desktop's width.
    mine.set_viewport_size({"width": 1600, "height": 900})
    panel.get_by_label("Title").focus()
    mine.mouse.move(1, 1)  # no hover left on the grid
    mine.evaluate("() => window.scrollTo(0, 0)")
    DOCS.mkdir(exist_ok=True)
    mine.screenshot(path=str(DOCS / "map-settings.png"))
    assert (DOCS / "map-settings.png").stat().st_size > 20_000
    save_settings(panel)
    expect(mine.get_by_role("button", name="⚙ Settings")).to_be_focused()

    # The colleague's page follows at once: title, status badge, state and the restriction.
    expect_header_follows(theirs)
    saved_as_asked(journey, colleague)

    # The collaborator, restricted in, still has the map; opening the panel shows it as saved,
    # and the who-may-see-it fields are the owner's alone.
    expect(theirs.locator("[data-connection]")).to_have_attribute("data-status", "live")
    theirs_panel = open_settings(theirs)
    expect(theirs_panel.get_by_label("Status")).to_have_value("in_review")
    expect(theirs_panel.get_by_label("Restricted")).to_be_checked()
    expect(theirs_panel.get_by_label("Restricted")).to_be_disabled()
    expect(theirs_panel).to_contain_text("Only the map's owner or an admin")
    theirs.keyboard.press("Escape")
    expect(theirs_panel).to_be_hidden()

    # Taken off the collaborators of the restricted map: Olga's page, API and socket lose it.
    panel = open_settings(mine)
    panel.get_by_role("button", name="Remove Olga Berg").click()
    expect(panel.get_by_role("list", name="Collaborators")).to_have_text("No collaborators yet.")
    save_settings(panel)
    expect(
        theirs.get_by_role("alert", name="You no longer have access to this map")
    ).to_be_visible()
    expect(theirs.locator("#journey-grid")).to_be_hidden()
    assert theirs.request.get(f"/api/journeys/{journey.pk}/").status == 404
    assert list(journey.collaborators.all()) == []


def test_a_map_restricted_while_a_non_collaborator_has_it_open_leaves_them_at_once(
    page_for, editor, viewer, five_phase_map
):
    journey = five_phase_map.journey
    mine, theirs = page_for(editor), page_for(viewer)
    sockets = watch_sockets(theirs)
    open_editor(mine, journey)
    open_editor(theirs, journey)
    expect(theirs.locator("[data-connection]")).to_have_attribute("data-status", "live")
    expect(mine.locator('[data-field="journey-restricted"]')).to_be_hidden()
    # A viewer has no settings to change.
    expect(theirs.get_by_role("button", name="⚙ Settings")).to_have_count(0)
    assert theirs.request.get(f"/api/journeys/{journey.pk}/").status == 200

    panel = open_settings(mine)
    restricted = panel.get_by_label("Restricted")
    restricted.focus()
    mine.keyboard.press("Space")  # the whole panel works from the keyboard
    expect(restricted).to_be_checked()
    save_settings(panel)

    expect(
        theirs.get_by_role("alert", name="You no longer have access to this map")
    ).to_be_visible()
    expect(theirs.get_by_role("link", name="Back to the journeys")).to_be_focused()
    expect(theirs.locator("[data-connection]")).to_have_attribute("data-status", "refused")
    # Closed by the server, not reconnecting: the one socket the page opened is shut.
    # (Playwright hears of the close while it talks to the page: evaluate lets it.)
    assert len(sockets) == 1
    wait_until(lambda: theirs.evaluate("1") and sockets[0].is_closed(), 5, "the socket closed")
    assert theirs.request.get(f"/api/journeys/{journey.pk}/").status == 404
    assert theirs.goto(f"/journeys/{journey.pk}/").status == 404
    # The owner's own page keeps the map, marked as restricted.
    expect(mine.locator('[data-field="journey-restricted"]')).to_be_visible()
    expect(mine.locator("[data-connection]")).to_have_attribute("data-status", "live")


def test_a_phase_description_and_customer_goal_are_edited_from_its_header(
    page_for, editor, viewer, five_phase_map
):
    awareness = five_phase_map.phases[0]
    mine, theirs = page_for(editor), page_for(viewer)
    open_editor(mine, five_phase_map.journey)
    open_editor(theirs, five_phase_map.journey)
    expect(theirs.locator("[data-connection]")).to_have_attribute("data-status", "live")

    details = mine.get_by_role(
        "button", name=f"Edit the description and customer goal of phase {awareness.name}"
    )
    details.focus()
    mine.keyboard.press("Enter")
    panel = mine.get_by_role("complementary", name="Details")
    expect(panel.get_by_role("heading", name="Phase")).to_be_visible()
    panel.get_by_label("Description").fill("They notice they need a bike.")
    panel.get_by_label("Customer goal").fill("Find a bike that fits the commute")
    saves = int(mine.evaluate("document.body.dataset.saves || 0"))
    panel.get_by_role("button", name="Save").click()
    mine.wait_for_function(f"() => Number(document.body.dataset.saves || 0) > {saves}")
    expect(details).to_be_focused()

    awareness.refresh_from_db()
    assert awareness.description == "They notice they need a bike."
    assert awareness.customer_goal == "Find a bike that fits the commute"
    # The viewer's header follows live, and shows them read-only in the same panel.
    head = theirs.locator(f'.phase-head[data-phase="{awareness.pk}"]')
    expect(head).to_have_attribute("title", "Find a bike that fits the commute")
    theirs.get_by_role(
        "button", name=f"Description and customer goal of phase {awareness.name}"
    ).click()
    facts = theirs.get_by_role("complementary", name="Details")
    expect(facts).to_contain_text("They notice they need a bike.")
    expect(facts.get_by_role("textbox")).to_have_count(0)
