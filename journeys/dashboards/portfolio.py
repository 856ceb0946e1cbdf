"""The portfolio: one health row per journey the user may see, sortable by any column.

Every number comes from the maps and the VoC daily rollups (``feedback.selectors``), never the
raw responses. The read costs nine queries whatever the number of journeys: the user's role,
the journeys, their touchpoints, then one GROUP BY (touchpoint or journey) per kind of figure;
the journeys' and phases' sums are added up in Python from the touchpoints' rows.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Avg, Case, Count, Max, Sum, Value, When
from django.utils import timezone

from feedback.models import ROLLUP_COUNTERS, ResponseRollup
from feedback.selectors import metrics_from_sums
from feedback.voc import voc_score
from journeys.dashboards.health import (
    EVIDENCE_MIN_RESPONSES,
    HEALTH_FORMULA,
    MOMENT_NPS_TARGET,
    OPEN_STATUSES,
    OPPORTUNITY_STATUSES,
    average,
    health_score,
)
from journeys.dashboards.window import Window, days_since, in_window, trend
from journeys.exceptions import InvalidInput
from journeys.models import Card, Emotion, Journey, Lane, Opportunity
from journeys.permissions import visible_journeys
from touchpoints.models import Touchpoint

SORT_KEYS = {
    "title": lambda row: row["title"].lower(),
    "persona": lambda row: (row["persona"] or {}).get("name", "").lower() or None,
    "status": lambda row: row["status"],
    "state": lambda row: row["state"],
    "nps": lambda row: row["metrics"]["nps"],
    "nps_trend": lambda row: row["trend"]["nps"]["delta"],
    "csat": lambda row: row["metrics"]["csat"],
    "ces": lambda row: row["metrics"]["ces"],
    "team_emotion": lambda row: row["team_emotion"],
    "voc_emotion": lambda row: row["voc_emotion"],
    "pain_points": lambda row: row["pain_points"],
    "open_opportunities": lambda row: row["open_opportunities"],
    "moments_below_target": lambda row: row["moments"]["below_target"],
    "health": lambda row: row["health"]["score"],
    "responses": lambda row: row["metrics"]["responses"],
}
DEFAULT_SORT = "-health"
SPARKLINE_POINTS = 12


def portfolio_filters(params) -> dict[str, Any]:
    """?persona=<id>, ?status=, ?state= checked against what exists (bad values: 400)."""
    filters: dict[str, Any] = {}
    if persona := params.get("persona"):
        # isdigit alone takes "²" and other digits int() refuses.
        if not (str(persona).isascii() and str(persona).isdigit()):
            raise InvalidInput({"persona": "Name a persona by its id."})
        filters["persona"] = int(persona)
    for field_name, choices in (("status", Journey.Status), ("state", Journey.State)):
        if value := params.get(field_name):
            if value not in choices.values:
                raise InvalidInput({field_name: f"Choose one of {', '.join(choices.values)}."})
            filters[field_name] = value
    return filters


def portfolio_sort(rows: list[dict], sort: str) -> list[dict]:
    """Rows sorted by a column (``-`` for descending); rows without a value always go last."""
    key = sort.lstrip("-")
    if key not in SORT_KEYS:
        raise InvalidInput({"sort": f"Sort by one of {', '.join(SORT_KEYS)}."})
    pick = SORT_KEYS[key]
    known = [row for row in rows if pick(row) is not None]
    unknown = [row for row in rows if pick(row) is None]
    known.sort(key=lambda row: (pick(row), row["title"].lower()), reverse=sort.startswith("-"))
    return known + sorted(unknown, key=lambda row: row["title"].lower())


def portfolio_get(
    *, user, window: Window, filters: dict[str, Any] | None = None, sort: str = DEFAULT_SORT
) -> dict[str, Any]:
    """One health row per journey the user may see — nine queries whatever their number."""
    filters = filters or {}
    journeys = visible_journeys(user).select_related("persona").order_by("title", "pk")
    for name in ("persona", "status", "state"):
        if filters.get(name):
            journeys = journeys.filter(**{name: filters[name]})
    journeys = list(journeys)
    ids = [journey.pk for journey in journeys]
    sums = _journey_sums(ids, window)
    facts = _JourneyFacts(
        sparklines=_sparklines(ids, window),
        last_response=_last_responses(ids, window),
        team_emotion=_team_emotions(ids),
        pain_points=_pain_point_counts(ids),
        opportunities=_opportunities_by_status(ids),
    )
    rows = [_portfolio_row(journey, sums[journey.pk], facts, window) for journey in journeys]
    return {
        "window": window.as_dict(),
        "sort": sort,
        "filters": {k: filters.get(k) for k in ("persona", "status", "state")},
        "moment_nps_target": MOMENT_NPS_TARGET,
        "evidence_min_responses": EVIDENCE_MIN_RESPONSES,
        "health_formula": HEALTH_FORMULA,
        "journeys": portfolio_sort(rows, sort),
    }


# --- What a journey's touchpoints add up to -------------------------------------------------


def _zero() -> dict[str, Any]:
    return dict.fromkeys(ROLLUP_COUNTERS, 0)


def _add(into: dict[str, Any], row: dict[str, Any]) -> None:
    for name in ROLLUP_COUNTERS:
        into[name] += row.get(name) or 0


@dataclass
class _JourneySums:
    """One journey's rollup sums over the window (and the previous one), whole and per phase,
    with the counts of its touchpoints, evidenced touchpoints and moments that matter."""

    totals: dict[str, Any] = field(default_factory=_zero)
    previous_totals: dict[str, Any] = field(default_factory=_zero)
    phase_sums: dict[int, dict[str, Any]] = field(default_factory=lambda: defaultdict(_zero))
    touchpoints: int = 0
    evidenced: int = 0
    moments: dict[str, int] = field(
        default_factory=lambda: {"total": 0, "below_target": 0, "without_answers": 0}
    )

    def touchpoint_add(
        self, phase_id: int, is_moment: bool, row: dict[str, Any], previous: dict | None
    ) -> None:
        """Count in one touchpoint's sums (``previous`` is None when there is no previous
        window)."""
        _add(self.totals, row)
        _add(self.phase_sums[phase_id], row)
        if previous is not None:
            _add(self.previous_totals, previous)
        self.touchpoints += 1
        if row["responses"] >= EVIDENCE_MIN_RESPONSES:
            self.evidenced += 1
        if is_moment:
            self.moments["total"] += 1
            nps = metrics_from_sums(row).nps
            if nps is None:
                self.moments["without_answers"] += 1
            elif nps < MOMENT_NPS_TARGET:
                self.moments["below_target"] += 1


def _journey_sums(ids: list[int], window: Window) -> dict[int, _JourneySums]:
    """Per journey, in Python: journey and phase sums from its touchpoints' rows (two queries)."""
    touchpoints = list(
        Touchpoint.objects.filter(journey_id__in=ids)
        .order_by()
        .values_list("pk", "journey_id", "phase_id", "is_moment_that_matters")
    )
    current_sums, previous_sums = _touchpoint_sums(ids, window)
    has_previous = window.previous is not None
    sums: dict[int, _JourneySums] = defaultdict(_JourneySums)
    for pk, journey_id, phase_id, is_moment in touchpoints:
        sums[journey_id].touchpoint_add(
            phase_id,
            is_moment,
            current_sums.get(pk) or _zero(),
            previous_sums.get(pk, {}) if has_previous else None,
        )
    return sums


