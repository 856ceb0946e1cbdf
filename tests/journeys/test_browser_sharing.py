"""Sharing and presenting, in real Chromium on a real ASGI server: a CX lead shares the map
with someone who has no account, the visitor follows changes live until the link is turned off,
and anyone presents the map one phase at a time from the keyboard."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from journeys import services
from journeys.models import ShareLink
from tests.journeys.test_browser_editor import cell, open_editor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_visitor_reads_a_shared_map_live_until_the_link_is_revoked(
    page_for, editor, five_phase_map
):
    journey = five_phase_map.journey
    awareness, actions = five_phase_map.phases[0], five_phase_map.actions
    five_phase_map.add_card(editor, "Sees an advert")
    lead = page_for(editor)
    open_editor(lead, journey)
    lead.click('[data-action="share"]')
    panel = lead.locator("[data-share-panel]")
    panel.locator("input[name=label]").fill("Agency")
    panel.locator("button", has_text="Create read-only link").click()
    expect(panel.locator(".share-link")).to_have_count(1)
    expect(panel.locator(".share-link")).to_contain_text("Agency")
    expect(panel.locator(".share-link .badge")).to_have_text("Active")
    url = panel.locator(".share-url").input_value()
    assert url.endswith(f"/s/{ShareLink.objects.get().token}/")

    visitor = page_for(None)  # no account, no session
    visitor.goto(url)
    visitor.wait_for_selector("body[data-editor-ready=true]")
    expect(visitor.locator(".badge.shared")).to_have_text("Shared view")
    expect(cell(visitor, awareness, actions).locator(".item.card .text")).to_have_text(
        "Sees an advert"
    )
    expect(visitor.locator(".add-item")).to_have_count(0)
    expect(visitor.locator('[data-action="share"]')).to_have_count(0)
    expect(visitor.locator("[data-connection]")).to_have_attribute("data-status", "live")

    # A change on the map reaches the visitor without a reload.
    cell(lead, awareness, actions).locator(".add-item").click()
    lead.keyboard.type("Asks a friend")
    lead.keyboard.press("Enter")
    expect(cell(visitor, awareness, actions).locator(".item.card .text")).to_have_text(
        ["Sees an advert", "Asks a friend"]
    )

    # Turning the link off: the visitor's page says so at once.
    lead.once("dialog", lambda dialog: dialog.accept())
    panel.locator("button", has_text="Revoke").click()
    expect(panel.locator(".share-link .badge")).to_have_text("Revoked")
    expect(visitor.locator("h1")).to_have_text("This link is no longer valid")
    expect(visitor.locator("body")).not_to_contain_text("Asks a friend")
    visitor.reload()
    expect(visitor.locator("h1")).to_have_text("This link is no longer valid")


def test_a_viewer_presents_the_map_one_phase_at_a_time(page_for, viewer, editor, five_phase_map):
    journey = five_phase_map.journey
    five_phase_map.add_card(editor, "Compares prices", phase=five_phase_map.phases[1])
    services.emotion_create(
        actor=editor, journey_id=journey.pk, phase_id=five_phase_map.phases[1].pk, score=-2
    )
    page = page_for(viewer)
    open_editor(page, journey)
    page.click('[data-action="present"]')
    show = page.locator("[data-presentation]")
    expect(show).to_be_visible()
    expect(show.locator("h2")).to_have_text("Awareness")
    expect(show.locator(".present-count")).to_have_text("Phase 1 of 5")
    page.keyboard.press("ArrowRight")
    expect(show.locator("h2")).to_have_text("Consideration")
    expect(show.locator(".present-lane")).to_contain_text("Compares prices")
    expect(show.locator(".present-emotions")).to_contain_text("Team estimate -2")
    page.keyboard.press("End")
    expect(show.locator(".present-count")).to_have_text("Phase 5 of 5")
    page.keyboard.press("ArrowRight")  # already at the last phase
    expect(show.locator(".present-count")).to_have_text("Phase 5 of 5")
    page.keyboard.press("Home")
    expect(show.locator("h2")).to_have_text("Awareness")
    page.keyboard.press("Escape")
    expect(show).to_be_hidden()
    expect(page.locator('[data-action="present"]')).to_be_focused()


def test_a_visitor_reads_a_shared_dashboard_built_from_survey_data(page_for, editor, surveyed_map):
    the_map, _, _ = surveyed_map
    link = services.share_link_create(
        actor=editor, journey_id=the_map.journey.pk, target="dashboard", label="Board"
    )
    visitor = page_for(None)
    visitor.goto(f"/s/{link.token}/")
    visitor.wait_for_selector("body[data-dashboard-ready=true]")
    expect(visitor.locator(".badge.shared")).to_have_text("Shared view")
    expect(visitor.locator('[data-value="nps"]')).to_have_text("+50")
    expect(visitor.locator("canvas[data-chart]")).to_have_count(4)
    expect(visitor.locator("[data-comments]")).to_have_count(0)  # customers' words stay inside
    expect(visitor.locator("[data-connection]")).to_have_attribute("data-status", "live")
    services.share_link_revoke(actor=editor, share_link_id=link.pk)
    if not settings.REDIS_URL:
        # The in-memory channel layer cannot reach the server process from this one: the
        # visitor finds out on the next load. On Redis the page is cut off (close code 4410)
        # and reloads itself, and reloading here as well would race that navigation.
        visitor.reload()
    expect(visitor.locator("h1")).to_have_text("This link is no longer valid")
