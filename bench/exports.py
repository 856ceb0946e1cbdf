"""Benchmark: export a 12-phase × 8-lane map with 1,000 cards and 100 touchpoints in every
format, through Django's full request stack (``GET /api/journeys/{id}/export/?format=``).

Prints, per format, the median time of the requests, the output size and the SQL query
count, beside a floor measured in the same run: the grid read (``journey_map_get``, the
editor's whole map) dumped with ``json.dumps``. Then one JSON import of the same map.
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

RUNS = int(os.environ.get("BENCH_RUNS", "9"))


def timed(fn, runs: int) -> list[float]:
    fn()  # warm: imports, caches
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def queries_of(fn) -> int:
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        fn()
    return len(queries)


def main() -> None:
    from journeys.mapfile.exports import FORMATS
    from journeys.models import Lane
    from journeys.permissions import Role
    from journeys.selectors import journey_get, journey_map_get
    from tests.factories import UserFactory

    setup_test_environment()
    if not connection.settings_dict.get("OPTIONS", {}).get("pool"):
        connection.settings_dict["CONN_MAX_AGE"] = None
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = f"journeyboard_bench_exports_{connection.vendor}"
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = None  # in memory
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        journey, viewer = build_map()
        # An emotions and an opportunities row, so the curves and plans are drawn too.
        Lane.objects.create(journey=journey, name="Feelings", kind="emotions", position=10**9)
        client = APIClient()
        client.force_authenticate(viewer)

        def floor() -> str:
            found = journey_get(user=viewer, journey_id=journey.pk)
            return json.dumps(journey_map_get(journey=found), default=str)

        floor_ms = statistics.median(timed(floor, RUNS))
        floor_queries = queries_of(floor)
        print(f"database: {connection.vendor}")
        print(f"map: {PHASES} phases × {LANES + 1} lanes, {CARDS} cards, {TOUCHPOINTS} touchpoints")
        print(f"floor (journey_map_get + json.dumps): {floor_ms:7.1f} ms, {floor_queries} queries")
        print(f"{'format':8} {'median ms':>10} {'× floor':>8} {'size KiB':>9} {'queries':>8}")
        sizes = {}
        for key in FORMATS:
            url = f"/api/journeys/{journey.pk}/export/?format={key}"

            def get(url=url):
                response = client.get(url)
                assert response.status_code == 200, response.content[:200]
                return response

            count = queries_of(get)
            body = get().content
            sizes[key] = body
            ms = statistics.median(timed(get, RUNS))
            print(f"{key:8} {ms:10.1f} {ms / floor_ms:8.1f} {len(body) / 1024:9.0f} {count:8d}")

        editor = UserFactory(username="bench-editor", role=Role.EDITOR)
        client.force_authenticate(editor)
        document = json.loads(sizes["json"])
        start = time.perf_counter()
        count = queries_of(lambda: client.post("/api/journeys/import/", document, format="json"))
        print(
            f"import json (one run, {CARDS} cards): "
            f"{(time.perf_counter() - start) * 1000:.0f} ms, {count} queries"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