def _touchpoint_sums(ids: list[int], window: Window) -> tuple[dict[int, dict], dict[int, dict]]:
    """This window's and the previous window's rollup sums per touchpoint."""
    previous = window.previous
    # One pass over the rollups: this window's and the previous window's sums per touchpoint,
    # as two groups per touchpoint (a CASE per row is cheaper than a FILTER per sum).
    period = (
        Case(When(day__gte=window.since, then=Value(1)), default=Value(0))
        if window.since
        else Value(1)
    )
    current_sums: dict[int, dict] = {}
    previous_sums: dict[int, dict] = {}
    for row in (
        in_window(
            ResponseRollup.objects.filter(journey_id__in=ids),
            window,
            lower=previous.since if previous else None,
        )
        .annotate(current=period)
        .values("touchpoint_id", "current")
        # Prefixed: an annotation may not take the name of a field it sums.
        .annotate(**{f"sum_{name}": Sum(name) for name in ROLLUP_COUNTERS})
        .order_by()
    ):
        into = current_sums if row["current"] else previous_sums
        into[row["touchpoint_id"]] = {name: row[f"sum_{name}"] or 0 for name in ROLLUP_COUNTERS}
    return current_sums, previous_sums


# --- What else a row shows, one GROUP BY journey each ---------------------------------------


@dataclass(frozen=True)
class _JourneyFacts:
    """Per journey id: NPS sparkline, last response day, team emotion, pain points and
    opportunities by status."""

    sparklines: dict[int, list[dict[str, Any]]]
    last_response: dict[int, Any]
    team_emotion: dict[int, float]
    pain_points: dict[int, int]
    opportunities: dict[int, dict[str, int]]


