"""Exports and imports in real Chromium: a viewer takes the map away in every format, an
editor brings a file back in as a new map."""

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect
from pypdf import PdfReader

from journeys.mapfile.exports import FORMATS
from journeys.models import Card, Journey
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
# Where to keep screenshots for a person to look at (unset: none are kept).
SHOTS = os.environ.get("JOURNEYBOARD_SCREENSHOTS")


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def demo_map():
    call_command("seed_demo", verbosity=0)
    return Journey.objects.get()


def test_a_viewer_downloads_the_map_from_the_export_menu(page_for):
    journey = demo_map()
    viewer = UserFactory(username="vic-viewer", role="viewer")
    page = page_for(viewer)
    page.goto(f"/journeys/{journey.pk}/")
    page.wait_for_selector("body[data-editor-ready=true]")
    menu = page.locator("details.export-menu")
    expect(menu.locator("summary")).to_have_text("⬇ Export")
    menu.locator("summary").click()
    links = menu.locator("a[role=menuitem]")
    expect(links).to_have_count(len(FORMATS))
    expect(links).to_have_text([f.label for f in FORMATS.values()])
    shot(page, "export-menu")
    with page.expect_download() as download:
        links.filter(has_text="PDF").click()
    pdf = download.value
    assert pdf.suggested_filename.endswith(".pdf")
    reader = PdfReader(io.BytesIO(Path(pdf.path()).read_bytes()))
    assert len(reader.pages) == 1  # five phases fit one landscape page
    first = reader.pages[0].extract_text()
    assert journey.title in first and "Services" in first and "page 1 of 1" in first


def test_the_svg_export_shows_the_whole_map(page_for):
    journey = demo_map()
    viewer = UserFactory(username="vic-viewer", role="viewer")
    page = page_for(viewer)
    response = page.request.get(f"/api/journeys/{journey.pk}/export/?format=svg")
    assert response.ok
    page.set_content(f"<body style='margin:0'>{response.text()}</body>")
    svg = page.locator("svg")
    box = svg.bounding_box()
    assert box["width"] > 1000 and box["height"] > 500
    expect(page.locator("svg polyline.emotion-team")).to_have_count(1)
    expect(page.locator("svg polyline.emotion-voc")).to_have_count(1)
    shot(page, "export-svg")


def test_an_editor_imports_a_map_file_from_the_journey_list(page_for, tmp_path):
    journey = demo_map()
    editor = UserFactory(username="ed-editor", role="editor")
    page = page_for(editor)
    xlsx = page.request.get(f"/api/journeys/{journey.pk}/export/?format=xlsx")
    path = tmp_path / "customer-map.xlsx"
    path.write_bytes(xlsx.body())
    page.goto("/")
    page.set_input_files("form.import-map input[type=file]", str(path))
    shot(page, "import-form")
    page.click("text=Import as a new journey")
    page.wait_for_selector("body[data-editor-ready=true]")
    imported = Journey.objects.order_by("-pk").first()
    assert imported.pk != journey.pk
    assert page.url.endswith(f"/journeys/{imported.pk}/")
    expect(page.locator(".flash-success")).to_contain_text("Imported")
    expect(page.locator(".item.card")).to_have_count(Card.objects.filter(journey=imported).count())
    assert (
        Card.objects.filter(journey=imported).count()
        == Card.objects.filter(journey=journey).count()
    )
    shot(page, "imported-map")
