"""Executive dashboards: the portfolio of journeys and one journey's dashboard, read-only.

Every number comes from the maps and the VoC daily rollups (``feedback.selectors``), never the
raw responses — except the handful of most negative comments, read with a LIMIT. Both reads
cost a constant number of queries whatever the number of journeys or the size of a map: the
portfolio aggregates with GROUP BY journey, the journey dashboard with one query per kind.

The health score (0–100) is one weighted mean, written once here (``health_score``) and shown
on the page as ``HEALTH_FORMULA``:

==========  ======  ===========================================================================
component   weight  value on 0–100
==========  ======  ===========================================================================
NPS         25      (NPS + 100) / 2
CSAT        15      CSAT (% satisfied)
CES         10      (7 − CES) / 6 × 100 (CES 1–7, low effort is good)
emotion     20      mean of the team's and the customers' average emotion, each (avg + 3) / 6 × 100
evidence    15      share of touchpoints with ≥ ``EVIDENCE_MIN_RESPONSES`` responses in the window
freshness   15      mean of 100 × (1 − days since the last response / 90) and
                    100 × (1 − days since the last map change / 180), each at least 0
==========  ======  ===========================================================================

A component without data (no NPS answers, no emotions, no touchpoints…) is left out and the
weights of the others are renormalised to 100. Without any of NPS, CSAT, CES and emotion there
is no score: evidence and freshness alone say nothing about how customers feel.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Avg, Case, Count, Max, Sum, Value, When
from django.utils import timezone

from feedback.models import ROLLUP_COUNTERS, ResponseRollup, SurveyResponse
from feedback.selectors import journey_metrics, metrics_from_sums
from feedback.voc import voc_score
from journeys.exceptions import InvalidInput
from journeys.models import Card, Emotion, Journey, Lane, Opportunity, Phase
from journeys.permissions import visible_journeys
from touchpoints.models import Touchpoint

# A moment that matters is "below target" when its NPS in the window is under this.
MOMENT_NPS_TARGET: float = getattr(settings, "JOURNEYBOARD_MOMENT_NPS_TARGET", 0)
# A touchpoint counts as evidenced with at least this many responses in the window.
EVIDENCE_MIN_RESPONSES: int = getattr(settings, "JOURNEYBOARD_EVIDENCE_MIN_RESPONSES", 10)
RESPONSE_STALE_DAYS = 90
MAP_STALE_DAYS = 180
NEGATIVE_COMMENTS = 10

WINDOW_PRESETS = {"30": 30, "90": 90, "365": 365, "all": None}
DEFAULT_PRESET = "90"

HEALTH_WEIGHTS = {"nps": 25, "csat": 15, "ces": 10, "emotion": 20, "evidence": 15, "freshness": 15}
HEALTH_COMPONENTS = {
    "nps": ("NPS", "(NPS + 100) / 2"),
    "csat": ("CSAT", "CSAT, % satisfied (4 or 5 of 5)"),
    "ces": ("CES", "(7 − CES) / 6 × 100 — low effort is good"),
    "emotion": ("Emotion", "mean of team and customer (VoC) average emotion, (avg + 3) / 6 × 100"),
    "evidence": (
        "Evidence",
        f"share of touchpoints with ≥ {EVIDENCE_MIN_RESPONSES} responses in the window",
    ),
    "freshness": (
        "Freshness",
        f"mean of 100 × (1 − days since last response / {RESPONSE_STALE_DAYS}) and "
        f"100 × (1 − days since last map change / {MAP_STALE_DAYS}), each ≥ 0",
    ),
}
HEALTH_FORMULA = {
    "weights": HEALTH_WEIGHTS,
    "components": [
        {"key": key, "label": label, "rule": rule, "weight": HEALTH_WEIGHTS[key]}
        for key, (label, rule) in HEALTH_COMPONENTS.items()
    ],
    "summary": (
        "Health = Σ weight × component / Σ weight, over the components that have data; "
        "a component without data is left out and the other weights are renormalised. "
        "Without any of NPS, CSAT, CES and emotion there is no score."
    ),
}

OPPORTUNITY_STATUSES = [value for value, _ in Opportunity.Status.choices]
OPEN_STATUSES = (
    Opportunity.Status.IDEA,
    Opportunity.Status.PLANNED,
    Opportunity.Status.IN_PROGRESS,
)
SCORES = ("nps", "csat", "ces")


# --- The time window ------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Days ``since``…``until`` inclusive; ``since=None`` is all time, ``until`` is today."""

    since: date | None
    until: date
    preset: str

    @property
    def previous(self) -> "Window | None":
        """The window of equal length just before this one (none for all time)."""
        if self.since is None:
            return None
        length = (self.until - self.since).days + 1
        return Window(self.since - timedelta(days=length), self.since - timedelta(days=1), "")

    @property
    def label(self) -> str:
        if self.since is None:
            return f"All time to {self.until.isoformat()}"
        return f"{self.since.isoformat()} to {self.until.isoformat()}"

    def as_dict(self) -> dict[str, Any]:
        previous = self.previous
        return {
            "preset": self.preset,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat(),
            "label": self.label,
            "previous": {"since": previous.since.isoformat(), "until": previous.until.isoformat()}
            if previous
            else None,
        }


