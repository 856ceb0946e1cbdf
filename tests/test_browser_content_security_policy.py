"""Under the strict Content-Security-Policy every page of the product works, in real Chromium:
the editor, the dashboards, the persona library, the share-link pages, the API docs and the
admin load and run their scripts with no violation reported."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from journeys import services
from journeys.models import Journey
from personas.models import Persona

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

# Playwright's init scripts run whatever the page's policy says: this one records every
# violation the page reports.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${where}`);
});
"""


def visit(page, path: str, ready: str | None = None) -> list[str]:
    """Open the page, wait until its scripts have run, and return what the policy refused."""
    console = []
    page.on(
        "console",
        lambda message: console.append(message.text)
        if "Content Security Policy" in message.text
        else None,
    )
    answer = page.goto(path)
    assert answer.ok, (path, answer.status)
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    if ready:
        page.wait_for_selector(ready)
    return page.evaluate("window.__violations") + console


@pytest.fixture
def demo(chromium, web):
    call_command("seed_demo", verbosity=0)
    users = get_user_model().objects
    journey = Journey.objects.get()
    admin = users.get(username="admin")
    links = {
        target: services.share_link_create(actor=admin, journey_id=journey.pk, target=target)
        for target in ("map", "dashboard")
    }
    return {"journey": journey, "admin": admin, "editor": users.get(username="editor"), **links}


def test_the_product_pages_run_with_no_policy_violation(page_for, demo):
    journey = demo["journey"]
    persona = Persona.objects.first()
    page = page_for(demo["editor"])
    page.context.add_init_script(RECORD_VIOLATIONS)
    pages = [
        ("/", None),
        (f"/journeys/{journey.pk}/", "body[data-editor-ready=true]"),
        (f"/journeys/{journey.pk}/dashboard/", "body[data-dashboard-ready=true]"),
        ("/dashboards/", "[data-portfolio-results]"),
        ("/personas/", None),
        (f"/personas/{persona.pk}/", None),
        ("/accounts/token/", None),
        ("/api/docs/", ".swagger-ui .info"),
    ]
    refused = {path: visit(page, path, ready) for path, ready in pages}
    # The editor's dynamic parts too: emotion points placed, the share panel open.
    page.goto(f"/journeys/{journey.pk}/")
    page.wait_for_selector("body[data-editor-ready=true]")
    page.click('[data-action="share"]')
    page.wait_for_selector(".share-links li")
    # Each point at its height on the −3…+3 scale, from the stylesheet (emotions.js's yOf).
    placed = page.eval_on_selector_all(
        ".emotion-point, .voc-point",
        "points => points.map(p => [Number(p.dataset.level), getComputedStyle(p).top])",
    )
    assert len(placed) == 10
    assert all(top == f"{24 + 17 * (3 - level)}px" for level, top in placed), placed
    refused["editor, interacted"] = page.evaluate("window.__violations")
    assert refused == {where: [] for where in refused}


def test_share_link_pages_and_the_admin_run_with_no_policy_violation(chromium, web, page_for, demo):
    context = chromium.new_context(base_url=web.url)  # a visitor: no account
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    refused = {
        "map link": visit(page, f"/s/{demo['map'].token}/", "body[data-editor-ready=true]"),
        "dashboard link": visit(
            page, f"/s/{demo['dashboard'].token}/", "body[data-dashboard-ready=true]"
        ),
        "sign-in": visit(page, "/accounts/login/"),
        "admin sign-in": visit(page, "/admin/login/"),
    }
    context.close()
    page = page_for(demo["admin"])
    page.context.add_init_script(RECORD_VIOLATIONS)
    journey = demo["journey"]
    for path in (
        "/admin/",
        "/admin/auth/user/",
        f"/admin/auth/user/{demo['admin'].pk}/change/",
        f"/admin/journeys/journey/{journey.pk}/change/",
        "/admin/personas/persona/add/",
        "/admin/feedback/surveysource/add/",
    ):
        refused[path] = visit(page, path)
    # The shared survey sources (admins), with a connector form open.
    refused["shared survey sources"] = visit(page, "/survey-sources/shared/", ".connector-add")
    page.get_by_role("button", name="Add a survey platform").click()
    page.wait_for_selector(".connector-form")
    refused["shared survey sources, form"] = page.evaluate("window.__violations")
    assert refused == {where: [] for where in refused}
