"""A Celery worker killed mid-import (SIGKILL, no warm shutdown) and a new one started: the run
finishes with every response exactly once. Real worker processes on Redis and PostgreSQL."""

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from feedback import services, tasks
from feedback.models import ImportRun, SurveyResponse
from tests.factories import SurveySourceFactory
from tests.servers import CeleryWorker, database_url, redis_available
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 40_000
WORKER_ENV = {
    # Small chunks, a short lease and a short visibility timeout, so that the test sees the
    # kill, the redelivery and the takeover within seconds.
    "JOURNEYBOARD_IMPORT_CHUNK_ROWS": "1000",
    "JOURNEYBOARD_IMPORT_LEASE_SECONDS": "3",
    "JOURNEYBOARD_CELERY_VISIBILITY_TIMEOUT": "4",
}


@pytest.mark.skipif(
    not (django_settings.REDIS_URL and redis_available(django_settings.REDIS_URL)),
    reason="needs Redis",
)
def test_a_worker_killed_mid_import_leaves_no_duplicate_and_no_gap(
    five_phase_map, editor, settings
):
    settings.JOURNEYBOARD_IMPORT_LEASE_SECONDS = int(
        WORKER_ENV["JOURNEYBOARD_IMPORT_LEASE_SECONDS"]
    )
    lines = ["response_id,submitted_at,nps,comment"]
    lines += [f"k{n},2024-05-{n % 28 + 1:02d},{n % 11},Comment {n}" for n in range(ROWS)]
    # A blank line near the end: COPY refuses the file, so it goes the row-by-row way, in
    # committed chunks. (A kill between the COPY path's slices: test_import_progress.py.)
    lines.insert(ROWS - 10, "")
    source = SurveySourceFactory(journey=five_phase_map.journey)
    database = database_url(connection.settings_dict)
    first = CeleryWorker(database=database, redis_url=settings.REDIS_URL, extra_env=WORKER_ENV)
    second = None
    try:
        run = services.import_file_start(
            actor=editor,
            source=source,
            upload=SimpleUploadedFile("big.csv", "\n".join(lines).encode()),
        )  # committed at once (transactional test): the task is on the queue now
        wait_until(
            lambda: ImportRun.objects.filter(pk=run.pk, rows_committed__gte=3000).exists(),
            60,
            "the first worker to commit some chunks",
        )
        first.kill()
        stopped_at = ImportRun.objects.get(pk=run.pk)
        assert stopped_at.state == ImportRun.State.RUNNING
        assert 0 < stopped_at.rows_committed < ROWS

        second = CeleryWorker(database=database, redis_url=settings.REDIS_URL, extra_env=WORKER_ENV)

        # Redis redelivers the unacknowledged task only after a while (kombu restores it on its
        # own schedule); the beat sweep finds the run by its lapsed lease first. Run the sweep as
        # beat would until the lease has run out (until then it finds nothing and queues
        # nothing). The late redelivery is then a harmless no-op — unless it came first: when
        # the kill came more than the visibility timeout after delivery (an import starts in a
        # child process, so it can), the new worker restores the message as it starts and takes
        # the run over itself; its lease is then fresh and there is nothing to sweep.
        def taken_over() -> bool:
            if tasks.import_runs_resume() == [run.pk]:
                return True
            now = ImportRun.objects.get(pk=run.pk)
            return not now.is_active or now.heartbeat_at > stopped_at.heartbeat_at

        wait_until(taken_over, 30, "the run to be taken over")
        done = wait_until(
            lambda: ImportRun.objects.filter(pk=run.pk, state="succeeded").first(),
            120,
            "the second worker to finish the run",
        )
    finally:
        if second:
            second.stop()
        if first.process.poll() is None:
            first.stop()

    responses = SurveyResponse.objects.filter(source=source)
    assert responses.count() == ROWS
    assert responses.values("external_id").distinct().count() == ROWS
    assert (done.read, done.imported, done.failed) == (ROWS + 1, ROWS, 1)
