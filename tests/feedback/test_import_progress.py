"""A large CSV import on PostgreSQL (COPY, then set-based SQL) is committed in slices: its
progress reaches the run's row and the map while it runs, every committed count is true, and a
worker killed halfway leaves a run that resumes with every response once."""

import asyncio
import json
import time
from itertools import pairwise

import pytest
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Count, Sum

from feedback import services
from feedback.models import ImportRun, ResponseRollup, SurveyResponse
from tests.servers import CeleryWorker, database_url, redis_available

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROWS = 100_000
SLICE_ROWS = 5_000  # twenty slices: many chances to see the run between two of them
HEADER = "response_id,submitted_at,nps,csat,comment,touchpoint"


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("Slices are the COPY path's, which is PostgreSQL's")


def survey_file(rows: int = ROWS, store_until: int = 0) -> bytes:
    """Rows for the checkout; the first ``store_until`` name the store instead, and every
    10,000th is refused (NPS 11) and reported."""
    lines = [HEADER]
    for n in range(rows):
        code = "store-visit" if n < store_until else "checkout"
        nps = 11 if n % 10_000 == 3 else n % 11
        lines.append(f"p{n},2024-05-{n % 28 + 1:02d},{nps},{n % 5 + 1},Comment {n % 7},{code}")
    return ("\n".join(lines) + "\n").encode()


def refused(rows: int = ROWS) -> int:
    return len(range(3, rows, 10_000))


def worker(**env: str) -> CeleryWorker:
    return CeleryWorker(
        database=database_url(connection.settings_dict),
        redis_url=django_settings.REDIS_URL or None,
        extra_env={"JOURNEYBOARD_IMPORT_SLICE_ROWS": str(SLICE_ROWS), **env},
    )


def upload(survey_map, editor, content: bytes) -> ImportRun:
    # Committed at once (a transactional test): the task is on the worker's queue now.
    return services.import_file_start(
        actor=editor, source=survey_map.source, upload=SimpleUploadedFile("big.csv", content)
    )


def snapshot(run_id: int) -> dict:
    return ImportRun.objects.values(
        "state", "done", "total", "read", "imported", "failed", "rows_committed"
    ).get(pk=run_id)


def test_a_large_csv_import_publishes_its_progress_while_it_runs(survey_map, editor):
    seen: list[tuple[float, dict]] = []
    running = worker()
    try:
        run = upload(survey_map, editor, survey_file())
        deadline = time.monotonic() + 120
        while (now := snapshot(run.pk))["state"] in ("pending", "running"):
            assert time.monotonic() < deadline, f"the import did not finish: {now}"
            if now["state"] == "running":
                # Read after the run's row: what it counts was committed before (with it).
                written = SurveyResponse.objects.filter(source=survey_map.source).count()
                seen.append((time.monotonic(), {**now, "written": written}))
            time.sleep(0.02)
    finally:
        running.stop()

    assert now["state"] == "succeeded"
    assert (now["read"], now["failed"], now["done"]) == (ROWS, refused(), now["total"])
    between = [s for _, s in seen if 0 < s["done"] < s["total"]]
    assert len({s["done"] for s in between}) >= 3, seen  # it rose through several values
    for (_, earlier), (_, later) in pairwise(seen):
        assert (later["done"], later["read"]) >= (earlier["done"], earlier["read"])
    for s in between:
        # Every count shown is a committed slice's, whole: nothing half-written.
        assert s["read"] == s["rows_committed"] == s["imported"] + s["failed"]
        assert s["read"] % SLICE_ROWS == 0
        assert s["written"] >= s["imported"]
    # Progress at least every few seconds (here a slice takes a fraction of one).
    changed_at = [seen[0][0]] + [t for (_, a), (t, b) in pairwise(seen) if a != b]
    gaps = [later - earlier for earlier, later in pairwise(changed_at)]
    assert max(gaps, default=0) < 5, gaps


@pytest.mark.skipif(
    not (django_settings.REDIS_URL and redis_available(django_settings.REDIS_URL)),
    reason="a worker's frames reach another process's group only through Redis",
)
async def test_the_progress_frames_reach_the_map_while_the_import_runs(survey_map, editor):
    from channels.layers import get_channel_layer

    from journeys.realtime.broadcast import journey_group

    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(journey_group(survey_map.journey.pk), channel)
    running = await asyncio.to_thread(worker)
    frames = []
    try:
        await database_sync_to_async(upload)(survey_map, editor, survey_file())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 120
        while not frames or frames[-1]["state"] not in ("succeeded", "failed"):
            message = await asyncio.wait_for(layer.receive(channel), deadline - loop.time())
            frame = json.loads(message["text"])
            if frame["type"] == "import":
                frames.append(frame["run"])
    finally:
        await asyncio.to_thread(running.stop)

    assert frames[-1]["state"] == "succeeded", frames[-1]
    between = [f for f in frames if f["state"] == "running" and 0 < f["done"] < f["total"]]
    assert len({f["done"] for f in between}) >= 3, frames
    assert [f["done"] for f in between] == sorted(f["done"] for f in between)
    assert all(f["read"] == f["imported"] + f["failed"] for f in between)


