"""An import that needs more memory or time than one import may have is stopped by the worker,
its run failed with the reason and nothing half-written — and the worker takes the next file.
A real Celery worker (the solo pool, as `make run` starts it) on the test database and broker."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from feedback import services
from feedback.models import ImportRowError, ImportRun, SurveyResponse
from tests import hostile_files
from tests.factories import SurveySourceFactory
from tests.servers import CeleryWorker, database_url
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def _upload(editor, source, data: bytes) -> ImportRun:
    # Committed at once (a transactional test): the task is on the queue now.
    return services.import_file_start(
        actor=editor, source=source, upload=SimpleUploadedFile("survey.csv", data)
    )


def _finished(run: ImportRun, timeout: float = 120) -> ImportRun:
    return wait_until(
        lambda: ImportRun.objects.filter(pk=run.pk, finished_at__isnull=False).first(),
        timeout,
        f"run {run.pk} to finish",
    )


def _row_by_row(rows: int, comment: str) -> bytes:
    """A file the row-by-row path takes on either database (a blank first row: COPY refuses
    it), so its rows are held in the worker's memory until their chunk is written."""
    header, rest = hostile_files.survey_csv(rows, comment=comment).split(b"\n", 1)
    return header + b"\n\n" + rest


@pytest.fixture
def worker(settings):
    workers = []

    def start(**env) -> CeleryWorker:
        started = CeleryWorker(
            database=database_url(connection.settings_dict),
            redis_url=settings.REDIS_URL or None,
            extra_env={key: str(value) for key, value in env.items()},
        )
        workers.append(started)
        return started

    yield start
    for started in workers:
        started.stop()


def test_a_task_over_its_memory_limit_is_stopped_and_its_run_failed(five_phase_map, editor, worker):
    # 150,000 responses in one chunk: some 150 MB of Python objects, against a 64 MB limit.
    worker(JOURNEYBOARD_IMPORT_MEMORY_MB=64, JOURNEYBOARD_IMPORT_CHUNK_ROWS=1_000_000)
    source = SurveySourceFactory(journey=five_phase_map.journey)

    run = _finished(_upload(editor, source, _row_by_row(150_000, "A comment " + "x" * 80)))

    assert run.state == ImportRun.State.FAILED
    assert run.error.startswith("The import needed more than 64 MB of memory")
    assert "JOURNEYBOARD_IMPORT_MEMORY_MB" in run.error
    # The chunk in hand was rolled back whole: nothing of it is stored or counted.
    assert not SurveyResponse.objects.filter(source=source).exists()
    assert (run.imported, run.rows_committed) == (0, 0)
    assert not ImportRowError.objects.filter(run=run).exists()

    # The worker lives on: the next (small) file imports under the same limit.
    small = _finished(_upload(editor, source, hostile_files.survey_csv(50)))
    assert (small.state, small.imported) == (ImportRun.State.SUCCEEDED, 50)


def test_a_task_over_its_time_limit_is_stopped_and_its_run_failed(five_phase_map, editor, worker):
    worker(JOURNEYBOARD_IMPORT_TIME_LIMIT_SECONDS=4, JOURNEYBOARD_IMPORT_CHUNK_ROWS=2000)
    source = SurveySourceFactory(journey=five_phase_map.journey)
    rows = 400_000

    run = _finished(_upload(editor, source, _row_by_row(rows, "Fine")))

    assert run.state == ImportRun.State.FAILED
    assert run.error.startswith("The import took longer than 4 s")
    # Stopped mid-file, with what it had committed counted, and nothing half-written: each
    # chunk is stored whole or not at all.
    stored = SurveyResponse.objects.filter(source=source).count()
    assert stored < rows
    assert stored == run.imported
    assert run.rows_committed % 2000 == 0  # whole chunks only

    small = _finished(_upload(editor, source, hostile_files.survey_csv(50)))
    assert small.state == ImportRun.State.SUCCEEDED


def test_a_dry_run_over_its_memory_limit_is_stopped_and_says_so(five_phase_map, editor, worker):
    # The wizard's dry run is the import, rolled back: it runs under the same limits.
    worker(JOURNEYBOARD_IMPORT_MEMORY_MB=64, JOURNEYBOARD_IMPORT_CHUNK_ROWS=1_000_000)
    source = SurveySourceFactory(journey=five_phase_map.journey)
    draft = services.import_file_start(
        actor=editor,
        source=source,
        upload=SimpleUploadedFile("survey.csv", _row_by_row(150_000, "A comment " + "x" * 80)),
        draft=True,
    )

    services.import_run_dry_run_start(actor=editor, run_id=draft.pk)
    outcome = wait_until(
        lambda: (ImportRun.objects.get(pk=draft.pk).dry_run or {}).get("error"),
        120,
        "the dry run to stop",
    )

    assert outcome.startswith("The import needed more than 64 MB of memory")
    assert "committed" not in outcome  # a dry run commits nothing
    draft.refresh_from_db()
    assert (draft.state, draft.dry_run["state"]) == (ImportRun.State.DRAFT, "failed")
    assert not SurveyResponse.objects.filter(source=source).exists()
