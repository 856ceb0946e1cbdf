"""Accessibility measured, in real Chromium: axe-core finds no critical and no serious violation
on the product's pages — the journey list, the editor (as its editor and as a viewer) on the demo
map, the journey dashboard, the portfolio, the persona library and a persona, and the share
pages — and keyboard focus is drawn at a contrast of at least 3:1 against what is behind it."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from journeys import services
from journeys.models import Journey
from personas.models import Persona

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

# Pinned and vendored: tests/vendor/axe-core-4.14.1/README.md says where it came from.
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
IMPACTS = ("critical", "serious", "moderate", "minor")
BLOCKING = ("critical", "serious")

# A function, not an expression: Playwright runs a bare expression through eval.
RUN_AXE = """async () => {
  const results = await axe.run(document, { resultTypes: ["violations"] });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ")),
    why: v.nodes[0].failureSummary,
  }));
}"""

# axe 4.x no longer reports repeated ids (its duplicate-id rules were retired), yet a label's
# `for` or an aria-labelledby still points at the first one only: the test checks them itself.
DUPLICATE_IDS = """() => {
  const seen = new Map();
  for (const el of document.querySelectorAll("[id]")) seen.set(el.id, (seen.get(el.id) || 0) + 1);
  const repeated = [...seen].filter(([, n]) => n > 1).map(([id, n]) => `#${id} ×${n}`);
  return repeated.length ? [{
    id: "duplicate-id", impact: "serious", help: "ids must be unique",
    nodes: repeated, why: `Repeated ids: ${repeated.join(", ")}`,
  }] : [];
}"""


@pytest.fixture
def demo(chromium, web):
    """The demo map (cards, touchpoints with survey metrics, emotions, opportunities, a
    persona) and share links to its map and its dashboard."""
    call_command("seed_demo", verbosity=0)
    users = get_user_model().objects
    journey = Journey.objects.get()
    admin = users.get(username="admin")
    links = {
        target: services.share_link_create(actor=admin, journey_id=journey.pk, target=target)
        for target in ("map", "dashboard")
    }
    return {
        "journey": journey,
        "persona": Persona.objects.order_by("pk").first(),
        "editor": users.get(username="editor"),
        "viewer": users.get(username="viewer"),
        **links,
    }


@pytest.fixture
def axe_page_for(chromium, web):
    """A tab for the given user (None: a visitor) where axe can be injected.

    The product's strict CSP refuses any script it did not serve, axe included, so these
    contexts — and only these — bypass it; tests/test_browser_content_security_policy.py checks
    the policy itself."""
    contexts, errors = [], []

    def open_page(user):
        context = chromium.new_context(
            viewport={"width": 1280, "height": 800}, base_url=web.url, bypass_csp=True
        )
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME]
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": web.url}]
            )
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        contexts.append(context)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def axe_violations(page, path: str, ready: str | None = None) -> list[dict]:
    """Open the page, wait until its scripts have drawn it, and return axe's violations."""
    answer = page.goto(path)
    assert answer.ok, (path, answer.status)
    page.wait_for_load_state("networkidle")
    if ready:
        page.wait_for_selector(ready)
    return axe_now(page)


def axe_now(page) -> list[dict]:
    """axe's violations on the page as it is now (axe injected once per document)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE) + page.evaluate(DUPLICATE_IDS)


def editor_panels(page) -> dict[str, list[dict]]:
    """axe on the editor's panels and dialogs, each opened as an editor opens it."""
    measured = {}
    page.locator(".item.touchpoint").first.click()
    page.wait_for_selector("[data-side-panel]:not([hidden]) .voice")
    measured["editor, touchpoint details"] = axe_now(page)
    page.locator(".item.opportunity").first.click()
    page.wait_for_selector("[data-side-panel]:not([hidden]) select[name=impact]")
    measured["editor, opportunity details"] = axe_now(page)
    page.locator("[data-side-panel] button.danger", has_text="Delete").click()
    page.get_by_role("alertdialog").wait_for()
    measured["editor, delete confirmation"] = axe_now(page)
    page.keyboard.press("Escape")
    page.get_by_role("alertdialog").wait_for(state="detached")
    page.click('[data-action="share"]')
    page.wait_for_selector(".share-links li")
    measured["editor, share panel"] = axe_now(page)
    page.click('[data-action="survey-data"]')
    page.wait_for_selector("[data-import-panel]:not([hidden]) .import-form")
    measured["editor, survey data panel"] = axe_now(page)
    page.click('[data-action="unmatched"]')
    page.wait_for_selector("[data-unmatched-panel]:not([hidden])")
    page.wait_for_load_state("networkidle")
    measured["editor, unmatched panel"] = axe_now(page)
    page.click('[data-action="settings"]')
    page.wait_for_selector("[data-settings-panel]:not([hidden]) form")
    measured["editor, map settings panel"] = axe_now(page)
    return measured


