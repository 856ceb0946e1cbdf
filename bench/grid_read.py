"""Benchmark: read a 12-phase × 8-lane map with 1,000 cards and 100 touchpoints.

Prints the SQL query count and the median / p95 time of ``GET /api/journeys/{id}/`` (in
process, through Django's full request stack), beside a floor measured in the same run: the
same rows fetched with ``.values()`` and dumped to JSON with no serializer. Compare the ratio.
Runs on a throw-away test database of whatever ``DATABASE_URL`` names (SQLite by default).
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from bench.common import CARDS, LANES, PHASES, TOUCHPOINTS, build_map  # noqa: E402

RUNS = 30


def floor_read(journey_id: int) -> str:
    """The least work that returns the same rows: values() per kind and json.dumps."""
    from journeys.models import Card, Emotion, Journey, Lane, Opportunity, Phase
    from touchpoints.models import Touchpoint

    data = {
        "journey": list(Journey.objects.filter(pk=journey_id).values()),
        **{
            model.__name__: list(model.objects.filter(journey_id=journey_id).values())
            for model in (Phase, Lane, Card, Touchpoint, Emotion, Opportunity)
        },
    }
    return json.dumps(data, default=str)


def timed(fn, runs: int) -> list[float]:
    for _ in range(3):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    setup_test_environment()
    # Keep one connection across requests, as a pooled production server would; otherwise the
    # figure is mostly PostgreSQL's connection set-up.
    if not connection.settings_dict.get("OPTIONS", {}).get("pool"):  # a pool keeps them anyway
        connection.settings_dict["CONN_MAX_AGE"] = None
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = f"journeyboard_bench_{connection.vendor}"
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = None  # in memory
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        journey, viewer = build_map()
        client = APIClient()
        client.force_authenticate(viewer)
        url = f"/api/journeys/{journey.pk}/"

        queries: list[str] = []

        def count(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = client.get(url)
        assert response.status_code == 200, response.content[:200]
        body = response.json()
        cards = sum(len(cell["cards"]) for cell in body["cells"])
        assert cards == CARDS and len(body["touchpoints"]) == TOUCHPOINTS

        api = timed(lambda: client.get(url), RUNS)
        floor = timed(lambda: floor_read(journey.pk), RUNS)
        api_median, floor_median = statistics.median(api), statistics.median(floor)
        p95 = statistics.quantiles(api, n=20)[-1]

        print(f"database: {connection.vendor}")
        print(f"map: {PHASES} phases × {LANES} lanes, {CARDS} cards, {TOUCHPOINTS} touchpoints")
        print(f"GET {url}: {len(queries)} SQL queries, {len(response.content) / 1024:.0f} KiB")
        print(f"  api   median {api_median:7.1f} ms   p95 {p95:7.1f} ms   ({RUNS} runs)")
        print(f"  floor median {floor_median:7.1f} ms   (values() + json.dumps, same rows)")
        print(f"  ratio api/floor: {api_median / floor_median:.1f}×")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
