"""The journey dashboard in real Chromium on a real ASGI server: a viewer reads charts built
from imported survey data, follows an opportunity to the map, and sees the map's changes
arrive without reloading — over the WebSocket, or by polling when the socket is refused."""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from journeys import services
from journeys.models import Journey, Opportunity

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
DOCS = Path(__file__).resolve().parent.parent.parent / "docs"


def chart_data(page, kind: str) -> list:
    """What a Chart.js chart on the page draws: each dataset's values."""
    return page.evaluate(
        """(kind) => window.Chart.getChart(document.querySelector(`canvas[data-chart="${kind}"]`))
            .data.datasets.map((d) => d.data.map((v) => v?.opportunity?.id ?? v))""",
        kind,
    )


def open_dashboard(page, journey):
    page.goto(f"/journeys/{journey.pk}/dashboard/")
    page.wait_for_selector("body[data-dashboard-ready=true]")


def test_a_viewer_reads_the_dashboard_built_from_imported_survey_data(
    page_for, viewer, surveyed_map
):
    the_map, checkout, opportunity = surveyed_map
    page = page_for(viewer)
    open_dashboard(page, the_map.journey)

    expect(page.locator('[data-value="nps"]')).to_have_text("+50")
    expect(page.locator('[data-kpi="nps"] .kpi-n')).to_contain_text("n = 40")
    expect(page.locator('[data-value="csat"]')).to_have_text("75%")
    expect(page.locator('[data-kpi="opportunities"] [data-status="planned"]')).to_have_text(
        "1 planned"
    )
    # The charts are real Chart.js charts, drawn from the same numbers.
    expect(page.locator("canvas[data-chart]")).to_have_count(4)
    team, voc = chart_data(page, "emotion")
    assert team == [None, None, 2, None, None]
    assert voc[2] is not None and voc[:2] == [None, None]
    nps, csat = chart_data(page, "phases")
    assert (nps[2], csat[2]) == (50, 75)
    assert chart_data(page, "touchpoints") == [[50]]
    labels = page.evaluate(
        "window.Chart.getChart(document.querySelector('canvas[data-chart=emotion]')).data.labels"
    )
    assert labels[2] == [the_map.phases[2].name, "n = 40"]
    metrics = page.locator(f'[data-table="metrics"] tr[data-touchpoint="{checkout.pk}"]')
    expect(metrics.locator('[data-metric="nps"]')).to_have_text("+50 ± 27")
    # Customers' words are shown as text, never as HTML.
    expect(page.locator("[data-comments] blockquote").first).to_have_text(
        "<b>Payment</b> failed twice"
    )
    expect(page.locator("[data-comments] b")).to_have_count(0)
    expect(page.locator('[data-table="plans"]')).to_contain_text("Checkout NPS")
    expect(page.locator("[data-health-formula]")).to_contain_text("renormalised")

    # A bubble of the opportunity matrix opens the opportunity on the map.
    point = page.evaluate(
        """() => {
          const chart = window.Chart.getChart(document.querySelector('canvas[data-chart=matrix]'));
          chart.canvas.scrollIntoView({ block: "center" });
          const index = chart.data.datasets.findIndex((d) => d.data.length);
          const el = chart.getDatasetMeta(index).data[0];
          const box = chart.canvas.getBoundingClientRect();
          return { x: box.left + el.x, y: box.top + el.y };
        }"""
    )
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url(f"**/journeys/{the_map.journey.pk}/?opportunity={opportunity.pk}")
    page.wait_for_selector("body[data-editor-ready=true]")
    panel = page.locator("[data-side-panel]")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("One-click retry")


def test_an_editors_change_updates_an_open_dashboard_without_a_reload(
    page_for, viewer, editor, surveyed_map
):
    the_map, _, opportunity = surveyed_map
    dashboard = page_for(viewer)
    open_dashboard(dashboard, the_map.journey)
    expect(dashboard.locator("[data-connection]")).to_have_attribute("data-status", "live")
    dashboard.evaluate("window.stillTheSamePage = true")
    assert chart_data(dashboard, "matrix")[1] == [opportunity.pk]  # planned

    # The editor changes the opportunity's status through the API, from their own page.
    editor_page = page_for(editor)
    editor_page.goto(f"/journeys/{the_map.journey.pk}/")
    editor_page.wait_for_selector("body[data-editor-ready=true]")
    status = editor_page.evaluate(
        """async (id) => {
          const response = await fetch(`/api/opportunities/${id}/`, {
            method: "PATCH", credentials: "same-origin",
            headers: { "Content-Type": "application/json",
                       "X-CSRFToken": document.querySelector("meta[name=csrf-token]").content },
            body: JSON.stringify({ status: "done", version: 1 }),
          });
          return response.status;
        }""",
        opportunity.pk,
    )
    assert status == 200

    card = dashboard.locator('[data-kpi="opportunities"]')
    expect(card.locator('[data-status="done"]')).to_have_text("1 done")
    expect(card.locator('[data-status="planned"]')).to_have_text("0 planned")
    assert chart_data(dashboard, "matrix")[3] == [opportunity.pk]  # done, in place
    assert dashboard.evaluate("window.stillTheSamePage") is True
    expect(dashboard.locator("[data-dashboard]")).to_have_attribute(
        "data-revision", str(Journey.objects.get().revision)
    )


def test_without_its_socket_the_dashboard_polls_for_changes(page_for, viewer, surveyed_map):
    the_map, _, opportunity = surveyed_map
    page = page_for(viewer)
    page.clock.install()
    # The server refuses the socket as it does a map one may not see.
    page.route_web_socket("**/ws/journeys/**", lambda socket: socket.close(code=4404))
    open_dashboard(page, the_map.journey)
    expect(page.locator("[data-connection]")).to_have_attribute("data-status", "polling")

    Opportunity.objects.filter(pk=opportunity.pk).update(status="in_progress")
    page.clock.run_for(31_000)
    card = page.locator('[data-kpi="opportunities"]')
    expect(card.locator('[data-status="in_progress"]')).to_have_text("1 in progress")


