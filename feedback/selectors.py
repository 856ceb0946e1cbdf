"""Reading what customers said: metrics per touchpoint, phase and journey over a time window,
from the daily rollups only (never the raw responses), and the comments behind them.

Margin of error: a 95% normal-approximation interval, 1.96 × standard error.
- NPS: each answer scores +100 (promoter), 0 (passive) or −100 (detractor); the standard error
  is that score's standard deviation over √n: 100·√((p + d − (p − d)²) / n).
- CSAT: a proportion, 100·√(p(1 − p) / n).
- CES: a mean, s / √n with the sample standard deviation s from the sums of squares.
With n < 2 there is no interval (None).
"""

import math
import operator
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import reduce
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from feedback.models import (
    MAPPED_FIELDS,
    ROLLUP_COUNTERS,
    MonthlyRollup,
    ResponseRollup,
    SurveyResponse,
    SurveySource,
)
from journeys.permissions import is_admin, visible_journeys

Z_95 = 1.96


@dataclass
class Metrics:
    responses: int
    nps: float | None
    nps_margin: float | None
    nps_count: int
    csat: float | None
    csat_margin: float | None
    csat_count: int
    ces: float | None
    ces_margin: float | None
    ces_count: int
    sentiment: float | None
    sentiment_count: int

    def as_dict(self) -> dict[str, Any]:
        # Flat values only: a shallow copy (dataclasses.asdict deep-copies every value, which
        # was most of a map's metrics read).
        return dict(vars(self))


def metrics_from_sums(s: dict[str, Any]) -> Metrics:
    """NPS, CSAT, CES and sentiment, with margins of error, from summed rollup counters."""
    s = {k: s.get(k) or 0 for k in ROLLUP_COUNTERS}
    nps = nps_margin = csat = csat_margin = ces = ces_margin = sentiment = None
    if n := s["nps_count"]:
        p, d = s["promoters"] / n, s["detractors"] / n
        nps = round(100 * (p - d), 1)
        if n > 1:
            nps_margin = round(Z_95 * 100 * math.sqrt(max(0.0, p + d - (p - d) ** 2) / n), 1)
    if n := s["csat_count"]:
        p = s["csat_satisfied"] / n
        csat = round(100 * p, 1)
        if n > 1:
            csat_margin = round(Z_95 * 100 * math.sqrt(p * (1 - p) / n), 1)
    if n := s["ces_count"]:
        mean = s["ces_sum"] / n
        ces = round(mean, 2)
        if n > 1:
            variance = max(0.0, (s["ces_sum_squares"] - n * mean * mean) / (n - 1))
            ces_margin = round(Z_95 * math.sqrt(variance / n), 2)
    if s["sentiment_count"]:
        sentiment = round(s["sentiment_sum"] / s["sentiment_count"], 3)
    return Metrics(
        responses=s["responses"],
        nps=nps,
        nps_margin=nps_margin,
        nps_count=s["nps_count"],
        csat=csat,
        csat_margin=csat_margin,
        csat_count=s["csat_count"],
        ces=ces,
        ces_margin=ces_margin,
        ces_count=s["ces_count"],
        sentiment=sentiment,
        sentiment_count=s["sentiment_count"],
    )


def _window(rows: QuerySet, since: date | None, until: date | None) -> QuerySet:
    if since:
        rows = rows.filter(day__gte=since)
    if until:
        rows = rows.filter(day__lte=until)
    return rows


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _window_split(
    journey_id: int, since: date | None, until: date | None
) -> tuple[QuerySet | None, QuerySet | None]:
    """The window's whole months (monthly rollups, ordered by nothing) and the days of its
    partial first and last months (daily rollups); None where the window has none."""
    # Whole months are those from first_whole up to (not including) after_whole.
    first_whole = since if since is None or since.day == 1 else _next_month(since)
    after_whole = None
    if until is not None:
        after_whole = _next_month(until)
        if after_whole - timedelta(days=1) != until:  # until is not a month's last day
            after_whole = until.replace(day=1)
    if first_whole and after_whole and first_whole >= after_whole:  # no whole month inside
        daily = _window(ResponseRollup.objects.filter(journey_id=journey_id), since, until)
        return None, daily.order_by()
    months = MonthlyRollup.objects.filter(journey_id=journey_id)
    if first_whole:
        months = months.filter(month__gte=first_whole)
    if after_whole:
        months = months.filter(month__lt=after_whole)
    edges = []
    if since is not None and since != first_whole:
        edges.append(Q(day__lt=first_whole))
    if until is not None and after_whole != until + timedelta(days=1):
        edges.append(Q(day__gte=after_whole))
    daily = None
    if edges:
        daily = _window(ResponseRollup.objects.filter(journey_id=journey_id), since, until)
        daily = daily.filter(reduce(operator.or_, edges)).order_by()
    return months.order_by(), daily


