"""One journey's dashboard: its scores, phases, touchpoints, opportunities and the most negative
comments over a window, for whoever may see the map (a share link serves the same data).

Every number comes from the map and the VoC rollups, except the few negative comments, read
from the raw responses with a LIMIT; eleven queries whatever the map's size.
"""

from datetime import date, timedelta
from typing import Any

from django.db.models import Max, Sum
from django.utils import timezone

from feedback.models import ROLLUP_COUNTERS, ResponseRollup, SurveyResponse
from feedback.selectors import journey_metrics, metrics_from_sums
from feedback.voc import emotion_differs
from journeys.dashboards.health import (
    EVIDENCE_MIN_RESPONSES,
    HEALTH_FORMULA,
    MOMENT_NPS_TARGET,
    OPEN_STATUSES,
    OPPORTUNITY_STATUSES,
    average,
    health_score,
)
from journeys.dashboards.window import Window, days_since, start_of_day, trend
from journeys.models import Card, Emotion, Journey, Lane, Opportunity, Phase
from touchpoints.models import Touchpoint

NEGATIVE_COMMENTS = 10


def journey_dashboard_get(
    *,
    journey: Journey,
    since: date | None = None,
    until: date | None = None,
    preset: str = "custom",
) -> dict[str, Any]:
    """Everything a journey's dashboard shows, for whoever may see it (no user in here: a share
    link can serve the same data). Eleven queries whatever the map's size."""
    window = Window(since, until or timezone.localdate(), preset)
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
    prior = _previous_window_metrics(journey, window)
    last_day = ResponseRollup.objects.filter(
        journey_id=journey.pk, day__lte=window.until
    ).aggregate(last=Max("day"))["last"]
    pain_points = Card.objects.filter(
        journey_id=journey.pk, lane__kind=Lane.Kind.PAIN_POINTS
    ).count()
    comments = _negative_comments(touchpoints, window)

    phase_names = {phase.pk: phase.name for phase in phases}
    touchpoint_names = {t.pk: t.name for t in touchpoints}
    phase_rows = _phase_rows(phases, emotions, voc)
    touchpoint_rows = _touchpoint_rows(touchpoints, voc, phase_names)
    today = timezone.localdate()
    opportunity_rows = [
        _opportunity_row(o, phase_names, touchpoint_names, today) for o in opportunities
    ]
    by_status = dict.fromkeys(OPPORTUNITY_STATUSES, 0)
    for opportunity in opportunities:
        by_status[opportunity.status] += 1

    metrics = voc["journey_metrics"]
    team_avg = average([p["team_emotion"] for p in phase_rows if p["team_emotion"] is not None])
    voc_avg = average([p["voc_emotion"] for p in phase_rows if p["voc_emotion"] is not None])
    evidenced = sum(t["metrics"]["responses"] >= EVIDENCE_MIN_RESPONSES for t in touchpoint_rows)
    return {
        "journey": _journey_summary(journey),
        "revision": journey.revision,
        "window": window.as_dict(),
        "metrics": metrics,
        "trend": trend(metrics, prior),
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
            for row in comments
        ],
        "pain_points": pain_points,
        "opportunities": opportunity_rows,
        "opportunities_by_status": by_status,
        "moments": _moments_summary(touchpoint_rows),
        "moment_nps_target": MOMENT_NPS_TARGET,
        "evidence_min_responses": EVIDENCE_MIN_RESPONSES,
        "health": health_score(
            metrics=metrics,
            team_emotion=team_avg,
            voc_emotion=voc_avg,
            touchpoints=len(touchpoints),
            evidenced_touchpoints=evidenced,
            days_since_response=days_since(last_day, window.until),
            days_since_change=days_since(timezone.localdate(journey.updated_at), window.until),
        ),
        "health_formula": HEALTH_FORMULA,
    }


def _previous_window_metrics(journey: Journey, window: Window) -> dict[str, Any] | None:
    """The journey's scores over the previous window, for the trends (none for all time)."""
    previous = window.previous
    if previous is None:
        return None
    sums = ResponseRollup.objects.filter(
        journey_id=journey.pk, day__gte=previous.since, day__lte=previous.until
    ).aggregate(**{name: Sum(name) for name in ROLLUP_COUNTERS})
    return metrics_from_sums(sums).as_dict()


def _negative_comments(touchpoints: list[Touchpoint], window: Window) -> list[dict[str, Any]]:
    """The most negative comments of the window on the map's touchpoints, worst first."""
    # The only read of raw responses: a few comments, through the (touchpoint, date) index.
    comments = SurveyResponse.objects.filter(
        touchpoint_id__in=[t.pk for t in touchpoints],
        sentiment__lt=0,
        submitted_at__lt=start_of_day(window.until + timedelta(days=1)),
    ).exclude(comment="")
    if window.since:
        comments = comments.filter(submitted_at__gte=start_of_day(window.since))
    comments = comments.order_by("sentiment", "-submitted_at", "pk")[:NEGATIVE_COMMENTS]
    return list(
        comments.values(
            "id", "touchpoint_id", "submitted_at", "comment", "sentiment", "nps", "csat", "ces"
        )
    )


def _phase_rows(
    phases: list[Phase], emotions: list[Emotion], voc: dict[str, Any]
) -> list[dict[str, Any]]:
    """Each phase with the team's emotion beside the customers' (VoC) and its scores."""
    empty = metrics_from_sums({}).as_dict()
    team = {e.phase_id: e for e in emotions if e.source == Emotion.Source.TEAM}
    rows = []
    for phase in phases:
        metrics = voc["phases"].get(str(phase.pk), empty)
        emotion = team.get(phase.pk)
        team_score = emotion.score if emotion else None
        voc_emotion = metrics.get("voc_emotion")
        rows.append(
            {
                "id": phase.pk,
                "name": phase.name,
                "team_emotion": team_score,
                "team_label": emotion.label if emotion else "",
                "voc_emotion": voc_emotion,
                "voc_n": metrics["responses"],
                # The editor flags the same phases, from the same window's numbers.
                "differs": emotion_differs(team_score, voc_emotion),
                "metrics": metrics,
            }
        )
    return rows


def _touchpoint_rows(
    touchpoints: list[Touchpoint], voc: dict[str, Any], phase_names: dict[int, str]
) -> list[dict[str, Any]]:
    """Each touchpoint with its scores; a moment that matters says whether it is below target."""
    empty = metrics_from_sums({}).as_dict()
    rows = []
    for touchpoint in touchpoints:
        metrics = voc["touchpoints"].get(str(touchpoint.pk), empty)
        rows.append(
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
    return rows


def _opportunity_row(
    opportunity: Opportunity,
    phase_names: dict[int, str],
    touchpoint_names: dict[int, str],
    today: date,
) -> dict[str, Any]:
    owner = opportunity.owner
    return {
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


def _moments_summary(touchpoint_rows: list[dict[str, Any]]) -> dict[str, int]:
    """How many moments that matter there are, how many are below target, how many unanswered."""
    moments = [t for t in touchpoint_rows if t["is_moment_that_matters"]]
    return {
        "total": len(moments),
        "below_target": sum(t["below_target"] for t in moments),
        "without_answers": sum(t["metrics"]["nps"] is None for t in moments),
    }


def _journey_summary(journey: Journey) -> dict[str, Any]:
    persona = journey.persona
    return {
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
    }
