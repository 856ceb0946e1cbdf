"""The grid editor in real Chromium: a CX editor builds a map, a viewer only reads it."""

import re

import pytest
from playwright.sync_api import expect

from journeys import services
from journeys.models import Card, Emotion, Journey, Lane, Opportunity
from tests.conftest import MapFixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def open_editor(page, journey):
    page.goto(f"/journeys/{journey.pk}/")
    page.wait_for_selector("body[data-editor-ready=true]")


def cell(page, phase, lane):
    return page.locator(f'.cell[data-phase="{phase.pk}"][data-lane="{lane.pk}"]')


def saves(page) -> int:
    return int(page.evaluate("document.body.dataset.saves || 0"))


def wait_for_save(page, before: int) -> None:
    """Wait until the editor has finished (saved or refused) a change made after ``before``."""
    # A function, not an expression: Playwright evaluates an expression with eval, which the
    # Content-Security-Policy refuses.
    page.wait_for_function(f"() => Number(document.body.dataset.saves || 0) > {before}")


def drag(page, source, target):
    """Drag with real mouse moves (SortableJS runs in fallback mode, on pointer events).

    Only once the change before it is saved: its answer redraws the item, and a drag begun on
    the element that redraw replaces never lands (and its save would be counted as the move's).
    """
    expect(page.locator("[data-save-state]")).to_have_text("All changes saved")
    # And once the page's own requests (the unmatched count, metrics) are answered: what they
    # draw may move the grid between measuring the boxes and moving the mouse.
    page.wait_for_load_state("networkidle")
    before = saves(page)
    start, end = source.bounding_box(), target.bounding_box()
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 8, y + 4, steps=4)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 12, steps=20)
    page.mouse.up()
    wait_for_save(page, before)


def signed_in_with_a_password(page_for, user, settings):
    """A page signed in through the login form, as a person does (not a forced session)."""
    # The server process checks passwords with Django's real hashers, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    user.set_password("s3cret-pass")
    user.save()
    page = page_for(None)
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "s3cret-pass")
    page.click("button[type=submit]")
    return page


def test_an_editor_builds_a_map_and_finds_it_all_after_a_reload(page_for, editor, settings):
    page = signed_in_with_a_password(page_for, editor, settings)
    page.fill("input[name=title]", "Buying a bike online")
    page.select_option("select[name=template]", "five_phase")
    page.click("text=Create journey")
    page.wait_for_selector("body[data-editor-ready=true]")
    journey = Journey.objects.get(title="Buying a bike online")
    grid = MapFixture(journey)
    awareness, consideration = grid.phase("Awareness"), grid.phase("Consideration")

    # Add a card, then edit it in place.
    cell(page, awareness, grid.actions).locator(".add-item").click()
    page.keyboard.type("Sees an advert")
    page.keyboard.press("Enter")
    card = cell(page, awareness, grid.actions).locator(".item.card")
    expect(card.locator(".text")).to_have_text("Sees an advert")
    card.dblclick()
    page.keyboard.press("Control+A")
    page.keyboard.type("Sees an advert on Instagram")
    page.keyboard.press("Enter")
    expect(card.locator(".text")).to_have_text("Sees an advert on Instagram")

    # Drag it to the next phase.
    drag(page, card, cell(page, consideration, grid.actions).locator(".items"))
    expect(cell(page, consideration, grid.actions).locator(".item.card .text")).to_have_text(
        "Sees an advert on Instagram"
    )
    expect(cell(page, awareness, grid.actions).locator(".item.card")).to_have_count(0)

    # Set the emotion of Awareness by clicking high in the emotions lane: delighted (+3).
    feelings = grid.lane(Lane.Kind.EMOTIONS)
    box = cell(page, awareness, feelings).bounding_box()
    page.mouse.click(box["x"] + 40, box["y"] + 26)
    point = cell(page, awareness, feelings).locator('[role="slider"]')
    expect(point).to_have_attribute("aria-valuenow", "3")
    point.focus()
    page.keyboard.press("ArrowDown")
    expect(point).to_have_attribute("aria-valuetext", re.compile(r"\(\+2\)"))

    # Add an opportunity, undo it, redo it.
    opportunities = grid.lane(Lane.Kind.OPPORTUNITIES)
    cell(page, consideration, opportunities).locator(".add-item").click()
    page.keyboard.type("Retarget visitors who compared bikes")
    page.keyboard.press("Enter")
    item = page.locator(".item.opportunity")
    expect(item).to_have_count(1)
    page.locator("[data-action=undo]").click()
    expect(item).to_have_count(0)
    page.keyboard.press("Control+Shift+Z")
    expect(item).to_have_count(1)
    expect(item.locator(".op-title")).to_have_text("Retarget visitors who compared bikes")

    page.reload()
    page.wait_for_selector("body[data-editor-ready=true]")
    expect(cell(page, consideration, grid.actions).locator(".item.card .text")).to_have_text(
        "Sees an advert on Instagram"
    )
    expect(cell(page, awareness, feelings).locator('[role="slider"]')).to_have_attribute(
        "aria-valuenow", "2"
    )
    expect(page.locator(".item.opportunity .op-title")).to_have_text(
        "Retarget visitors who compared bikes"
    )
    saved_card = Card.objects.get(journey=journey)
    assert (saved_card.text, saved_card.phase_id) == (
        "Sees an advert on Instagram",
        consideration.pk,
    )
    assert Emotion.objects.get(journey=journey, phase=awareness).score == 2
    assert Opportunity.objects.filter(journey=journey).count() == 1


