"""Executive dashboards: the portfolio and one journey's dashboard, through their API and pages.

Survey answers are stored as responses and counted into the daily rollups by the importer's own
``rollups_rebuild``; the dashboards read only the rollups (and a few negative comments)."""

import json
import re
from datetime import timedelta
from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.models import SurveyResponse
from feedback.writer import rollups_rebuild
from journeys.dashboards.health import health_score
from journeys.dashboards.window import default_window
from journeys.models import Emotion, Journey, Lane, Opportunity
from journeys.permissions import Role
from tests.factories import (
    CardFactory,
    EmotionFactory,
    JourneyFactory,
    LaneFactory,
    OpportunityFactory,
    PersonaFactory,
    PhaseFactory,
    SurveySourceFactory,
    TouchpointFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
_ids = count()


def answers(touchpoint, *rows):
    """Survey responses on a touchpoint: (days ago, nps, csat, ces[, comment, sentiment])."""
    source = SurveySourceFactory(journey_id=touchpoint.journey_id)
    now = timezone.now()
    for days_ago, nps, csat, ces, *rest in rows:
        comment, sentiment = [*rest, "", None][:2] if rest else ("", None)
        SurveyResponse.objects.create(
            source=source,
            external_id=f"r{next(_ids)}",
            journey_id=touchpoint.journey_id,
            touchpoint=touchpoint,
            submitted_at=now - timedelta(days=days_ago),
            nps=nps,
            csat=csat,
            ces=ces,
            comment=comment,
            sentiment=sentiment,
            content_hash="x",
        )
    rollups_rebuild([touchpoint.pk])


def a_journey(**fields):
    """A journey with two phases, a touchpoint lane and a pain-point lane."""
    journey = JourneyFactory(**fields)
    phases = [PhaseFactory(journey=journey, name=n) for n in ("Buy", "Use")]
    lanes = {
        kind: LaneFactory(journey=journey, kind=kind)
        for kind in (Lane.Kind.TOUCHPOINTS, Lane.Kind.PAIN_POINTS, Lane.Kind.ACTIONS)
    }
    return journey, phases, lanes


def row_of(data, journey):
    return next(row for row in data["journeys"] if row["id"] == journey.pk)


# --- The health score ---------------------------------------------------------------------


def test_the_health_score_is_the_weighted_mean_of_its_components():
    metrics = {
        "nps": 20.0,  # → 60
        "nps_count": 40,
        "csat": 80.0,  # → 80
        "csat_count": 40,
        "ces": 3.0,  # → (7 − 3) / 6 × 100 = 66.7
        "ces_count": 40,
    }
    health = health_score(
        metrics=metrics,
        team_emotion=1.0,  # → 66.7
        voc_emotion=-1.0,  # → 33.3; emotion = 50
        touchpoints=4,
        evidenced_touchpoints=3,  # → 75
        days_since_response=9,  # → 90
        days_since_change=0,  # → 100; freshness = 95
    )
    values = {c["key"]: c["value"] for c in health["components"]}
    assert values == {
        "nps": 60.0,
        "csat": 80.0,
        "ces": 66.7,
        "emotion": 50.0,
        "evidence": 75.0,
        "freshness": 95.0,
    }
    # (25·60 + 15·80 + 10·66.7 + 20·50 + 15·75 + 15·95) / 100 = 69.2
    assert health["score"] == 69
    assert health["weight_used"] == 100


def test_missing_components_are_left_out_and_the_weights_renormalised():
    empty = {"nps": None, "nps_count": 0, "csat": None, "csat_count": 0, "ces": None}
    health = health_score(
        metrics={**empty, "nps": 20.0, "nps_count": 5, "ces_count": 0},
        team_emotion=1.0,
        voc_emotion=None,
        touchpoints=0,
        evidenced_touchpoints=0,
        days_since_response=None,
        days_since_change=None,
    )
    # Only NPS (60, weight 25) and emotion (66.7, weight 20): (1500 + 1333) / 45 = 63.
    assert health["score"] == 63
    assert health["weight_used"] == 45
    used = {c["key"]: c["effective_weight"] for c in health["components"] if c["value"] is not None}
    assert used == {"nps": 55.6, "emotion": 44.4}
    # A fresh, empty map: freshness alone is no health.
    nothing = health_score(
        metrics={**empty, "ces_count": 0},
        team_emotion=None,
        voc_emotion=None,
        touchpoints=2,
        evidenced_touchpoints=0,
        days_since_response=None,
        days_since_change=0,
    )
    assert nothing["score"] is None
    assert [c["key"] for c in nothing["components"] if c["value"] is not None] == [
        "evidence",
        "freshness",
    ]


# --- The portfolio ------------------------------------------------------------------------


def test_the_portfolio_shows_nps_with_its_trend_against_the_previous_window(client_for, viewer):
    journey, phases, lanes = a_journey(title="Renewing")
    checkout = TouchpointFactory(journey=journey, phase=phases[0], lane=lanes["touchpoints"])
    answers(
        checkout,
        # This 30-day window: 3 promoters, 1 detractor → +50.
        (1, 10, 5, 2),
        (2, 9, 4, 2),
        (5, 10, 5, 1),
        (20, 3, 2, 6),
        # The 30 days before: 1 promoter, 1 detractor → 0.
        (35, 10, 5, 2),
        (50, 2, 1, 7),
        # Older still: in neither window.
        (100, 0, 1, 7),
    )
    data = client_for(viewer).get("/api/dashboards/portfolio/?window=30").json()
    row = row_of(data, journey)
    assert row["metrics"]["nps"] == 50.0
    assert row["metrics"]["nps_count"] == 4
    assert row["metrics"]["csat"] == 75.0  # 3 of 4 answered 4 or 5
    assert row["trend"]["nps"] == {"previous": 0.0, "previous_n": 2, "delta": 50.0}
    assert row["trend"]["ces"]["delta"] == pytest.approx(2.75 - 4.5)
    # The sparkline: NPS per week of the window, oldest first (weeks without answers left out).
    assert [(p["nps"], p["n"]) for p in row["sparkline"]] == [(-100.0, 1), (100.0, 3)]
    assert data["window"]["previous"] is not None

    everything = row_of(
        client_for(viewer).get("/api/dashboards/portfolio/?window=all").json(), journey
    )
    assert everything["metrics"]["nps_count"] == 7
    assert everything["trend"]["nps"]["delta"] is None  # all time has no window before it


def test_the_portfolio_counts_pain_points_opportunities_and_moments_below_target(
    client_for, viewer
):
    journey, phases, lanes = a_journey()
    for _ in range(3):
        CardFactory(journey=journey, phase=phases[0], lane=lanes[Lane.Kind.PAIN_POINTS])
    CardFactory(journey=journey, phase=phases[0], lane=lanes[Lane.Kind.ACTIONS])  # not a pain
    for status in ("idea", "idea", "planned", "done", "dropped"):
        OpportunityFactory(journey=journey, phase=phases[1], status=status)
    unhappy = TouchpointFactory(
        journey=journey, phase=phases[0], lane=lanes["touchpoints"], is_moment_that_matters=True
    )
    happy = TouchpointFactory(
        journey=journey, phase=phases[1], lane=lanes["touchpoints"], is_moment_that_matters=True
    )
    TouchpointFactory(
        journey=journey, phase=phases[1], lane=lanes["touchpoints"], is_moment_that_matters=True
    )  # no answers yet
    answers(unhappy, (1, 2, 1, 7), (2, 5, 2, 6))
    answers(happy, (1, 10, 5, 1))

    row = row_of(client_for(viewer).get("/api/dashboards/portfolio/").json(), journey)
    assert row["pain_points"] == 3
    assert row["opportunities"] == {
        "idea": 2,
        "planned": 1,
        "in_progress": 0,
        "done": 1,
        "dropped": 1,
    }
    assert row["open_opportunities"] == 3
    assert row["moments"] == {"total": 3, "below_target": 1, "without_answers": 1}


def test_the_portfolio_health_matches_the_journey_dashboard(client_for, viewer):
    journey, phases, lanes = a_journey()
    touchpoint = TouchpointFactory(journey=journey, phase=phases[0], lane=lanes["touchpoints"])
    answers(touchpoint, *[(n, 9 if n % 3 else 4, 4, 3, "", None) for n in range(12)])
    EmotionFactory(journey=journey, phase=phases[0], score=2)
    EmotionFactory(journey=journey, phase=phases[1], score=-1)
    client = client_for(viewer)
    row = row_of(client.get("/api/dashboards/portfolio/").json(), journey)
    dashboard = client.get(f"/api/journeys/{journey.pk}/dashboard/").json()
    assert row["team_emotion"] == dashboard["team_emotion"] == 0.5
    assert row["voc_emotion"] == dashboard["voc_emotion"]
    assert row["health"] == dashboard["health"]
    evidence = next(c for c in row["health"]["components"] if c["key"] == "evidence")
    assert (evidence["value"], evidence["n"]) == (100.0, 1)  # 12 responses ≥ 10


def test_the_portfolio_filters_by_persona_status_and_state(client_for, viewer):
    olivia = PersonaFactory(name="Olivia")
    renewing = JourneyFactory(title="Renewing", persona=olivia, status="validated")
    returning = JourneyFactory(title="Returning", state="future")
    client = client_for(viewer)

    def titles(**params):
        answer = client.get("/api/dashboards/portfolio/", params)
        assert answer.status_code == 200, answer.json()
        return [row["title"] for row in answer.json()["journeys"]]

    assert sorted(titles()) == ["Renewing", "Returning"]
    assert titles(persona=olivia.pk) == [renewing.title]
    assert titles(status="validated") == [renewing.title]
    assert titles(state="future") == [returning.title]
    assert titles(state="future", status="validated") == []
    assert client.get("/api/dashboards/portfolio/", {"status": "nonsense"}).status_code == 400
    assert client.get("/api/dashboards/portfolio/", {"persona": "x"}).status_code == 400


def test_the_portfolio_sorts_by_any_column_with_missing_values_last(client_for, viewer):
    scores = {"Low": 2, "High": 10, "Middle": 8}
    for title, nps in scores.items():
        journey, phases, lanes = a_journey(title=title)
        touchpoint = TouchpointFactory(journey=journey, phase=phases[0], lane=lanes["touchpoints"])
        answers(touchpoint, (1, nps, None, None))
    a_journey(title="Unmeasured")
    client = client_for(viewer)

    def order(sort):
        return [
            r["title"]
            for r in client.get(f"/api/dashboards/portfolio/?sort={sort}").json()["journeys"]
        ]

    assert order("-nps") == ["High", "Middle", "Low", "Unmeasured"]
    assert order("nps") == ["Low", "Middle", "High", "Unmeasured"]
    assert order("title") == ["High", "Low", "Middle", "Unmeasured"]
    rows = client.get("/api/dashboards/portfolio/").json()["journeys"]
    healths = [r["health"]["score"] for r in rows]
    assert healths[:3] == sorted(healths[:3], reverse=True)  # the default: healthiest first
    assert (rows[0]["title"], rows[-1]["title"], healths[-1]) == ("High", "Unmeasured", None)
    assert client.get("/api/dashboards/portfolio/?sort=password").status_code == 400


def test_the_window_is_a_preset_or_dates_and_bad_ones_are_refused(client_for, viewer):
    journey, phases, lanes = a_journey()
    touchpoint = TouchpointFactory(journey=journey, phase=phases[0], lane=lanes["touchpoints"])
    answers(touchpoint, (1, 10, None, None), (40, 0, None, None), (200, 10, None, None))
    client = client_for(viewer)
    today = timezone.localdate()

    def n(query):
        answer = client.get(f"/api/dashboards/portfolio/?{query}")
        assert answer.status_code == 200, answer.json()
        return row_of(answer.json(), journey)["metrics"]["nps_count"]

    assert n("window=30") == 1
    assert n("window=90") == 2
    assert n("window=365") == n("window=all") == 3
    since, until = today - timedelta(days=50), today - timedelta(days=10)
    assert n(f"since={since}&until={until}") == 1
    assert n(f"until={today - timedelta(days=100)}") == 1  # everything up to that day
    refused = client.get(f"/api/dashboards/portfolio/?since={today}&until={since}")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid"
    assert client.get("/api/dashboards/portfolio/?since=yesterday").status_code == 400
    assert client.get("/api/dashboards/portfolio/?window=7").status_code == 400


def test_an_outsider_does_not_see_a_restricted_journey_in_the_portfolio(client_for):
    owner = UserFactory(role=Role.EDITOR)
    secret = JourneyFactory(title="Secret", owner=owner, is_restricted=True)
    outsider = UserFactory(role=Role.EDITOR)
    admin = UserFactory(role=Role.ADMIN)
    assert secret.pk not in [
        r["id"] for r in client_for(outsider).get("/api/dashboards/portfolio/").json()["journeys"]
    ]
    for user in (owner, admin):
        ids = [
            r["id"] for r in client_for(user).get("/api/dashboards/portfolio/").json()["journeys"]
        ]
        assert secret.pk in ids


def _portfolio_of(journeys: int) -> None:
    persona = PersonaFactory()
    for _ in range(journeys):
        journey, phases, lanes = a_journey(persona=persona)
        touchpoint = TouchpointFactory(
            journey=journey, phase=phases[0], lane=lanes["touchpoints"], is_moment_that_matters=True
        )
        answers(touchpoint, (1, 9, 4, 2), (40, 3, 2, 5))
        CardFactory(journey=journey, phase=phases[1], lane=lanes[Lane.Kind.PAIN_POINTS])
        OpportunityFactory(journey=journey, phase=phases[1])
        EmotionFactory(journey=journey, phase=phases[0])


@pytest.mark.parametrize("journeys", [1, 20])
def test_the_portfolio_costs_the_same_queries_for_1_or_20_journeys(
    client_for, viewer, journeys, django_assert_num_queries
):
    _portfolio_of(journeys)
    client = client_for(viewer)
    # The user's role, then journeys, touchpoints, rollups (this window and the one before),
    # sparklines, last responses, team emotions, pain points and opportunities.
    with django_assert_num_queries(9):
        data = client.get("/api/dashboards/portfolio/").json()
    assert len(data["journeys"]) == journeys


@pytest.mark.parametrize("journeys", [1, 20])
def test_the_portfolio_page_costs_the_same_queries_for_1_or_20_journeys(
    client, viewer, journeys, django_assert_max_num_queries
):
    _portfolio_of(journeys)
    client.force_login(viewer)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/dashboards/")
    assert page.status_code == 200
    assert page.content.decode().count('<tr data-journey="') == journeys
    # Session, user, role, the portfolio's nine, and the persona filter's choices.
    assert len(queries) == 12, [q["sql"][:80] for q in queries]


# --- One journey's dashboard --------------------------------------------------------------


def test_the_journey_dashboard_shows_metrics_per_phase_and_touchpoint_with_margins(
    client_for, viewer
):
    journey, (buy, use), lanes = a_journey()
    checkout = TouchpointFactory(
        journey=journey,
        phase=buy,
        lane=lanes["touchpoints"],
        name="Checkout",
        is_moment_that_matters=True,
    )
    manual = TouchpointFactory(journey=journey, phase=use, lane=lanes["touchpoints"], name="Manual")
    answers(checkout, (1, 10, 5, 1), (2, 10, 5, 2), (3, 0, 1, 7), (4, 3, 2, 6))  # NPS 0
    answers(manual, (1, 10, 5, 1), (2, 9, 4, 2))  # NPS +100
    EmotionFactory(journey=journey, phase=buy, score=2, label="Keen")
    data = client_for(viewer).get(f"/api/journeys/{journey.pk}/dashboard/").json()

    assert data["metrics"]["nps"] == pytest.approx(100 * (4 - 2) / 6, abs=0.1)
    assert data["metrics"]["nps_count"] == 6
    phases = {p["name"]: p for p in data["phases"]}
    assert phases["Buy"]["metrics"]["nps"] == 0.0
    # NPS margin: 1.96 × 100 × √((p + d − (p − d)²) / n) with p = d = ½, n = 4 → 98.
    assert phases["Buy"]["metrics"]["nps_margin"] == 98.0
    assert phases["Buy"]["team_emotion"] == 2 and phases["Use"]["team_emotion"] is None
    assert phases["Buy"]["voc_n"] == 4
    assert phases["Use"]["voc_emotion"] == 3  # promoters, satisfied, little effort
    touchpoints = {t["name"]: t for t in data["touchpoints"]}
    assert touchpoints["Checkout"]["metrics"]["nps"] == 0.0
    assert touchpoints["Checkout"]["below_target"] is False  # 0 is not below the target of 0
    assert touchpoints["Manual"]["metrics"]["nps"] == 100.0
    assert data["moments"] == {"total": 1, "below_target": 0, "without_answers": 0}


def test_the_journey_dashboard_quotes_the_ten_most_negative_comments(client_for, viewer):
    journey, phases, lanes = a_journey()
    touchpoint = TouchpointFactory(
        journey=journey, phase=phases[0], lane=lanes["touchpoints"], name="Chat"
    )
    rows = [(n, 3, 2, 5, f"Bad {n}", -0.05 * (n + 1)) for n in range(12)]
    rows += [(1, 10, 5, 1, "Lovely", 0.9), (2, 0, 1, 7, "<img src=x onerror=alert(1)>", -0.99)]
    answers(touchpoint, *rows)
    data = client_for(viewer).get(f"/api/journeys/{journey.pk}/dashboard/").json()
    comments = data["comments"]
    assert len(comments) == 10
    assert comments[0]["comment"] == "<img src=x onerror=alert(1)>"
    assert [c["sentiment"] for c in comments] == sorted(c["sentiment"] for c in comments)
    assert "Lovely" not in [c["comment"] for c in comments]
    assert comments[1]["touchpoint_name"] == "Chat"


def test_the_journey_dashboard_lists_action_plans_and_flags_overdue_ones(client_for, viewer):
    journey, phases, _ = a_journey()
    owner = UserFactory(first_name="Omar", last_name="Owner")
    yesterday = timezone.localdate() - timedelta(days=1)
    late = OpportunityFactory(
        journey=journey,
        phase=phases[0],
        title="Late",
        due_date=yesterday,
        owner=owner,
        status="in_progress",
        kpi="NPS",
        target="+20",
        impact=5,
        effort=1,
    )
    OpportunityFactory(
        journey=journey, phase=phases[0], title="Done late", due_date=yesterday, status="done"
    )
    data = client_for(viewer).get(f"/api/journeys/{journey.pk}/dashboard/").json()
    plans = {o["title"]: o for o in data["opportunities"]}
    assert (plans["Late"]["overdue"], plans["Done late"]["overdue"]) == (True, False)
    assert plans["Late"]["owner"] == "Omar Owner"
    assert (plans["Late"]["kpi"], plans["Late"]["target"], plans["Late"]["priority"]) == (
        "NPS",
        "+20",
        25,
    )
    assert data["opportunities"][0]["id"] == late.pk  # highest priority first
    assert data["opportunities_by_status"]["in_progress"] == 1


def _map_of(size: int) -> Journey:
    journey = JourneyFactory(persona=PersonaFactory())
    lanes = {
        kind: LaneFactory(journey=journey, kind=kind)
        for kind in (Lane.Kind.TOUCHPOINTS, Lane.Kind.PAIN_POINTS)
    }
    for _ in range(size):
        phase = PhaseFactory(journey=journey)
        touchpoint = TouchpointFactory(
            journey=journey, phase=phase, lane=lanes[Lane.Kind.TOUCHPOINTS]
        )
        answers(touchpoint, (1, 9, 4, 2, "Slow", -0.5), (40, 3, 2, 5))
        CardFactory(journey=journey, phase=phase, lane=lanes[Lane.Kind.PAIN_POINTS])
        OpportunityFactory(journey=journey, phase=phase, owner=UserFactory())
        EmotionFactory(journey=journey, phase=phase)
        Emotion.objects.create(journey=journey, phase=phase, source="voc", score=-1)
    return journey


def test_the_journey_dashboard_costs_the_same_queries_whatever_the_map_size(client_for, viewer):
    client = client_for(viewer)
    counts = {}
    for size in (1, 15):
        journey = _map_of(size)
        client.get(f"/api/journeys/{journey.pk}/dashboard/")  # what is read once per process
        with CaptureQueriesContext(connection) as queries:
            data = client.get(f"/api/journeys/{journey.pk}/dashboard/").json()
        assert len(data["phases"]) == size and len(data["comments"]) == min(size, 10)
        counts[size] = len(queries)
    # The user's role, the journey (with its persona) and its collaborators, then phases,
    # touchpoints, emotions, opportunities with owners, the rollup reads of journey_metrics
    # (whole months; the days of a partial first or last month), the previous window, the
    # last response, pain points and comments.
    assert counts[1] == counts[15] <= 14, counts


def test_the_journey_dashboard_page_costs_the_same_queries_whatever_the_map_size(client, viewer):
    client.force_login(viewer)
    counts = {}
    for size in (1, 15):
        journey = _map_of(size)
        client.get(f"/journeys/{journey.pk}/dashboard/")
        with CaptureQueriesContext(connection) as queries:
            page = client.get(f"/journeys/{journey.pk}/dashboard/")
        assert page.status_code == 200
        counts[size] = len(queries)
    # The API's, and the session and the user.
    assert counts[1] == counts[15] <= 16, counts


def dashboard_data(response) -> dict:
    html = response.content.decode()
    marker = '<script id="dashboard-data" type="application/json">'
    start = html.index(marker) + len(marker)
    return json.loads(html[start : html.index("</script>", start)])


def test_the_dashboard_page_carries_its_data_urls_and_escapes_what_customers_wrote(client, viewer):
    journey, phases, lanes = a_journey(title="Buying <b>bikes</b>")
    touchpoint = TouchpointFactory(journey=journey, phase=phases[0], lane=lanes["touchpoints"])
    answers(touchpoint, (1, 0, 1, 7, "</script><script>alert(1)</script>", -0.9))
    client.force_login(viewer)
    page = client.get(f"/journeys/{journey.pk}/dashboard/")
    html = page.content.decode()
    assert "<script>alert(1)" not in html and "<b>bikes</b>" not in html
    assert dashboard_data(page)["comments"][0]["comment"] == "</script><script>alert(1)</script>"
    assert f'data-data-url="/api/journeys/{journey.pk}/dashboard/"' in html
    assert f'data-socket-path="/ws/journeys/{journey.pk}/?watch=1"' in html
    assert f'data-opportunity-url="/journeys/{journey.pk}/?opportunity={{id}}"' in html
    assert "How is the health score computed?" in html
    assert "chartjs-4.6.1/chart.umd.min.js" in html


def test_the_pages_link_to_the_dashboards(client, viewer):
    journey = JourneyFactory(title="Renewing")
    client.force_login(viewer)
    editor_page = client.get(f"/journeys/{journey.pk}/").content.decode()
    assert f'href="/journeys/{journey.pk}/dashboard/"' in editor_page  # viewers too
    assert 'href="/dashboards/"' in editor_page
    portfolio = client.get("/dashboards/?window=365&sort=title").content.decode()
    assert f'href="/journeys/{journey.pk}/dashboard/"' in portfolio
    assert "How is the health score computed?" in portfolio
    assert "Moments below target" in portfolio


def test_the_portfolio_page_title_is_plain_text_and_its_script_loads_once(client, viewer):
    client.force_login(viewer)
    html = client.get("/dashboards/").content.decode()
    assert "<title>Dashboards · Journeyboard</title>" in html
    assert '<main id="main" class="page wide dashboard-page">' in html
    scripts = re.findall(r'<script[^>]*src="([^"]*dashboard/portfolio[^"]*)"', html)
    assert len(scripts) == 1, scripts
    # With the page's content, inside <main>, as the journey dashboard loads its own.
    main = html[html.index("<main") : html.index("</main>")]
    assert scripts[0] in main


def test_the_portfolio_page_sorts_by_its_column_links(client, viewer):
    for title in ("Bravo", "Alpha", "Charlie"):
        JourneyFactory(title=title)
    client.force_login(viewer)
    page = client.get("/dashboards/?sort=title").content.decode()
    assert page.index("Alpha") < page.index("Bravo") < page.index("Charlie")
    assert 'href="?sort=-title"' in page  # clicking again turns it round
    page = client.get("/dashboards/?sort=-title").content.decode()
    assert page.index("Charlie") < page.index("Bravo") < page.index("Alpha")


def test_a_dashboard_change_to_the_map_is_visible_in_the_next_read(client_for, viewer, editor):
    journey, phases, _ = a_journey(owner=editor)
    opportunity = OpportunityFactory(journey=journey, phase=phases[0], status="idea")
    before = client_for(viewer).get(f"/api/journeys/{journey.pk}/dashboard/").json()
    assert before["opportunities_by_status"]["idea"] == 1
    answer = client_for(editor).patch(
        f"/api/opportunities/{opportunity.pk}/", {"status": "done", "version": 1}, format="json"
    )
    assert answer.status_code == 200
    after = client_for(viewer).get(f"/api/journeys/{journey.pk}/dashboard/").json()
    assert after["opportunities_by_status"] == {
        **before["opportunities_by_status"],
        "idea": 0,
        "done": 1,
    }
    assert after["revision"] == before["revision"] + 1
    assert Opportunity.objects.get().status == "done"


def test_a_dashboard_page_with_a_date_out_of_range_says_so_and_shows_the_default(client, viewer):
    journey = JourneyFactory(title="Renewing")
    client.force_login(viewer)
    for url in ("/dashboards/", f"/journeys/{journey.pk}/dashboard/"):
        page = client.get(url, {"since": "0001-01-01"})
        assert page.status_code == 200
        html = page.content.decode()
        default = default_window().description
        assert f"Choose a day from 1900-01-01 to 2999-12-31. Showing {default}." in html