def _parse_day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput({field: "Use a date like 2024-05-31."}) from None


def window_from_params(params, *, today: date | None = None) -> Window:
    """The window a request asks for: ``?window=30|90|365|all`` or ``?since=&until=``."""
    today = today or timezone.localdate()
    since, until = (
        _parse_day(params.get("since"), "since"),
        _parse_day(params.get("until"), "until"),
    )
    if since or until:
        until = until or today
        if since and since > until:
            raise InvalidInput({"since": "The window must start before it ends."})
        return Window(since, until, "custom")
    preset = params.get("window") or DEFAULT_PRESET
    if preset not in WINDOW_PRESETS:
        raise InvalidInput({"window": f"Choose one of {', '.join(WINDOW_PRESETS)}."})
    days = WINDOW_PRESETS[preset]
    return Window(today - timedelta(days=days - 1) if days else None, today, preset)


def portfolio_filters(params) -> dict[str, Any]:
    """?persona=<id>, ?status=, ?state= checked against what exists (bad values: 400)."""
    filters: dict[str, Any] = {}
    if persona := params.get("persona"):
        if not str(persona).isdigit():
            raise InvalidInput({"persona": "Name a persona by its id."})
        filters["persona"] = int(persona)
    for field, choices in (("status", Journey.Status), ("state", Journey.State)):
        if value := params.get(field):
            if value not in choices.values:
                raise InvalidInput({field: f"Choose one of {', '.join(choices.values)}."})
            filters[field] = value
    return filters


def _in_window(rows, window: Window, *, lower: date | None = None):
    """Rollup rows of the window's days (from ``lower`` instead, to take in the previous one)."""
    lower = lower or window.since
    if lower:
        rows = rows.filter(day__gte=lower)
    return rows.filter(day__lte=window.until)


def _start_of(day: date) -> datetime:
    # Whole days in the site's time zone, as rollups count them; a range keeps the index usable.
    return timezone.make_aware(datetime.combine(day, time.min))


# --- The health score -----------------------------------------------------------------------


def _clamp(value: float) -> float:
    return max(0.0, min(100.0, value))


def _freshness(days: int | None, stale_after: int) -> float | None:
    return None if days is None else _clamp(100 * (1 - max(0, days) / stale_after))