def test_a_worker_killed_between_slices_leaves_a_run_that_resumes_with_every_response_once(
    survey_map, editor, settings
):
    lease = 2
    settings.JOURNEYBOARD_IMPORT_LEASE_SECONDS = lease
    store_until = 2 * SLICE_ROWS  # the store is named only in rows the first worker commits
    first = worker(JOURNEYBOARD_IMPORT_LEASE_SECONDS=str(lease))
    try:
        run = upload(survey_map, editor, survey_file(store_until=store_until))
        deadline = time.monotonic() + 120
        while snapshot(run.pk)["rows_committed"] < store_until:
            assert time.monotonic() < deadline, "the worker committed no slice"
            time.sleep(0.01)
        first.kill()
    finally:
        if first.process.poll() is None:
            first.stop()
    stopped_at = snapshot(run.pk)
    assert stopped_at["state"] == "running"
    assert 0 < stopped_at["rows_committed"] < ROWS
    assert stopped_at["rows_committed"] % SLICE_ROWS == 0  # a whole slice, never part of one

    # The beat sweep would queue it again once the lease ran out; here it runs in this process.
    deadline = time.monotonic() + 30
    while run.pk not in services.import_runs_stalled():
        assert time.monotonic() < deadline, "the dead worker's lease did not run out"
        time.sleep(0.1)
    done = services.import_run_execute(run.pk)

    assert done.state == "succeeded", done.error
    assert (done.read, done.imported, done.failed) == (ROWS, ROWS - refused(), refused())
    responses = SurveyResponse.objects.filter(source=survey_map.source)
    assert responses.count() == responses.values("external_id").distinct().count()
    assert responses.count() == ROWS - refused()
    assert done.row_errors.count() == refused()
    # The store is named only before the kill: its rollups are counted all the same.
    per_touchpoint = dict(
        responses.order_by()
        .values("touchpoint_id")
        .annotate(n=Count("id"))
        .values_list("touchpoint_id", "n")
    )
    assert per_touchpoint[survey_map.store.pk] == store_until - refused(store_until)
    rollups = dict(
        ResponseRollup.objects.order_by()
        .values("touchpoint_id")
        .annotate(n=Sum("responses"))
        .values_list("touchpoint_id", "n")
    )
    assert rollups == per_touchpoint


def _import_now(survey_map, editor, lines: list[str]) -> ImportRun:
    run = upload(survey_map, editor, ("\n".join([HEADER, *lines]) + "\n").encode())
    return services.import_run_execute(run.pk)


def test_a_date_that_does_not_exist_in_a_later_slice_hands_the_rest_to_the_row_path(
    survey_map, editor, settings, caplog
):
    settings.JOURNEYBOARD_IMPORT_SLICE_ROWS = 2
    lines = [f"d{n},2024-05-0{n + 1},9,4,,checkout" for n in range(6)]
    lines[4] = "d4,2024-02-30,9,4,,checkout"  # shaped like a date: only the cast refuses it
    with caplog.at_level("INFO", logger="feedback.services"):
        run = _import_now(survey_map, editor, lines)
    assert "goes row by row after row 4" in caplog.text  # two slices were kept
    assert (run.state, run.read, run.imported, run.failed) == ("succeeded", 6, 5, 1)
    assert [(e.row, e.field) for e in run.row_errors.all()] == [(5, "submitted_at")]
    assert SurveyResponse.objects.filter(source=survey_map.source).count() == 5


def test_an_id_repeated_in_a_later_slice_of_a_first_import_replaces_the_earlier_row(
    survey_map, editor, settings
):
    settings.JOURNEYBOARD_IMPORT_SLICE_ROWS = 2
    lines = ["a,2024-05-01,9,,,checkout", "b,2024-05-02,9,,,checkout"]
    lines += ["a,2024-05-03,2,,,checkout", "c,2024-05-04,9,,,checkout"]
    run = _import_now(survey_map, editor, lines)
    assert (run.read, run.imported, run.updated, run.unchanged) == (4, 3, 1, 0)
    assert SurveyResponse.objects.get(source=survey_map.source, external_id="a").nps == 2
