"""Defects a person tripped over by hand in the editor and the dashboard, each kept as the story
that found it. Geometry is asserted with boxes and elementFromPoint, never with pixels."""

import pytest
from playwright.sync_api import expect

from journeys import services
from journeys.models import Card, Lane, Phase
from journeys.permissions import Role
from tests.factories import UserFactory
from tests.journeys.test_browser_editor import cell, open_editor, saves, wait_for_save
from tests.waiting import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def focused(page, selector: str) -> bool:
    """Whether the focused element matches ``selector``."""
    return page.evaluate("(s) => Boolean(document.activeElement?.matches(s))", selector)


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found, "the element is not on screen"
    return found


def intersects(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def hit_at_centre(page, locator, selector: str) -> bool:
    """Whether the element at ``locator``'s centre is (inside) ``selector``: what a click
    there would reach."""
    b = box(locator)
    return page.evaluate(
        "([x, y, s]) => Boolean(document.elementFromPoint(x, y)?.closest(s))",
        [b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, selector],
    )


def emotions_everywhere(editor, grid, scores) -> None:
    for phase, score in zip(grid.phases, scores, strict=False):
        services.emotion_create(
            actor=editor, journey_id=grid.journey.pk, phase_id=phase.pk, score=score
        )


# --- 1. The emotion slider ------------------------------------------------------------------


def test_a_keyboard_user_steps_the_emotion_slider_without_losing_focus(
    page_for, editor, five_phase_map
):
    page = page_for(editor)
    open_editor(page, five_phase_map.journey)
    awareness = five_phase_map.phases[0]
    point = cell(page, awareness, five_phase_map.lane(Lane.Kind.EMOTIONS)).locator(
        '[role="slider"]'
    )
    point.focus()
    slider = f'[role="slider"][data-phase="{awareness.pk}"]'
    for expected in ("1", "2", "3"):
        before = saves(page)
        page.keyboard.press("ArrowUp")
        wait_for_save(page, before)
        expect(point).to_have_attribute("aria-valuenow", expected)
        # Still on the slider once the save has redrawn the lane: the next key steps again.
        assert focused(page, slider), f"focus left the slider after stepping to {expected}"
    page.keyboard.press("End")
    expect(point).to_have_attribute("aria-valuenow", "-3")
    assert focused(page, slider)

    # After a click on the point (or a drag of it), the arrow keys go on from there.
    page.locator("[data-persona-panel]").click()
    point.click()
    assert focused(page, slider), "a click leaves the slider without the focus"
    before = saves(page)
    page.keyboard.press("ArrowUp")
    wait_for_save(page, before)
    expect(point).to_have_attribute("aria-valuenow", "-2")


# --- 2. Phase and lane headers, and moving a card, by keyboard -------------------------------


def test_a_keyboard_user_renames_moves_and_deletes_phases_and_lanes_from_their_headers(
    page_for, editor, five_phase_map
):
    grid = five_phase_map
    awareness, consideration = grid.phases[0], grid.phases[1]
    actions = grid.actions
    page = page_for(editor)
    open_editor(page, grid.journey)

    # From the first cell, up reaches the phase's header.
    first_lane = grid.lanes[0]
    cell(page, awareness, first_lane).focus()
    page.keyboard.press("ArrowUp")
    assert focused(page, f'.phase-head[data-phase="{awareness.pk}"]')

    # Enter renames it.
    before = saves(page)
    page.keyboard.press("Enter")
    page.keyboard.press("Control+A")
    page.keyboard.type("Noticing")
    page.keyboard.press("Enter")
    wait_for_save(page, before)
    assert Phase.objects.get(pk=awareness.pk).name == "Noticing"
    assert focused(page, f'.phase-head[data-phase="{awareness.pk}"]')

    # Alt+→ moves the phase one place right, and the header keeps the focus.
    before = saves(page)
    page.keyboard.press("Alt+ArrowRight")
    wait_for_save(page, before)
    order = list(Phase.objects.filter(journey=grid.journey).order_by("position"))
    assert [p.pk for p in order[:2]] == [consideration.pk, awareness.pk]
    assert focused(page, f'.phase-head[data-phase="{awareness.pk}"]')

    # Tab reaches the header's own buttons: the drag handle, its details (✎), then the ×,
    # which deletes it.
    page.keyboard.press("Tab")
    assert focused(page, f'.phase-head[data-phase="{awareness.pk}"] .drag-handle')
    page.keyboard.press("Tab")
    assert focused(page, f'.phase-head[data-phase="{awareness.pk}"] .phase-details')
    page.keyboard.press("Tab")
    assert focused(page, f'.phase-head[data-phase="{awareness.pk}"] .delete-structure')
    before = saves(page)
    page.keyboard.press("Enter")
    wait_for_save(page, before)
    assert not Phase.objects.filter(pk=awareness.pk).exists()

    # Lanes: left from the first phase reaches the lane's header; Alt+↓ moves it down.
    cell(page, consideration, actions).focus()
    page.keyboard.press("ArrowLeft")
    assert focused(page, f'.lane-head[data-lane="{actions.pk}"]')
    lanes_before = [lane.pk for lane in grid.lanes]
    before = saves(page)
    page.keyboard.press("Alt+ArrowDown")
    wait_for_save(page, before)
    lanes_after = list(
        Lane.objects.filter(journey=grid.journey).order_by("position").values_list("pk", flat=True)
    )
    at = lanes_before.index(actions.pk)
    assert lanes_after.index(actions.pk) == at + 1
    assert focused(page, f'.lane-head[data-lane="{actions.pk}"]')
    # Right from the header goes back into the grid.
    page.keyboard.press("ArrowRight")
    assert focused(page, f'.cell[data-lane="{actions.pk}"]')


def test_a_keyboard_user_moves_a_card_to_the_next_phase_with_alt_arrows(
    page_for, editor, five_phase_map
):
    grid = five_phase_map
    awareness, consideration = grid.phases[0], grid.phases[1]
    card = grid.add_card(editor, "Sees an advert")
    page = page_for(editor)
    open_editor(page, grid.journey)
    item = page.locator(f'[data-key="card-{card.pk}"]')
    item.focus()

    before = saves(page)
    page.keyboard.press("Alt+ArrowRight")
    wait_for_save(page, before)
    assert Card.objects.get(pk=card.pk).phase_id == consideration.pk
    expect(cell(page, consideration, grid.actions).locator(".item.card")).to_have_count(1)
    # The card keeps the focus in its new cell: another Alt+← brings it back.
    assert focused(page, f'[data-key="card-{card.pk}"]')
    before = saves(page)
    page.keyboard.press("Alt+ArrowLeft")
    wait_for_save(page, before)
    assert Card.objects.get(pk=card.pk).phase_id == awareness.pk
    assert focused(page, f'[data-key="card-{card.pk}"]')
    # At the first phase there is nowhere further left: nothing is saved, nothing breaks.
    page.keyboard.press("Alt+ArrowLeft")
    assert Card.objects.get(pk=card.pk).phase_id == awareness.pk
    assert focused(page, f'[data-key="card-{card.pk}"]')


# --- 3. Emotion faces and the sticky lane header ---------------------------------------------


def test_emotion_faces_slide_under_the_sticky_lane_header_when_the_map_scrolls(
    page_for, editor, five_phase_map
):
    grid = five_phase_map
    emotions_everywhere(editor, grid, [2, -1, 0, 1, -2])
    page = page_for(editor)
    open_editor(page, grid.journey)
    feelings = grid.lane(Lane.Kind.EMOTIONS)
    point = cell(page, grid.phases[0], feelings).locator(".emotion-point")
    head = page.locator(f'.lane-head[data-lane="{feelings.pk}"]')
    # Scroll until the first face sits where the sticky lane header is.
    shift = box(point)["x"] - box(head)["x"] - 20
    page.locator("[data-grid-scroll]").evaluate("(el, dx) => { el.scrollLeft = dx; }", shift)
    wait_until(lambda: intersects(box(point), box(head)), 5, "the face under the lane header")
    assert hit_at_centre(page, point, ".lane-head"), "the face paints over the lane header"


def test_the_furious_face_leaves_its_label_readable(page_for, editor, five_phase_map):
    grid = five_phase_map
    emotions_everywhere(editor, grid, [-3, -2, 0, 2, 3])
    page = page_for(editor)
    open_editor(page, grid.journey)
    feelings = grid.lane(Lane.Kind.EMOTIONS)
    for phase in grid.phases:
        here = cell(page, phase, feelings)
        face, label = here.locator(".emotion-point"), here.locator(".emotion-label")
        label.scroll_into_view_if_needed()
        assert not intersects(box(face), box(label)), f"the face hides its label in {phase.name}"
        assert hit_at_centre(page, label, ".emotion-label")


# --- 5. Toasts --------------------------------------------------------------------------------


def test_a_toast_covers_no_card(page_for, editor, five_phase_map):
    grid = five_phase_map
    card_lanes = [lane for lane in grid.lanes if lane.kind not in ("emotions",)]
    for phase in grid.phases:
        for lane in card_lanes:
            for n in range(3):
                services.card_create(
                    actor=editor,
                    journey_id=grid.journey.pk,
                    phase_id=phase.pk,
                    lane_id=lane.pk,
                    text=f"{phase.name} {lane.name} {n}",
                )
    page = page_for(editor)
    open_editor(page, grid.journey)
    first = grid.phases[0]
    cell(page, first, grid.actions).focus()
    before = saves(page)
    page.keyboard.press("n")
    page.keyboard.type("One more thing")
    page.keyboard.press("Enter")
    wait_for_save(page, before)
    page.keyboard.press("Control+z")
    toast = page.locator(".toast")
    expect(toast).to_have_text("Undid add card.")
    toast_box = box(toast)
    cards = page.locator(".item").all()
    assert len(cards) > 40
    for card in cards:
        found = card.bounding_box()
        if found and found["y"] < 800:
            assert not intersects(toast_box, found), f"the toast covers {card.inner_text()!r}"


# --- 6. The presence badge --------------------------------------------------------------------


def test_a_colleagues_presence_badge_leaves_the_cards_delete_button_clickable(
    page_for, editor, five_phase_map
):
    grid = five_phase_map
    card = grid.add_card(editor, "Sees an advert")
    colleague = UserFactory(role=Role.EDITOR, first_name="Olga", last_name="Berg")
    mine, theirs = page_for(editor), page_for(colleague)
    open_editor(mine, grid.journey)
    open_editor(theirs, grid.journey)
    expect(theirs.locator("[data-connection]")).to_have_attribute("data-status", "live")
    theirs.locator(f'[data-key="card-{card.pk}"]').focus()
    here = cell(mine, grid.phases[0], grid.actions)
    expect(here.locator(".presence-badge")).to_have_text("OB")

    item = mine.locator(f'[data-key="card-{card.pk}"]')
    item.hover()
    delete = item.locator(".delete")
    expect(delete).to_be_visible()
    assert hit_at_centre(mine, delete, ".delete"), "the badge covers the card's ×"
    assert hit_at_centre(mine, here.locator(".add-item"), ".add-item")
    assert not intersects(box(here.locator(".presence-badge")), box(delete))
    delete.click()
    wait_until(lambda: not Card.objects.filter(pk=card.pk).exists(), 10, "the card deleted")


# --- 7. Forms that overflow their panels ------------------------------------------------------

OVERFLOW = """(panel) => {
  const edge = panel.getBoundingClientRect();
  const out = [...panel.querySelectorAll("*")].filter((el) => {
    const b = el.getBoundingClientRect();
    if (!b.width || el.closest(".preview-scroll, .connector-runs-scroll")) return false;
    return b.right > edge.right + 0.5 || b.left < edge.left - 0.5;
  }).map((el) => el.outerHTML.slice(0, 120));
  return { scroll: panel.scrollWidth - panel.clientWidth, out };
}"""


def test_the_survey_data_panel_and_the_import_map_form_fit_their_panels(
    page_for, editor, five_phase_map, tmp_path
):
    page = page_for(editor)
    open_editor(page, five_phase_map.journey)
    page.locator('[data-action="survey-data"]').click()
    panel = page.locator("[data-import-panel]")
    expect(panel).to_be_visible()
    expect(panel.locator(".connectors")).to_be_visible()
    found = panel.evaluate(OVERFLOW)
    assert found == {"scroll": 0, "out": []}, found
    # Every kind of connector form, opened in turn.
    kinds = panel.locator(".connector-add select")
    for kind in kinds.locator("option").all():
        kinds.select_option(kind.get_attribute("value"))
        panel.get_by_role("button", name="Add a survey platform").click()
        expect(panel.locator(".connector-form")).to_be_visible()
        found = panel.evaluate(OVERFLOW)
        assert found == {"scroll": 0, "out": []}, (kind.inner_text(), found)
    # The wizard's mapping step, with a wide file of long column names.
    header = [f"Q{n}: How satisfied were you with the service overall today" for n in range(12)]
    survey = tmp_path / "wide survey export from the contact centre 2024-2025.csv"
    survey.write_text(
        ",".join(["response_id", "submitted_at", *header])
        + "\n"
        + ",".join(["r1", "30/09/2021", *["Very satisfied"] * 12])
        + "\n",
        encoding="utf-8",
    )
    panel.get_by_label("Survey file (CSV or XLSX)").set_input_files(str(survey))
    panel.get_by_role("button", name="Upload and preview").click()
    expect(panel.locator(".preview-table")).to_be_visible(timeout=15_000)
    for _ in range(5):
        found = panel.evaluate(OVERFLOW)
        assert found == {"scroll": 0, "out": []}, found
        following = panel.get_by_role("button", name="Next")
        if not following.count() or not following.first.is_enabled():
            break
        following.first.click()

    page.goto("/")
    aside = page.locator("aside.card-panel")
    expect(aside.locator(".import-map")).to_be_visible()
    found = aside.evaluate(OVERFLOW)
    assert found == {"scroll": 0, "out": []}, found
