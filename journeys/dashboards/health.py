"""A journey's health, and the targets the dashboards measure a journey against.

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

from typing import Any

from django.conf import settings

from journeys.models import Opportunity

# A moment that matters is "below target" when its NPS in the window is under this.
MOMENT_NPS_TARGET: float = getattr(settings, "JOURNEYBOARD_MOMENT_NPS_TARGET", 0)
# A touchpoint counts as evidenced with at least this many responses in the window.
EVIDENCE_MIN_RESPONSES: int = getattr(settings, "JOURNEYBOARD_EVIDENCE_MIN_RESPONSES", 10)
RESPONSE_STALE_DAYS = 90
MAP_STALE_DAYS = 180

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
# Opportunities still to act on: counted as open, and the only ones that can be overdue.
OPEN_STATUSES = (
    Opportunity.Status.IDEA,
    Opportunity.Status.PLANNED,
    Opportunity.Status.IN_PROGRESS,
)


def _clamp(value: float) -> float:
    return max(0.0, min(100.0, value))


def _freshness(days: int | None, stale_after: int) -> float | None:
    return None if days is None else _clamp(100 * (1 - max(0, days) / stale_after))


# A component: its value on 0–100 (None without data), what it is based on, and how many.
Component = tuple[float | None, str, int]


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
    values: dict[str, Component] = {
        **_survey_components(metrics),
        "emotion": _emotion_component(team_emotion, voc_emotion),
        "evidence": _evidence_component(touchpoints, evidenced_touchpoints),
        "freshness": _freshness_component(days_since_response, days_since_change),
    }
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


def _survey_components(metrics: dict[str, Any]) -> dict[str, Component]:
    return {
        "nps": (
            None if metrics["nps"] is None else (metrics["nps"] + 100) / 2,
            f"NPS {metrics['nps']:+.0f}" if metrics["nps"] is not None else "no NPS answers",
            metrics["nps_count"],
        ),
        "csat": (
            metrics["csat"],
            f"CSAT {metrics['csat']:.0f}%" if metrics["csat"] is not None else "no CSAT answers",
            metrics["csat_count"],
        ),
        "ces": (
            None if metrics["ces"] is None else (7 - metrics["ces"]) / 6 * 100,
            f"CES {metrics['ces']:.2f}" if metrics["ces"] is not None else "no CES answers",
            metrics["ces_count"],
        ),
    }


def _emotion_component(team_emotion: float | None, voc_emotion: float | None) -> Component:
    emotions = [e for e in (team_emotion, voc_emotion) if e is not None]
    return (
        sum((e + 3) / 6 * 100 for e in emotions) / len(emotions) if emotions else None,
        " · ".join(
            f"{who} {e:+.1f}"
            for who, e in (("team", team_emotion), ("customers", voc_emotion))
            if e is not None
        )
        or "no emotions",
        len(emotions),
    )


def _evidence_component(touchpoints: int, evidenced_touchpoints: int) -> Component:
    return (
        100 * evidenced_touchpoints / touchpoints if touchpoints else None,
        f"{evidenced_touchpoints} of {touchpoints} touchpoints"
        if touchpoints
        else "no touchpoints",
        touchpoints,
    )


def _freshness_component(
    days_since_response: int | None, days_since_change: int | None
) -> Component:
    fresh = [
        f
        for f in (
            _freshness(days_since_response, RESPONSE_STALE_DAYS),
            _freshness(days_since_change, MAP_STALE_DAYS),
        )
        if f is not None
    ]
    return (
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


def average(values: list[float]) -> float | None:
    """The mean of the emotions (or scores) that exist, to two places; None without any."""
    return round(sum(values) / len(values), 2) if values else None