def test_an_opportunity_is_edited_in_its_side_panel(page_for, editor, five_phase_map):
    opportunity = services.opportunity_create(
        actor=editor,
        journey_id=five_phase_map.journey.pk,
        phase_id=five_phase_map.phases[4].pk,
        title="Ticket updates by email",
    )
    page = page_for(editor)
    open_editor(page, five_phase_map.journey)
    page.locator(".item.opportunity").click()
    panel = page.locator("[data-side-panel]")
    panel.locator("select[name=impact]").select_option("5")
    panel.locator("select[name=effort]").select_option("1")
    panel.locator("select[name=status]").select_option("in_progress")
    panel.locator("select[name=owner]").select_option(str(editor.pk))
    panel.locator("input[name=due_date]").fill("2027-03-31")
    panel.locator("input[name=kpi]").fill("CSAT")
    panel.locator("input[name=target]").fill("85%")
    panel.locator("button[type=submit]").click()
    expect(page.locator(".item.opportunity")).to_contain_text("high priority")
    opportunity.refresh_from_db()
    assert (opportunity.impact, opportunity.effort, opportunity.status) == (5, 1, "in_progress")
    assert (opportunity.owner, str(opportunity.due_date), opportunity.kpi, opportunity.target) == (
        editor,
        "2027-03-31",
        "CSAT",
        "85%",
    )


def test_a_viewer_sees_no_edit_controls_and_the_api_refuses_their_writes(
    page_for, viewer, editor, five_phase_map
):
    card = five_phase_map.add_card(editor, "Asks a friend")
    page = page_for(viewer)
    open_editor(page, five_phase_map.journey)

    expect(page.locator(".item.card .text")).to_have_text("Asks a friend")
    expect(page.locator(".badge.readonly")).to_be_visible()
    for control in (
        ".add-item",
        ".drag-handle",
        ".delete",
        ".delete-structure",
        ".add-phase",
        ".add-lane",
        "[data-action=undo]",
        ".persona-switch",
        "[role=slider]",
    ):
        expect(page.locator(control)).to_have_count(0)
    page.locator(".item.card").dblclick()
    expect(page.locator(".item textarea")).to_have_count(0)

    status = page.evaluate(
        """async (id) => {
            const token = document.querySelector('meta[name="csrf-token"]').content;
            const response = await fetch(`/api/cards/${id}/`, {
                method: "PATCH", credentials: "same-origin",
                headers: {"Content-Type": "application/json", "X-CSRFToken": token},
                body: JSON.stringify({text: "hacked", version: 1}),
            });
            return response.status;
        }""",
        card.pk,
    )
    assert status == 403
    card.refresh_from_db()
    assert card.text == "Asks a friend"


def test_card_text_that_looks_like_html_shows_literally_and_runs_nothing(
    page_for, editor, five_phase_map
):
    five_phase_map.add_card(editor, "<img src=x onerror=alert(1)>")
    page = page_for(editor)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_editor(page, five_phase_map.journey)
    expect(page.locator(".item.card .text")).to_have_text("<img src=x onerror=alert(1)>")
    expect(page.locator("#journey-grid img")).to_have_count(0)
    page.wait_for_timeout(300)
    assert dialogs == []


def test_a_refused_save_shows_why_and_returns_to_the_servers_map(
    page_for, editor, other_editor, five_phase_map
):
    card = five_phase_map.add_card(editor, "Asks a friend")
    page = page_for(editor)
    open_editor(page, five_phase_map.journey)
    page.locator(".item.card").dblclick()  # this user starts from version 1…
    # … and a colleague saves first (even if it reaches this page live, the edit began earlier).
    services.card_update(
        actor=other_editor, card_id=card.pk, version=1, changes={"text": "Asks two friends"}
    )
    page.keyboard.press("Control+A")
    page.keyboard.type("Asks nobody")
    page.keyboard.press("Enter")

    colleague = other_editor.get_full_name()
    expect(page.locator(".toast.error")).to_contain_text(f"changed by {colleague}")
    expect(page.locator(".item.card .text")).to_have_text("Asks two friends")
    expect(page.locator("[data-save-state]")).to_have_text("Not saved")
    card.refresh_from_db()
    assert card.text == "Asks two friends"