def _sparklines(ids: list[int], window: Window) -> dict[int, list[dict[str, Any]]]:
    """NPS over the window (the last year for all time) in up to 12 equal spans of at least a
    week, per journey — one GROUP BY query. Spans are picked with a CASE on the day rather than
    a date-truncating function, which SQLite runs as Python, once per row."""
    if window.since is None:
        window = Window(window.until - timedelta(days=364), window.until, "")
    days = (window.until - window.since).days + 1
    span = max(7, -(-days // SPARKLINE_POINTS))
    starts = [window.until - timedelta(days=span * k - 1) for k in range(-(-days // span), 0, -1)]
    # The span a day falls in, newest first so each WHEN needs one comparison.
    span = Case(
        *(When(day__gte=start, then=Value(k)) for k, start in reversed(list(enumerate(starts)))),
        default=Value(0),
    )
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = (
        in_window(ResponseRollup.objects.filter(journey_id__in=ids), window)
        .annotate(span=span)
        .values("journey_id", "span")
        .annotate(
            nps_count=Sum("nps_count"), promoters=Sum("promoters"), detractors=Sum("detractors")
        )
        .order_by("journey_id", "span")
    )
    for row in rows:
        metrics = metrics_from_sums(row)
        if metrics.nps is not None:
            out[row["journey_id"]].append(
                {
                    "start": starts[row["span"]].isoformat(),
                    "nps": metrics.nps,
                    "n": metrics.nps_count,
                }
            )
    return out


def _last_responses(ids: list[int], window: Window) -> dict[int, Any]:
    """The last day with a response up to the window's end, per journey."""
    return dict(
        ResponseRollup.objects.filter(journey_id__in=ids, day__lte=window.until)
        .values("journey_id")
        .annotate(last=Max("day"))
        .order_by()
        .values_list("journey_id", "last")
    )


def _team_emotions(ids: list[int]) -> dict[int, float]:
    """The team's average emotion over the map's phases, per journey."""
    return dict(
        Emotion.objects.filter(journey_id__in=ids, source=Emotion.Source.TEAM)
        .values("journey_id")
        .annotate(avg=Avg("score"), n=Count("id"))
        .order_by()
        .values_list("journey_id", "avg")
    )


def _pain_point_counts(ids: list[int]) -> dict[int, int]:
    """The cards in pain-point lanes, per journey."""
    return dict(
        Card.objects.filter(journey_id__in=ids, lane__kind=Lane.Kind.PAIN_POINTS)
        .values("journey_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("journey_id", "n")
    )


def _opportunities_by_status(ids: list[int]) -> dict[int, dict[str, int]]:
    """Opportunities counted by status (every status present, 0 when none), per journey."""
    opportunities: dict[int, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(OPPORTUNITY_STATUSES, 0)
    )
    for journey_id, status, n in (
        Opportunity.objects.filter(journey_id__in=ids)
        .values("journey_id", "status")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("journey_id", "status", "n")
    ):
        opportunities[journey_id][status] = n
    return opportunities


# --- One journey's row ----------------------------------------------------------------------


def _portfolio_row(
    journey: Journey, sums: _JourneySums, facts: _JourneyFacts, window: Window
) -> dict[str, Any]:
    metrics = metrics_from_sums(sums.totals).as_dict()
    prior = metrics_from_sums(sums.previous_totals).as_dict() if window.previous else None
    voc_scores = [
        score
        for phase_sums in sums.phase_sums.values()
        if (score := voc_score(metrics_from_sums(phase_sums))) is not None
    ]
    team = facts.team_emotion.get(journey.pk)
    team = round(team, 2) if team is not None else None
    voc = average(voc_scores)
    last_response = facts.last_response.get(journey.pk)
    by_status = dict(facts.opportunities[journey.pk])
    return {
        "id": journey.pk,
        "title": journey.title,
        "url": f"/journeys/{journey.pk}/",
        "dashboard_url": f"/journeys/{journey.pk}/dashboard/",
        "persona": {"id": journey.persona_id, "name": journey.persona.name}
        if journey.persona
        else None,
        "status": journey.status,
        "status_label": journey.get_status_display(),
        "state": journey.state,
        "state_label": journey.get_state_display(),
        "is_restricted": journey.is_restricted,
        "metrics": metrics,
        "trend": trend(metrics, prior),
        "sparkline": facts.sparklines.get(journey.pk, []),
        "team_emotion": team,
        "voc_emotion": voc,
        "voc_emotion_n": len(voc_scores),
        "pain_points": facts.pain_points.get(journey.pk, 0),
        "opportunities": by_status,
        "open_opportunities": sum(by_status[s] for s in OPEN_STATUSES),
        "moments": sums.moments,
        "touchpoints": sums.touchpoints,
        "evidenced_touchpoints": sums.evidenced,
        "last_response": last_response.isoformat() if last_response is not None else None,
        "health": health_score(
            metrics=metrics,
            team_emotion=team,
            voc_emotion=voc,
            touchpoints=sums.touchpoints,
            evidenced_touchpoints=sums.evidenced,
            days_since_response=days_since(last_response, window.until),
            days_since_change=days_since(timezone.localdate(journey.updated_at), window.until),
        ),
    }