def health_score(
    *,
    metrics: dict[str, Any],
    team_emotion: float | None,
    voc_emotion: float | None,
    touchpoints: int,
    evidenced_touchpoints: int,
    days_since_response: int | None,
    days_since_change: int | None,
) -> dict[str, Any]:
    """The 0–100 health of a journey and each component behind it (see the module docstring)."""
    values: dict[str, tuple[float | None, str, int]] = {}
    values["nps"] = (
        None if metrics["nps"] is None else (metrics["nps"] + 100) / 2,
        f"NPS {metrics['nps']:+.0f}" if metrics["nps"] is not None else "no NPS answers",
        metrics["nps_count"],
    )
    values["csat"] = (
        metrics["csat"],
        f"CSAT {metrics['csat']:.0f}%" if metrics["csat"] is not None else "no CSAT answers",
        metrics["csat_count"],
    )
    values["ces"] = (
        None if metrics["ces"] is None else (7 - metrics["ces"]) / 6 * 100,
        f"CES {metrics['ces']:.2f}" if metrics["ces"] is not None else "no CES answers",
        metrics["ces_count"],
    )
    emotions = [e for e in (team_emotion, voc_emotion) if e is not None]
    values["emotion"] = (
        sum((e + 3) / 6 * 100 for e in emotions) / len(emotions) if emotions else None,
        " · ".join(
            f"{who} {e:+.1f}"
            for who, e in (("team", team_emotion), ("customers", voc_emotion))
            if e is not None
        )
        or "no emotions",
        len(emotions),
    )
    values["evidence"] = (
        100 * evidenced_touchpoints / touchpoints if touchpoints else None,
        f"{evidenced_touchpoints} of {touchpoints} touchpoints"
        if touchpoints
        else "no touchpoints",
        touchpoints,
    )
    fresh = [
        f
        for f in (
            _freshness(days_since_response, RESPONSE_STALE_DAYS),
            _freshness(days_since_change, MAP_STALE_DAYS),
        )
        if f is not None
    ]
    values["freshness"] = (
        sum(fresh) / len(fresh) if fresh else None,
        " · ".join(
            part
            for part in (
                f"last response {days_since_response} d ago"
                if days_since_response is not None
                else "no responses",
                f"last change {days_since_change} d ago" if days_since_change is not None else "",
            )
            if part
        ),
        len(fresh),
    )
    used = {key: value for key, (value, _, _) in values.items() if value is not None}
    total_weight = sum(HEALTH_WEIGHTS[key] for key in used)
    feeling = {"nps", "csat", "ces", "emotion"} & used.keys()
    score = (
        round(sum(HEALTH_WEIGHTS[key] * _clamp(used[key]) for key in used) / total_weight)
        if feeling
        else None
    )
    return {
        "score": score,
        "weight_used": total_weight,
        "components": [
            {
                "key": key,
                "label": HEALTH_COMPONENTS[key][0],
                "value": None if value is None else round(_clamp(value), 1),
                "weight": HEALTH_WEIGHTS[key],
                # The weight this component really carries once missing ones are left out.
                "effective_weight": round(100 * HEALTH_WEIGHTS[key] / total_weight, 1)
                if value is not None and total_weight
                else 0,
                "basis": basis,
                "n": n,
            }
            for key, (value, basis, n) in values.items()
        ],
    }


# --- Shared pieces --------------------------------------------------------------------------


def _zero() -> dict[str, Any]:
    return dict.fromkeys(ROLLUP_COUNTERS, 0)


def _add(into: dict[str, Any], row: dict[str, Any], prefix: str = "") -> None:
    for name in ROLLUP_COUNTERS:
        into[name] += row.get(prefix + name) or 0