def test_the_keyboard_moves_between_cells_adds_and_cancels(page_for, editor, five_phase_map):
    page = page_for(editor)
    open_editor(page, five_phase_map.journey)
    first = cell(page, five_phase_map.phases[0], five_phase_map.actions)
    first.focus()
    page.keyboard.press("ArrowRight")
    second = cell(page, five_phase_map.phases[1], five_phase_map.actions)
    expect(second).to_be_focused()
    expect(second).to_have_attribute("tabindex", "0")
    page.keyboard.press("Enter")
    page.keyboard.type("Compares prices")
    page.keyboard.press("Escape")
    expect(second.locator(".item")).to_have_count(0)
    page.keyboard.press("Enter")
    page.keyboard.type("Compares prices")
    page.keyboard.press("Enter")
    expect(second.locator(".item.card .text")).to_have_text("Compares prices")
    page.keyboard.press("ArrowDown")
    thoughts = cell(page, five_phase_map.phases[1], five_phase_map.lane(Lane.Kind.TOUCHPOINTS))
    expect(thoughts).to_be_focused()
    assert Card.objects.filter(text="Compares prices", phase=five_phase_map.phases[1]).exists()


def test_phases_are_added_renamed_and_a_non_empty_one_is_deleted_after_asking(
    page_for, editor, five_phase_map
):
    five_phase_map.add_card(editor, "Submits a ticket", phase=five_phase_map.phase("Services"))
    page = page_for(editor)
    open_editor(page, five_phase_map.journey)
    page.click(".add-phase")
    new_phase = page.locator(".phase-head").last
    expect(new_phase.locator(".name")).to_have_text("New phase")
    new_phase.locator(".name").click()
    page.keyboard.press("Control+A")
    page.keyboard.type("Advocacy")
    page.keyboard.press("Enter")
    expect(page.locator(".phase-head .name").last).to_have_text("Advocacy")

    services_head = page.locator(".phase-head", has_text="Services")
    services_head.locator(".delete-structure").click()
    question = page.get_by_role("alertdialog")
    expect(question).to_contain_text("1 card")
    question.get_by_role("button", name="Delete").click()
    expect(page.locator(".phase-head", has_text="Services")).to_have_count(0)
    names = list(five_phase_map.journey.phases.order_by("position").values_list("name", flat=True))
    assert names == ["Awareness", "Consideration", "Conversion", "Post-Purchase", "Advocacy"]
    assert not Card.objects.filter(text="Submits a ticket").exists()


def test_the_persona_panel_shows_and_switches_the_maps_persona(page_for, editor, five_phase_map):
    from tests.factories import PersonaFactory

    olivia, sam = (
        PersonaFactory(name="Olivia", quote="No time to chase."),
        PersonaFactory(name="Sam"),
    )
    Journey.objects.filter(pk=five_phase_map.journey.pk).update(persona=olivia)
    page = page_for(editor)
    open_editor(page, five_phase_map.journey)
    panel = page.locator("[data-persona-panel]")
    expect(panel).to_contain_text("Olivia")
    expect(panel).to_contain_text("No time to chase.")
    panel.locator(".persona-switch").select_option(str(sam.pk))
    expect(panel.locator("h2").first).to_have_text("Sam")
    five_phase_map.journey.refresh_from_db()
    assert five_phase_map.journey.persona == sam


def test_touchpoints_are_added_and_edited_in_their_panel(page_for, editor, five_phase_map):
    page = page_for(editor)
    open_editor(page, five_phase_map.journey)
    touchpoints_lane = five_phase_map.lane(Lane.Kind.TOUCHPOINTS)
    target = cell(page, five_phase_map.phase("Conversion"), touchpoints_lane)
    target.locator(".add-item").click()
    page.keyboard.type("Contract e-signature")
    page.keyboard.press("Enter")
    item = target.locator(".item.touchpoint")
    expect(item.locator(".tp-name")).to_contain_text("Contract e-signature")

    item.click()
    panel = page.locator("[data-side-panel]")
    panel.locator("select[name=channel]").select_option("email")
    panel.locator("select[name=department]").select_option("sales")
    panel.locator("input[name=is_moment_that_matters]").check()
    panel.locator("button[type=submit]").click()
    expect(item).to_have_class(re.compile(r"\bmtm\b"))
    expect(item.locator(".tp-meta")).to_have_text("Email · Sales")
    from touchpoints.models import Touchpoint

    touchpoint = Touchpoint.objects.get()
    assert (touchpoint.channel, touchpoint.department, touchpoint.is_moment_that_matters) == (
        "email",
        "sales",
        True,
    )
    assert touchpoint.code == "conversion-contract-e-signature"


