"""The portfolio in real Chromium at a laptop's 1280×800: every column can be read, the last
one included — and on a narrower screen the table scrolls within its box."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from journeys import services
from personas.models import Persona

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

_EDGES = """(box) => {
  const last = box.querySelector('thead th:last-child').getBoundingClientRect();
  const frame = box.getBoundingClientRect();
  return {lastLeft: last.left, lastRight: last.right, boxLeft: frame.left, boxRight: frame.right,
          scrollWidth: box.scrollWidth, clientWidth: box.clientWidth,
          viewport: document.documentElement.clientWidth,
          pageWidth: document.documentElement.scrollWidth};
}"""


@pytest.fixture
def portfolio_of_real_maps(editor):
    """The demo map with its 216 survey answers (sparkline, n, trends), beside a map with a
    long title and a persona with a long name — what stretched the columns."""
    call_command("seed_demo", verbosity=0)
    persona = Persona.objects.create(name="Olivia Operations, head of procurement")
    services.journey_create(
        actor=editor,
        title="Onboarding a new enterprise customer across every region and channel",
        template="five_phase",
        persona_id=persona.pk,
    )


def test_the_last_column_of_the_portfolio_shows_at_1280_px(
    page_for, viewer, portfolio_of_real_maps
):
    page = page_for(viewer)
    page.goto("/dashboards/?window=90")
    box = page.locator("[data-portfolio-scroll]")
    expect(box.locator("tbody tr")).to_have_count(2)
    expect(box.locator("thead th").last).to_contain_text("Moments below target")
    edges = box.evaluate(_EDGES)
    assert edges["viewport"] == 1280
    # The whole table is in its box, the box in the page: nothing to scroll, nothing cut.
    assert edges["scrollWidth"] <= edges["clientWidth"], edges
    assert edges["lastRight"] <= edges["boxRight"] <= edges["viewport"], edges
    assert edges["pageWidth"] <= edges["viewport"], edges
    page.screenshot(path="/tmp/exports-portfolio-1280.png")


def test_on_a_narrow_screen_the_portfolio_scrolls_within_its_box_to_the_last_column(
    page_for, viewer, portfolio_of_real_maps
):
    page = page_for(viewer)
    page.set_viewport_size({"width": 900, "height": 800})
    page.goto("/dashboards/?window=90")
    box = page.locator("[data-portfolio-scroll]")
    expect(box.locator("tbody tr")).to_have_count(2)
    before = box.evaluate(_EDGES)
    assert before["scrollWidth"] > before["clientWidth"]  # too wide: the box scrolls…
    assert before["pageWidth"] <= before["viewport"], before  # …not the page
    assert before["lastRight"] > before["boxRight"]
    # A keyboard user reaches the box and scrolls it with the arrow keys.
    expect(box).to_have_attribute("tabindex", "0")
    box.focus()
    for _ in range(40):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "(box) => box.scrollLeft + box.clientWidth >= box.scrollWidth - 1",
        arg=box.element_handle(),
    )
    after = box.evaluate(_EDGES)
    assert after["boxLeft"] <= after["lastLeft"] and after["lastRight"] <= after["boxRight"] + 1