def _trend(current: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """This window against the previous one: the change of each score (None when unknown)."""
    out = {}
    for score in SCORES:
        before = previous[score] if previous else None
        now = current[score]
        out[score] = {
            "previous": before,
            "previous_n": previous[f"{score}_count"] if previous else 0,
            "delta": None if before is None or now is None else round(now - before, 2),
        }
    return out


def _days_since(day: date | None, until: date) -> int | None:
    return None if day is None else max(0, (until - day).days)


def _average(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


# --- The portfolio --------------------------------------------------------------------------

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
    for field in ("persona", "status", "state"):
        if filters.get(field):
            journeys = journeys.filter(**{field: filters[field]})
    journeys = list(journeys)
    ids = [journey.pk for journey in journeys]
    previous = window.previous

    touchpoints = list(
        Touchpoint.objects.filter(journey_id__in=ids)
        .order_by()
        .values_list("pk", "journey_id", "phase_id", "is_moment_that_matters")
    )
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
        _in_window(
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
    sparklines = _sparklines(ids, window)
    last_response = dict(
        ResponseRollup.objects.filter(journey_id__in=ids, day__lte=window.until)
        .values("journey_id")
        .annotate(last=Max("day"))
        .order_by()
        .values_list("journey_id", "last")
    )
    team_emotion = dict(
        Emotion.objects.filter(journey_id__in=ids, source=Emotion.Source.TEAM)
        .values("journey_id")
        .annotate(avg=Avg("score"), n=Count("id"))
        .order_by()
        .values_list("journey_id", "avg")
    )
    pain_points = dict(
        Card.objects.filter(journey_id__in=ids, lane__kind=Lane.Kind.PAIN_POINTS)
        .values("journey_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("journey_id", "n")
    )
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

    # Per journey, in Python: journey and phase sums from the touchpoints' rows.
    totals: dict[int, dict] = defaultdict(_zero)
    previous_totals: dict[int, dict] = defaultdict(_zero)
    phase_sums: dict[int, dict[int, dict]] = defaultdict(lambda: defaultdict(_zero))
    touchpoint_count: dict[int, int] = defaultdict(int)
    evidenced: dict[int, int] = defaultdict(int)
    moments: dict[int, dict[str, int]] = defaultdict(
        lambda: {"total": 0, "below_target": 0, "without_answers": 0}
    )
    for pk, journey_id, phase_id, is_moment in touchpoints:
        row = current_sums.get(pk) or _zero()
        _add(totals[journey_id], row)
        _add(phase_sums[journey_id][phase_id], row)
        if previous:
            _add(previous_totals[journey_id], previous_sums.get(pk, {}))
        touchpoint_count[journey_id] += 1
        if row["responses"] >= EVIDENCE_MIN_RESPONSES:
            evidenced[journey_id] += 1
        if is_moment:
            moment = moments[journey_id]
            moment["total"] += 1
            nps = metrics_from_sums(row).nps
            if nps is None:
                moment["without_answers"] += 1
            elif nps < MOMENT_NPS_TARGET:
                moment["below_target"] += 1

    rows = []
    for journey in journeys:
        metrics = metrics_from_sums(totals[journey.pk]).as_dict()
        prior = metrics_from_sums(previous_totals[journey.pk]).as_dict() if previous else None
        voc_scores = [
            score
            for sums_ in phase_sums[journey.pk].values()
            if (score := voc_score(metrics_from_sums(sums_))) is not None
        ]
        team = team_emotion.get(journey.pk)
        team = round(team, 2) if team is not None else None
        voc = _average(voc_scores)
        days_since_response = _days_since(last_response.get(journey.pk), window.until)
        days_since_change = _days_since(timezone.localdate(journey.updated_at), window.until)
        by_status = dict(opportunities[journey.pk])
        rows.append(
            {
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
                "trend": _trend(metrics, prior),
                "sparkline": sparklines.get(journey.pk, []),
                "team_emotion": team,
                "voc_emotion": voc,
                "voc_emotion_n": len(voc_scores),
                "pain_points": pain_points.get(journey.pk, 0),
                "opportunities": by_status,
                "open_opportunities": sum(by_status[s] for s in OPEN_STATUSES),
                "moments": moments[journey.pk],
                "touchpoints": touchpoint_count[journey.pk],
                "evidenced_touchpoints": evidenced[journey.pk],
                "last_response": last_response[journey.pk].isoformat()
                if journey.pk in last_response
                else None,
                "health": health_score(
                    metrics=metrics,
                    team_emotion=team,
                    voc_emotion=voc,
                    touchpoints=touchpoint_count[journey.pk],
                    evidenced_touchpoints=evidenced[journey.pk],
                    days_since_response=days_since_response,
                    days_since_change=days_since_change,
                ),
            }
        )
    return {
        "window": window.as_dict(),
        "sort": sort,
        "filters": {k: filters.get(k) for k in ("persona", "status", "state")},
        "moment_nps_target": MOMENT_NPS_TARGET,
        "evidence_min_responses": EVIDENCE_MIN_RESPONSES,
        "health_formula": HEALTH_FORMULA,
        "journeys": portfolio_sort(rows, sort),
    }


SPARKLINE_POINTS = 12


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
        _in_window(ResponseRollup.objects.filter(journey_id__in=ids), window)
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


# --- One journey's dashboard ----------------------------------------------------------------


def journey_dashboard_get(
    *, journey: Journey, since: date | None = None, until: date | None = None
) -> dict[str, Any]:
    """Everything a journey's dashboard shows, for whoever may see it (no user in here: a share
    link can serve the same data). Eleven queries whatever the map's size."""
    window = Window(since, until or timezone.localdate(), "custom")
    previous = window.previous
    phases = list(Phase.objects.filter(journey_id=journey.pk).order_by("position", "pk"))
    touchpoints = list(
        Touchpoint.objects.filter(journey_id=journey.pk).order_by(
            "phase__position", "position", "pk"
        )
    )
    emotions = list(Emotion.objects.filter(journey_id=journey.pk).order_by())
    opportunities = list(
        Opportunity.objects.filter(journey_id=journey.pk)
        .select_related("owner")
        .order_by("-priority", "due_date", "pk")
    )
    voc = journey_metrics(journey_id=journey.pk, since=window.since, until=window.until)
    prior = None
    if previous:
        prior_sums = ResponseRollup.objects.filter(
            journey_id=journey.pk, day__gte=previous.since, day__lte=previous.until
        ).aggregate(**{name: Sum(name) for name in ROLLUP_COUNTERS})
        prior = metrics_from_sums(prior_sums).as_dict()
    last_day = ResponseRollup.objects.filter(
        journey_id=journey.pk, day__lte=window.until
    ).aggregate(last=Max("day"))["last"]
    pain_points = Card.objects.filter(
        journey_id=journey.pk, lane__kind=Lane.Kind.PAIN_POINTS
    ).count()
    # The only read of raw responses: a few comments, through the (touchpoint, date) index.
    comments = SurveyResponse.objects.filter(
        touchpoint_id__in=[t.pk for t in touchpoints],
        sentiment__lt=0,
        submitted_at__lt=_start_of(window.until + timedelta(days=1)),
    ).exclude(comment="")
    if window.since:
        comments = comments.filter(submitted_at__gte=_start_of(window.since))
    comments = comments.order_by("sentiment", "-submitted_at", "pk")[:NEGATIVE_COMMENTS]
    comment_rows = list(
        comments.values(
            "id", "touchpoint_id", "submitted_at", "comment", "sentiment", "nps", "csat", "ces"
        )
    )

    empty = metrics_from_sums({}).as_dict()
    team = {e.phase_id: e for e in emotions if e.source == Emotion.Source.TEAM}
    phase_rows = []
    for phase in phases:
        metrics = voc["phases"].get(str(phase.pk), empty)
        score = voc_score(metrics) if metrics["responses"] else None
        emotion = team.get(phase.pk)
        phase_rows.append(
            {
                "id": phase.pk,
                "name": phase.name,
                "team_emotion": emotion.score if emotion else None,
                "team_label": emotion.label if emotion else "",
                "voc_emotion": score,
                "voc_n": metrics["responses"],
                "metrics": metrics,
            }
        )
    phase_names = {phase.pk: phase.name for phase in phases}
    touchpoint_rows = []
    evidenced = 0
    for touchpoint in touchpoints:
        metrics = voc["touchpoints"].get(str(touchpoint.pk), empty)
        evidenced += metrics["responses"] >= EVIDENCE_MIN_RESPONSES
        touchpoint_rows.append(
            {
                "id": touchpoint.pk,
                "name": touchpoint.name,
                "phase": touchpoint.phase_id,
                "phase_name": phase_names.get(touchpoint.phase_id, ""),
                "channel": touchpoint.get_channel_display(),
                "is_moment_that_matters": touchpoint.is_moment_that_matters,
                "below_target": touchpoint.is_moment_that_matters
                and metrics["nps"] is not None
                and metrics["nps"] < MOMENT_NPS_TARGET,
                "metrics": metrics,
            }
        )
    touchpoint_names = {t.pk: t.name for t in touchpoints}
    today = timezone.localdate()
    by_status = dict.fromkeys(OPPORTUNITY_STATUSES, 0)
    opportunity_rows = []
    for opportunity in opportunities:
        by_status[opportunity.status] += 1
        owner = opportunity.owner
        opportunity_rows.append(
            {
                "id": opportunity.pk,
                "title": opportunity.title,
                "phase": opportunity.phase_id,
                "phase_name": phase_names.get(opportunity.phase_id, ""),
                "touchpoint_name": touchpoint_names.get(opportunity.touchpoint_id, ""),
                "status": opportunity.status,
                "status_label": opportunity.get_status_display(),
                "impact": opportunity.impact,
                "effort": opportunity.effort,
                "priority": opportunity.impact * (6 - opportunity.effort),
                "owner": (owner.get_full_name() or owner.username) if owner else None,
                "due_date": opportunity.due_date.isoformat() if opportunity.due_date else None,
                "overdue": bool(
                    opportunity.due_date
                    and opportunity.due_date < today
                    and opportunity.status in OPEN_STATUSES
                ),
                "kpi": opportunity.kpi,
                "target": opportunity.target,
            }
        )

    metrics = voc["journey_metrics"]
    team_avg = _average([p["team_emotion"] for p in phase_rows if p["team_emotion"] is not None])
    voc_avg = _average([p["voc_emotion"] for p in phase_rows if p["voc_emotion"] is not None])
    moments = [t for t in touchpoint_rows if t["is_moment_that_matters"]]
    persona = journey.persona
    return {
        "journey": {
            "id": journey.pk,
            "title": journey.title,
            "status": journey.status,
            "status_label": journey.get_status_display(),
            "state": journey.state,
            "state_label": journey.get_state_display(),
            "persona": {"id": persona.pk, "name": persona.name, "role": persona.role}
            if persona
            else None,
            "updated_at": journey.updated_at.isoformat(),
        },
        "revision": journey.revision,
        "window": window.as_dict(),
        "metrics": metrics,
        "trend": _trend(metrics, prior),
        "monthly": voc["trend"],
        "team_emotion": team_avg,
        "voc_emotion": voc_avg,
        "phases": phase_rows,
        "touchpoints": touchpoint_rows,
        "comments": [
            {
                **row,
                "submitted_at": row["submitted_at"].isoformat(),
                "touchpoint_name": touchpoint_names.get(row["touchpoint_id"], ""),
            }
            for row in comment_rows
        ],
        "pain_points": pain_points,
        "opportunities": opportunity_rows,
        "opportunities_by_status": by_status,
        "moments": {
            "total": len(moments),
            "below_target": sum(t["below_target"] for t in moments),
            "without_answers": sum(t["metrics"]["nps"] is None for t in moments),
        },
        "moment_nps_target": MOMENT_NPS_TARGET,
        "evidence_min_responses": EVIDENCE_MIN_RESPONSES,
        "health": health_score(
            metrics=metrics,
            team_emotion=team_avg,
            voc_emotion=voc_avg,
            touchpoints=len(touchpoints),
            evidenced_touchpoints=evidenced,
            days_since_response=_days_since(last_day, window.until),
            days_since_change=_days_since(timezone.localdate(journey.updated_at), window.until),
        ),
        "health_formula": HEALTH_FORMULA,
    }