def test_a_dashboard_opened_with_a_refused_window_refreshes_the_window_it_shows(
    page_for, viewer, surveyed_map
):
    the_map, _, opportunity = surveyed_map
    page = page_for(viewer)
    page.clock.install()
    page.route_web_socket("**/ws/journeys/**", lambda socket: socket.close(code=4404))
    # A date out of range: the page says so and shows the last 90 days instead.
    page.goto(f"/journeys/{the_map.journey.pk}/dashboard/?since=0001-01-01")
    page.wait_for_selector("body[data-dashboard-ready=true]")
    expect(page.locator("[data-connection]")).to_have_attribute("data-status", "polling")

    Opportunity.objects.filter(pk=opportunity.pk).update(status="in_progress")
    page.clock.run_for(31_000)

    # The poll asked for the window shown (it would be refused the address's one again).
    card = page.locator('[data-kpi="opportunities"]')
    expect(card.locator('[data-status="in_progress"]')).to_have_text("1 in progress")


def test_the_demo_journeys_dashboard_and_its_screenshot_for_the_docs(page_for):
    call_command("seed_demo", verbosity=0)
    viewer = get_user_model().objects.get(username="viewer")
    journey = Journey.objects.get()
    page = page_for(viewer)
    page.set_viewport_size({"width": 1366, "height": 900})
    open_dashboard(page, journey)
    expect(page.locator("[data-connection]")).to_have_attribute("data-status", "live")
    expect(page.locator('[data-value="health"]')).not_to_have_text("—")
    expect(page.locator('[data-table="metrics"] tr[data-touchpoint]')).to_have_count(9)
    expect(page.locator('[data-table="plans"] tbody tr')).to_have_count(3)
    expect(page.locator("[data-comments] li")).to_have_count(10)
    assert len(chart_data(page, "emotion")[1]) == 5
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "journey-dashboard.png"))
    assert (DOCS / "journey-dashboard.png").stat().st_size > 20_000


def test_the_portfolio_follows_the_maps_without_a_reload(page_for, viewer, editor, five_phase_map):
    journey = five_phase_map.journey
    pains = services.lane_create(
        actor=editor, journey_id=journey.pk, name="Pain points", kind="pain_points"
    )
    page = page_for(viewer)
    page.goto("/dashboards/")
    row = page.locator(f'tr[data-journey="{journey.pk}"]')
    expect(row.locator('[data-metric="pain_points"]')).to_have_text("0")
    services.card_create(
        actor=editor,
        journey_id=journey.pk,
        phase_id=five_phase_map.phases[2].pk,
        lane_id=pains.pk,
        text="Checkout times out",
    )
    # The page refreshes itself every 30 s; ask for the next round now.
    page.evaluate("document.dispatchEvent(new Event('portfolio:refresh'))")
    expect(row.locator('[data-metric="pain_points"]')).to_have_text("1")
    expect(page.locator("[data-refreshed]")).to_contain_text("last at")


# The drawn emotion curve, sampled along each Bézier segment Chart.js strokes (from a point,
# its next control point, the following point's previous control point, to that point), as
# the y values (in the emotion scale's units) of the curve between the data points.
CURVE_SAMPLES = """(kind) => {
  const chart = window.Chart.getChart(document.querySelector(`canvas[data-chart="${kind}"]`));
  const scale = chart.scales.y;
  const points = chart.getDatasetMeta(0).data;
  const ys = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const [a, b] = [points[i], points[i + 1]];
    const [y0, y1, y2, y3] = [a.y, a.cp2y ?? a.y, b.cp1y ?? b.y, b.y];
    for (let step = 0; step <= 50; step++) {
      const t = step / 50, u = 1 - t;
      const y = u * u * u * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t * t * t * y3;
      ys.push(scale.getValueForPixel(y));
    }
  }
  return ys;
}"""


def test_the_emotion_curve_never_swings_past_delighted_or_furious(
    page_for, editor, viewer, five_phase_map
):
    # The hardest shape for a spline: a rise to the top that stays there, then a fall to the
    # bottom that stays there (a smooth curve through it bulges past both).
    for phase, score in zip(five_phase_map.phases, (-3, 3, 3, -3, -3), strict=True):
        services.emotion_create(
            actor=editor, journey_id=five_phase_map.journey.pk, phase_id=phase.pk, score=score
        )
    page = page_for(viewer)
    open_dashboard(page, five_phase_map.journey)
    assert chart_data(page, "emotion")[0] == [-3, 3, 3, -3, -3]

    drawn = page.evaluate(CURVE_SAMPLES, "emotion")
    assert len(drawn) == 4 * 51
    assert max(drawn) <= 3.01 and min(drawn) >= -3.01

    # The check sees an overshoot where there is one: the same data as a plain tension spline
    # (what the chart drew before it was made monotone) swings past both ends.
    page.evaluate(
        """() => {
          const chart = window.Chart.getChart(document.querySelector('canvas[data-chart=emotion]'));
          const team = chart.data.datasets[0];
          Object.assign(team, { cubicInterpolationMode: "default", tension: 0.5 });
          chart.options.scales.y.min = -6;
          chart.options.scales.y.max = 6;
          chart.update();
        }"""
    )
    swung = page.evaluate(CURVE_SAMPLES, "emotion")
    assert max(swung) > 3.05 or min(swung) < -3.05
