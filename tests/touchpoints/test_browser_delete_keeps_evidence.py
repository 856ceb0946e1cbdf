"""In Chromium: deleting a touchpoint that holds survey responses asks first, naming them; undo
brings back the responses' matches, the touchpoint's metrics and its opportunity's link."""

import pytest
from playwright.sync_api import expect

from feedback.models import SurveyResponse
from journeys.models import Opportunity
from tests.touchpoints.test_delete_keeps_evidence import matched_to, survey_map
from touchpoints.models import Touchpoint

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_touchpoint_delete_asks_names_counts_and_undo_brings_everything_back(page_for, editor):
    journey, _, checkout, opportunity = survey_map(editor)
    page = page_for(editor)
    page.goto(f"/journeys/{journey.pk}/")
    page.wait_for_selector("body[data-editor-ready=true]")
    item = page.locator(f'.item.touchpoint[data-id="{checkout.pk}"]')
    expect(item.locator(".voc-metrics .pill").first).to_be_visible()

    item.click()
    page.locator("[data-side-panel] button.danger", has_text="Delete").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("4 survey responses and 1 linked opportunity")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    dialog.get_by_role("button", name="Delete").click()
    expect(page.locator(".item.touchpoint")).to_have_count(0)
    assert not Touchpoint.objects.filter(pk=checkout.pk).exists()
    assert SurveyResponse.objects.filter(unmatched_from="checkout").count() == 4

    page.locator("[data-action=undo]").click()
    back = page.locator(".item.touchpoint")
    expect(back).to_have_count(1)
    again = Touchpoint.objects.get(journey=journey, code="checkout")
    assert matched_to(again.pk) == ["c1", "c2", "c3", "h1"]
    # The metrics return on the map (the voc_updated event), the opportunity's link too.
    expect(back.locator(".voc-metrics .pill").first).to_be_visible()
    assert Opportunity.objects.get(pk=opportunity.pk).touchpoint_id == again.pk


def test_an_opportunity_delete_from_the_side_panel_asks_first(page_for, editor):
    journey, _, _, opportunity = survey_map(editor)
    page = page_for(editor)
    page.goto(f"/journeys/{journey.pk}/")
    page.wait_for_selector("body[data-editor-ready=true]")
    page.locator(f'.item.opportunity[data-id="{opportunity.pk}"]').click()
    page.locator("[data-side-panel] button.danger", has_text="Delete").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("One-click checkout")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert Opportunity.objects.filter(pk=opportunity.pk).exists()

    page.locator(f'.item.opportunity[data-id="{opportunity.pk}"]').click()
    page.locator("[data-side-panel] button.danger", has_text="Delete").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(page.locator(".item.opportunity")).to_have_count(0)
    assert not Opportunity.objects.filter(pk=opportunity.pk).exists()