def counts_by_impact(violations: list[dict]) -> dict[str, int]:
    """Failing elements per impact (axe counts a rule once per page; people meet each node)."""
    counts = dict.fromkeys(IMPACTS, 0)
    for violation in violations:
        counts[violation["impact"]] += len(violation["nodes"])
    return counts


def report(measured: dict[str, list[dict]], nodes_shown: int = 3) -> str:
    """Per page: the counts per impact, then each rule with its impact and failing nodes."""
    lines = []
    for where, violations in measured.items():
        counts = counts_by_impact(violations)
        lines.append(f"{where}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        for violation in sorted(violations, key=lambda v: (IMPACTS.index(v["impact"]), v["id"])):
            nodes = violation["nodes"]
            lines.append(
                f"    {violation['impact']:<8} {violation['id']} ×{len(nodes)} "
                f"({violation['help']}): {nodes[:nodes_shown]}"
            )
            lines.append("        first: " + " ".join(violation["why"].split()))
    return "\n".join(lines)


def test_axe_finds_no_critical_or_serious_violation_on_the_product_pages(axe_page_for, demo):
    journey = demo["journey"]
    editor = axe_page_for(demo["editor"])
    measured = {
        "journey list": axe_violations(editor, "/"),
        "editor, as editor": axe_violations(
            editor, f"/journeys/{journey.pk}/", "body[data-editor-ready=true]"
        ),
        **editor_panels(editor),
        "journey dashboard": axe_violations(
            editor, f"/journeys/{journey.pk}/dashboard/", "body[data-dashboard-ready=true]"
        ),
        "portfolio": axe_violations(editor, "/dashboards/", "[data-portfolio-results] table"),
        "persona list": axe_violations(editor, "/personas/"),
        "persona page": axe_violations(editor, f"/personas/{demo['persona'].pk}/"),
    }
    viewer = axe_page_for(demo["viewer"])
    measured["editor, as viewer"] = axe_violations(
        viewer, f"/journeys/{journey.pk}/", "body[data-editor-ready=true]"
    )
    visitor = axe_page_for(None)
    measured["share page (map)"] = axe_violations(
        visitor, f"/s/{demo['map'].token}/", "body[data-editor-ready=true]"
    )
    measured["share page (dashboard)"] = axe_violations(
        visitor, f"/s/{demo['dashboard'].token}/", "body[data-dashboard-ready=true]"
    )
    print("\naxe-core 4.14.1 violations (failing elements) per page:\n" + report(measured))
    # JOURNEYBOARD_AXE_REPORT=<file> keeps the whole measurement, every failing node named.
    if os.environ.get("JOURNEYBOARD_AXE_REPORT"):
        Path(os.environ["JOURNEYBOARD_AXE_REPORT"]).write_text(report(measured, 1000) + "\n")
    blocking = {
        where: [v for v in violations if v["impact"] in BLOCKING]
        for where, violations in measured.items()
    }
    assert blocking == {where: [] for where in measured}, report(blocking)


# What the focused element's ring is drawn in, and the background colours behind it: from the
# element (a ring drawn inside it) or its parent (a ring drawn outside) up to the first opaque one.
FOCUS_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const width = parseFloat(style.outlineWidth) || 0;
  const offset = parseFloat(style.outlineOffset) || 0;
  const behind = (start) => {
    const colours = [];
    for (let node = start; node && node.nodeType === 1; node = node.parentElement) {
      const colour = getComputedStyle(node).backgroundColor;
      colours.push(colour);
      if (!colour.startsWith("rgba") && colour !== "transparent") break;
    }
    return colours;
  };
  const inside = offset + width <= 0;
  const starts = inside ? [el] : offset >= 0 ? [el.parentElement] : [el, el.parentElement];
  const classes = typeof el.className === "string" && el.className.trim();
  const label = el.getAttribute("aria-label");
  return {
    what: el.tagName.toLowerCase() + (classes ? "." + classes.split(/\\s+/).join(".") : "")
      + (label ? `[${label}]` : ""),
    style: style.outlineStyle, width, colour: style.outlineColor,
    backdrops: starts.map(behind),
  };
}"""


def rgba(css: str) -> tuple[float, float, float, float]:
    """A computed CSS colour (rgb(…), rgba(…) or transparent) as r, g, b in 0–255 and alpha."""
    if css == "transparent":
        return (0.0, 0.0, 0.0, 0.0)
    parts = [float(p) for p in css[css.index("(") + 1 : -1].replace("/", ",").split(",")]
    return (*parts[:3], parts[3] if len(parts) > 3 else 1.0)


def over(top: tuple, bottom: tuple) -> tuple[float, float, float, float]:
    """``top`` painted over an opaque ``bottom``."""
    alpha = top[3]
    return (*(t * alpha + b * (1 - alpha) for t, b in zip(top[:3], bottom[:3], strict=True)), 1.0)


def backdrop(colours: list[str]) -> tuple[float, float, float, float]:
    """What shows through a stack of background colours, the nearest first (white below all)."""
    painted = (255.0, 255.0, 255.0, 1.0)
    for colour in reversed(colours):
        painted = over(rgba(colour), painted)
    return painted


def contrast(a: tuple, b: tuple) -> float:
    """WCAG 2 contrast ratio of two opaque colours."""

    def luminance(colour: tuple) -> float:
        linear = [
            c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
            for c in (channel / 255 for channel in colour[:3])
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def focus_rings(page, keys: list[str]) -> dict[str, dict]:
    """Press each key and measure the ring of what has the focus: its style, width and its
    lowest contrast against what is behind it."""
    rings = {}
    for key in keys:
        page.keyboard.press(key)
        ring = page.evaluate(FOCUS_RING)
        if ring is None or ring["what"] in rings:
            continue
        behind = [backdrop(colours) for colours in ring["backdrops"]]
        colour = rgba(ring["colour"])
        ring["contrast"] = round(min(contrast(over(colour, b), b) for b in behind), 2)
        rings[ring["what"]] = ring
    return rings


def test_keyboard_focus_is_drawn_at_three_to_one_contrast_on_every_page(page_for, demo):
    journey = demo["journey"]
    page = page_for(demo["editor"])
    tabs = ["Tab"] * 25
    measured = {}
    for path, ready in (
        ("/", None),
        (f"/journeys/{journey.pk}/dashboard/", "body[data-dashboard-ready=true]"),
        ("/dashboards/", "[data-portfolio-results] table"),
        (f"/personas/{demo['persona'].pk}/", None),
        (f"/journeys/{journey.pk}/", "body[data-editor-ready=true]"),
    ):
        page.goto(path)
        if ready:
            page.wait_for_selector(ready)
        measured[path] = focus_rings(page, tabs)
    # Into the map: the grid's cell in the tab order, a cell beside it and below, a card.
    page.locator(".cell").first.focus()
    measured["grid"] = focus_rings(page, ["ArrowRight", "ArrowDown", "ArrowLeft", "Enter"])
    assert any(what.startswith("div.cell") for what in measured["grid"]), measured["grid"]
    assert any(what.startswith("div.item") for what in measured["grid"]), measured["grid"]

    print("\nFocus rings (lowest contrast against what is behind):")
    for where, rings in measured.items():
        print(f"{where}: {len(rings)} focused, lowest {min(r['contrast'] for r in rings.values())}")
    faint = {
        where: {
            what: (ring["style"], ring["width"], ring["colour"], ring["contrast"])
            for what, ring in rings.items()
            if ring["style"] == "none" or ring["width"] < 2 or ring["contrast"] < 3
        }
        for where, rings in measured.items()
    }
    assert all(measured.values()), measured.keys()  # every page had something to focus
    assert faint == {where: {} for where in measured}
