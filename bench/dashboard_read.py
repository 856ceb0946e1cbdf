"""Benchmark: the dashboards' reads on a portfolio of 200 journeys with a year of VoC rollups.

Each journey has 5 phases and 10 touchpoints (3 of them moments that matter), one rollup row
per touchpoint and day for 365 days (730,000 rows in all), emotions, pain points and
opportunities. Prints the SQL query count and the median / p95 time of
``GET /api/dashboards/portfolio/`` (90 days and all time) and of one journey's
``GET /api/journeys/{id}/dashboard/``, in process through Django's full request stack.
Runs on a throw-away test database of whatever ``DATABASE_URL`` names (SQLite by default).
"""

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

JOURNEYS, PHASES, TOUCHPOINTS, DAYS = 200, 5, 10, 365
RUNS = 10


def build_portfolio():
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from feedback.models import ResponseRollup
    from feedback.writer import monthly_rollups_rebuild
    from journeys.models import Card, Emotion, Journey, Lane, Opportunity, Phase
    from journeys.positions import GAP
    from journeys.roles import ensure_role_groups
    from touchpoints.models import Touchpoint

    ensure_role_groups()
    user = get_user_model().objects.create_user("bench-viewer", password="bench-pass")
    journeys = Journey.objects.bulk_create(
        Journey(title=f"Journey {i:03d}", owner=user) for i in range(JOURNEYS)
    )
    phases = Phase.objects.bulk_create(
        Phase(journey=j, name=f"Phase {p}", position=(p + 1) * GAP)
        for j in journeys
        for p in range(PHASES)
    )
    lanes = Lane.objects.bulk_create(
        Lane(journey=j, name=kind, kind=kind, position=(k + 1) * GAP)
        for j in journeys
        for k, kind in enumerate(("touchpoints", "pain_points"))
    )
    phase_of = {(p.journey_id, n % PHASES): p for n, p in enumerate(phases)}
    lane_of = {(lane.journey_id, lane.kind): lane for lane in lanes}
    touchpoints = Touchpoint.objects.bulk_create(
        Touchpoint(
            journey=j,
            phase=phase_of[(j.pk, t % PHASES)],
            lane=lane_of[(j.pk, "touchpoints")],
            name=f"Touchpoint {t}",
            code=f"tp-{t}",
            is_moment_that_matters=t < 3,
            position=(t + 1) * GAP,
        )
        for j in journeys
        for t in range(TOUCHPOINTS)
    )
    Card.objects.bulk_create(
        Card(journey=j, phase=phase_of[(j.pk, c)], lane=lane_of[(j.pk, "pain_points")], text="Pain")
        for j in journeys
        for c in range(3)
    )
    Emotion.objects.bulk_create(
        Emotion(journey=j, phase=phase_of[(j.pk, p)], score=p - 2)
        for j in journeys
        for p in range(PHASES)
    )
    Opportunity.objects.bulk_create(
        Opportunity(journey=j, phase=phase_of[(j.pk, o)], title="Idea", status=status)
        for j in journeys
        for o, status in enumerate(("idea", "planned", "in_progress", "done"))
    )
    today = timezone.localdate()
    for chunk in range(0, len(touchpoints), 50):
        ResponseRollup.objects.bulk_create(
            (
                ResponseRollup(
                    touchpoint=t,
                    journey_id=t.journey_id,
                    day=today - timedelta(days=d),
                    responses=3,
                    nps_count=3,
                    promoters=1 + (d + t.pk) % 2,
                    detractors=1,
                    csat_count=3,
                    csat_satisfied=2,
                    ces_count=3,
                    ces_sum=9,
                    ces_sum_squares=29,
                )
                for t in touchpoints[chunk : chunk + 50]
                for d in range(DAYS)
            ),
            batch_size=5000,
        )
    monthly_rollups_rebuild([t.pk for t in touchpoints])  # as imports leave them
    return user, journeys[0]


def timed(fn, runs: int) -> list[float]:
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    setup_test_environment()
    if not connection.settings_dict.get("OPTIONS", {}).get("pool"):
        connection.settings_dict["CONN_MAX_AGE"] = None
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = f"journeyboard_bench_{connection.vendor}"
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = None  # in memory
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        start = time.perf_counter()
        viewer, journey = build_portfolio()
        print(f"database: {connection.vendor} (built in {time.perf_counter() - start:.0f} s)")
        print(
            f"portfolio: {JOURNEYS} journeys × {TOUCHPOINTS} touchpoints, "
            f"{JOURNEYS * TOUCHPOINTS * DAYS:,} daily rollups"
        )
        client = APIClient()
        client.force_authenticate(viewer)
        for url in (
            "/api/dashboards/portfolio/?window=90",
            "/api/dashboards/portfolio/?window=all",
            f"/api/journeys/{journey.pk}/dashboard/?window=90",
        ):
            queries: list[str] = []

            def count(execute, sql, params, many, context, queries=queries):
                queries.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                response = client.get(url)
            assert response.status_code == 200, response.content[:200]
            samples = timed(lambda url=url: client.get(url), RUNS)
            p95 = statistics.quantiles(samples, n=20)[-1]
            print(f"GET {url}: {len(queries)} SQL queries, {len(response.content) / 1024:.0f} KiB")
            print(
                f"  median {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms   ({RUNS} runs)"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