def journey_metrics(
    *, journey_id: int, since: date | None = None, until: date | None = None
) -> dict[str, Any]:
    """Metrics per touchpoint, per phase and for the whole journey, plus a monthly trend.

    At most three queries over the rollups, whatever the number of responses: the months the
    window holds whole, by touchpoint and by month, from the monthly rollups; the days of its
    partial first and last months, by touchpoint and month, from the daily ones."""
    sums = {name: Sum(name) for name in ROLLUP_COUNTERS}
    whole_months, edge_days = _window_split(journey_id, since, until)
    by_touchpoint: dict[int, dict[str, Any]] = {}
    by_phase: dict[int, dict[str, Any]] = {}
    by_month: dict[date, dict[str, Any]] = {}
    total: dict[str, Any] = dict.fromkeys(ROLLUP_COUNTERS, 0)

    def add(into: dict[Any, dict[str, Any]], key: Any, row: dict[str, Any]) -> None:
        bucket = into.setdefault(key, dict.fromkeys(ROLLUP_COUNTERS, 0))
        for name in ROLLUP_COUNTERS:
            bucket[name] += row[name] or 0

    touchpoint_rows = []
    if whole_months is not None:
        touchpoint_rows += whole_months.values("touchpoint_id", "touchpoint__phase_id").annotate(
            **sums
        )
        for row in whole_months.values("month").annotate(**sums):
            add(by_month, row["month"], row)
    if edge_days is not None:
        for row in (
            edge_days.annotate(month=TruncMonth("day"))
            .values("touchpoint_id", "touchpoint__phase_id", "month")
            .annotate(**sums)
        ):
            touchpoint_rows.append(row)
            add(by_month, row["month"], row)
    for row in touchpoint_rows:
        add(by_touchpoint, row["touchpoint_id"], row)
        add(by_phase, row["touchpoint__phase_id"], row)
        for name in ROLLUP_COUNTERS:
            total[name] += row[name] or 0
    trend = [
        {"month": month.isoformat(), **metrics_from_sums(by_month[month]).as_dict()}
        for month in sorted(by_month)
    ]
    return {
        "journey": journey_id,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "journey_metrics": metrics_from_sums(total).as_dict(),
        "phases": {str(k): metrics_from_sums(v).as_dict() for k, v in by_phase.items()},
        "touchpoints": {str(k): metrics_from_sums(v).as_dict() for k, v in by_touchpoint.items()},
        "trend": trend,
    }


def touchpoint_comments(*, touchpoint_id: int, limit: int = 5) -> dict[str, list[dict]]:
    """The most negative and the most positive comments, newest first among equals."""
    scored = SurveyResponse.objects.filter(
        touchpoint_id=touchpoint_id, sentiment__isnull=False
    ).exclude(comment="")
    fields = ("id", "external_id", "submitted_at", "comment", "sentiment", "nps", "csat", "ces")
    return {
        "negative": list(
            scored.filter(sentiment__lt=0)
            .order_by("sentiment", "-submitted_at")
            .values(*fields)[:limit]
        ),
        "positive": list(
            scored.filter(sentiment__gt=0)
            .order_by("-sentiment", "-submitted_at")
            .values(*fields)[:limit]
        ),
    }


def unmatched_groups(*, source_id: int) -> list[dict[str, Any]]:
    """Unmatched responses of a source grouped by what they named, largest group first."""
    return list(
        SurveyResponse.objects.filter(source_id=source_id, touchpoint__isnull=True)
        .values("touchpoint_code", "channel", "phase_name")
        .annotate(responses=Count("id"))
        .order_by("-responses", "touchpoint_code", "channel", "phase_name")[:200]
    )


# The responses export's columns: the import's own, so the file can go back in, then what
# Journeyboard made of each response.
RESPONSES_EXPORT_HEADER = (
    *MAPPED_FIELDS,
    "matched_touchpoint",
    "matched_touchpoint_name",
    "sentiment",
)
# Where a response keeps each imported field, when the name differs.
_STORED_AS = {"response_id": "external_id", "touchpoint": "touchpoint_code", "phase": "phase_name"}


def source_responses_export(*, source_id: int, chunk_size: int = 2000) -> Iterator[tuple]:
    """Every response of a source, oldest first, in ``RESPONSES_EXPORT_HEADER``'s order.

    One query, read ``chunk_size`` rows at a time (a server-side cursor on PostgreSQL), so a
    million responses cost neither a million objects nor more queries."""
    return (
        SurveyResponse.objects.filter(source_id=source_id)
        .order_by("submitted_at", "pk")
        .values_list(
            *(_STORED_AS.get(field, field) for field in MAPPED_FIELDS),
            "touchpoint__code",
            "touchpoint__name",
            "sentiment",
        )
        .iterator(chunk_size=chunk_size)
    )


def survey_sources_visible(user) -> QuerySet:
    """The sources of the maps the user may see; shared sources for admins only."""
    shared = Q(journey__isnull=True) if is_admin(user) else Q(pk__in=[])
    return SurveySource.objects.filter(Q(journey__in=visible_journeys(user)) | shared)


def survey_template_rows(*, journey_id: int) -> list[tuple]:
    """One example row per touchpoint of the map (its code and phase), in the columns an
    import reads (``MAPPED_FIELDS``), in one query; one row naming no touchpoint for a map
    that has none."""
    from touchpoints.models import Touchpoint

    touchpoints = (
        Touchpoint.objects.filter(journey_id=journey_id)
        .order_by("phase__position", "position", "id")
        .values_list("code", "name", "channel", "phase__name")
    )
    rows = [
        (
            f"example-{number}",
            "2024-05-01T10:00:00Z",
            9,
            5,
            2,
            f"An example comment about {name}",
            channel,
            code,
            phase,
        )
        for number, (code, name, channel, phase) in enumerate(touchpoints, start=1)
    ]
    example = ("example-1", "2024-05-01T10:00:00Z", 9, 5, 2, "An example comment", "", "", "")
    return rows or [example]
