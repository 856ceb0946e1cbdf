"""The pages around the editor, in real Chromium: the journey list, the persona library, and
the demo map's screenshot for the README."""

import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from PIL import Image
from playwright.sync_api import expect

from journeys import services
from journeys.models import Journey
from personas.models import Persona
from tests.factories import JourneyFactory, PersonaFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_the_demo_map_renders_everything_and_its_screenshot_goes_in_the_docs(page_for):
    call_command("seed_demo", verbosity=0)
    from django.contrib.auth import get_user_model

    editor = get_user_model().objects.get(username="editor")
    journey = Journey.objects.get()
    page = page_for(editor)
    page.goto(f"/journeys/{journey.pk}/")
    page.wait_for_selector("body[data-editor-ready=true]")

    expect(page.locator(".phase-head .name")).to_have_text(
        ["Awareness", "Consideration", "Conversion", "Post-Purchase", "Services"]
    )
    expect(page.locator(".item.card", has_text="Hard to use")).to_have_count(1)
    expect(page.locator(".item.touchpoint")).to_have_count(9)
    expect(page.locator(".item.touchpoint.mtm")).to_have_count(3)
    expect(page.locator(".emotion-point")).to_have_count(5)
    expect(page.locator(".curve path:not(.voc)")).to_have_count(1)
    # The demo survey: the customers' curve beside the team's, and NPS on every touchpoint.
    expect(page.locator(".curve path.voc")).to_have_count(1)
    expect(page.locator(".voc-point")).to_have_count(5)
    expect(page.locator('.item.touchpoint [data-metric="nps"]')).to_have_count(9)
    expect(page.locator(".item.opportunity")).to_have_count(3)
    expect(page.locator("[data-persona-panel]")).to_contain_text("Olivia Operations")
    # Wide enough for the whole five-phase map beside the persona panel.
    page.set_viewport_size({"width": 1640, "height": 1000})
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "demo-map.png"))
    assert (DOCS / "demo-map.png").stat().st_size > 20_000


def test_a_viewer_filters_the_journey_list(page_for, viewer):
    olivia = PersonaFactory(name="Olivia")
    JourneyFactory(title="Renewing a contract", persona=olivia)
    JourneyFactory(title="Returning a parcel")
    page = page_for(viewer)
    page.goto("/")
    expect(page.locator("table.list tbody tr")).to_have_count(2)
    expect(page.locator("text=New journey")).to_have_count(0)
    page.select_option("select[name=persona]", str(olivia.pk))
    page.click("text=Filter")
    expect(page.locator("table.list tbody tr")).to_have_count(1)
    expect(page.locator("table.list")).to_contain_text("Renewing a contract")
    page.fill("input[name=search]", "parcel")
    page.select_option("select[name=persona]", "")
    page.click("text=Filter")
    expect(page.locator("table.list tbody tr")).to_have_count(1)
    expect(page.locator("table.list")).to_contain_text("Returning a parcel")


def test_an_admin_keeps_the_persona_library(page_for, admin_user):
    page = page_for(admin_user)
    page.goto("/personas/")
    page.click("text=New persona")
    page.fill("input[name=name]", "Priya Procurement")
    page.fill("input[name=role]", "Procurement lead")
    page.fill("input[name=segment]", "Enterprise")
    page.fill("textarea[name=goals]", "Fewer vendors\nClear contracts")
    page.fill("input[name=quote]", "Show me the total cost.")
    page.check("input[name=preferred_channels][value=email]")
    page.click("text=Save persona")
    expect(page.locator("h1")).to_have_text("Priya Procurement")
    expect(page.locator("main")).to_contain_text("Clear contracts")
    priya = Persona.objects.get(name="Priya Procurement")
    assert priya.goals == ["Fewer vendors", "Clear contracts"]

    JourneyFactory(title="Tendering", persona=priya)
    page.click("text=Delete")
    expect(page.locator("main")).to_contain_text("Tendering")
    expect(page.locator("main")).to_contain_text("kept")
    page.click("button:has-text('Delete persona')")
    expect(page.locator(".flash")).to_contain_text("Its maps were kept")
    assert Journey.objects.get(title="Tendering").persona is None


def test_a_viewer_reads_personas_without_edit_controls(page_for, viewer):
    persona = PersonaFactory(name="Olivia", frustrations=["Slow support"])
    page = page_for(viewer)
    page.goto(f"/personas/{persona.pk}/")
    expect(page.locator("main")).to_contain_text("Slow support")
    # (The page says who may edit it — "Only its author or an admin edits this persona" —
    # but offers no Edit control.)
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Edit", exact=True)).to_have_count(0)
    expect(page.locator("a:has-text('Delete')")).to_have_count(0)
    expect(page.locator("text=New persona")).to_have_count(0)
    expect(page.locator("text=Users & roles")).to_have_count(0)


def test_a_persona_photo_shows_to_the_team_and_not_on_a_share_link(page_for, editor):
    image = io.BytesIO()
    Image.new("RGB", (16, 16), "teal").save(image, "PNG")
    pat = PersonaFactory(name="Pat Photo")
    pat.photo.save("pat-photo.png", ContentFile(image.getvalue()))  # where the server reads it
    try:
        journey = services.journey_create(actor=editor, title="Photo map", template="five_phase")
        Journey.objects.filter(pk=journey.pk).update(persona=pat)
        loaded = "img => img.complete && img.naturalWidth"
        page = page_for(editor)
        page.goto(f"/journeys/{journey.pk}/")
        page.wait_for_selector("body[data-editor-ready=true]")
        photo = page.locator("[data-persona-panel] img.avatar")
        expect(photo).to_have_count(1)
        # A function, not an expression: Playwright evaluates that with eval, which the CSP
        # refuses.
        page.wait_for_function(
            f"() => ({loaded})(document.querySelector('[data-persona-panel] img'))"
        )
        page.goto("/personas/")
        assert page.locator("img.avatar").first.evaluate(loaded) == 16

        link = services.share_link_create(actor=editor, journey_id=journey.pk)
        visitor = page_for(None)
        visitor.goto(f"/s/{link.token}/")
        expect(visitor.locator("[data-persona-panel]")).to_contain_text("Pat Photo")
        expect(visitor.locator("img")).to_have_count(0)
        # Nor does the photo's address open for someone without an account.
        assert visitor.request.get(pat.photo.url).status == 403
    finally:
        pat.photo.delete(save=False)