def test_phases_and_lanes_reorder_by_dragging_and_a_card_is_deleted(
    page_for, editor, five_phase_map
):
    card = five_phase_map.add_card(editor, "Asks a friend")
    page = page_for(editor)
    open_editor(page, five_phase_map.journey)

    # Conversion is in view at 1280 px (Services sits under the persona panel until scrolled).
    conversion = page.locator(".phase-head", has_text="Conversion")
    drag(
        page, conversion.locator(".drag-handle"), page.locator(".phase-head", has_text="Awareness")
    )
    expect(page.locator(".phase-head .name").first).to_have_text("Conversion")

    feelings = page.locator(".lane-head", has_text="Feelings")
    drag(page, feelings.locator(".lane-drag"), page.locator(".lane-head", has_text="Actions"))
    expect(page.locator(".lane-head .name").first).to_have_text("Feelings")

    page.locator(".item.card").hover()
    page.locator(".item.card .delete").click()
    expect(page.locator(".item.card")).to_have_count(0)
    assert not Card.objects.filter(pk=card.pk).exists()
    phases = list(five_phase_map.journey.phases.order_by("position").values_list("name", flat=True))
    lanes = list(five_phase_map.journey.lanes.order_by("position").values_list("name", flat=True))
    assert (phases[0], lanes[0]) == ("Conversion", "Feelings")


def test_an_emotion_point_is_dragged_to_a_new_score(page_for, editor, five_phase_map):
    services.emotion_create(
        actor=editor,
        journey_id=five_phase_map.journey.pk,
        phase_id=five_phase_map.phases[1].pk,
        score=0,
    )
    page = page_for(editor)
    open_editor(page, five_phase_map.journey)
    feelings = five_phase_map.lane(Lane.Kind.EMOTIONS)
    point = cell(page, five_phase_map.phases[1], feelings).locator('[role="slider"]')
    box = point.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y + 60, steps=8)  # well down the scale
    page.mouse.up()
    expect(point).not_to_have_attribute("aria-valuenow", "0")
    page.wait_for_function(
        "() => document.querySelector('[data-save-state]').textContent === 'All changes saved'"
    )
    score = Emotion.objects.get(phase=five_phase_map.phases[1]).score
    assert score < 0
    expect(
        cell(page, five_phase_map.phases[1], feelings).locator('[role="slider"]')
    ).to_have_attribute("aria-valuenow", str(score))


def test_a_map_with_two_opportunities_lanes_shows_each_opportunity_once_in_its_own(
    page_for, editor, five_phase_map
):
    journey, awareness = five_phase_map.journey, five_phase_map.phases[0]
    ideas = five_phase_map.lane(Lane.Kind.OPPORTUNITIES)
    quick_wins = services.lane_create(
        actor=editor, journey_id=journey.pk, name="Quick wins", kind=Lane.Kind.OPPORTUNITIES
    )
    services.opportunity_create(
        actor=editor, journey_id=journey.pk, phase_id=awareness.pk, title="Loyalty programme"
    )
    page = page_for(editor)
    open_editor(page, journey)
    # An opportunity that names no lane is in the map's first Opportunities lane, only there.
    expect(cell(page, awareness, ideas).locator(".item.opportunity")).to_have_text(
        re.compile("Loyalty programme")
    )
    expect(cell(page, awareness, quick_wins).locator(".item.opportunity")).to_have_count(0)

    # One added in the second lane's cell goes into that lane, and shows there alone.
    cell(page, awareness, quick_wins).locator(".add-item").click()
    page.keyboard.type("Free test rides")
    page.keyboard.press("Enter")
    added = cell(page, awareness, quick_wins).locator(".item.opportunity")
    expect(added).to_have_count(1)
    expect(added.locator(".op-title")).to_have_text("Free test rides")
    expect(page.locator(".item.opportunity", has_text="Free test rides")).to_have_count(1)
    expect(page.locator(".item.opportunity", has_text="Loyalty programme")).to_have_count(1)
    expect(page.locator("[data-save-state]")).to_have_text("All changes saved")
    assert Opportunity.objects.get(title="Free test rides").lane_id == quick_wins.pk

    # After a reload, each is still once, in its own lane.
    open_editor(page, journey)
    expect(cell(page, awareness, quick_wins).locator(".op-title")).to_have_text("Free test rides")
    expect(cell(page, awareness, ideas).locator(".op-title")).to_have_text("Loyalty programme")
