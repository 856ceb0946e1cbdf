"""Every write of the voice-of-the-customer app, one function per action.

An import run is created by ``import_file_start`` / ``import_sync_start`` and executed by the
Celery task on commit. ``import_run_execute`` takes the run under a lease (a redelivered message
for a run another worker is still on does nothing; one for a run whose worker died takes it
over), then writes in chunks, each committed with the run's counts and its resume point.
"""

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from feedback.exceptions import ImportRefused
from feedback.models import ImportRowError, ImportRun, SurveyResponse, SurveySource
from feedback.readers import table_header, table_open
from feedback.rows import (
    CleanResponse,
    ReadSettings,
    RowError,
    attributes_getter,
    column_of,
    default_mapping,
    header_check,
    record_attributes,
    record_getter,
    row_clean,
    row_getter,
)
from feedback.uploads import (
    SURVEYS,
    survey_upload_delete,
    survey_upload_delete_on_commit,
    survey_upload_name,
    survey_upload_storage,
)
from feedback.writer import ChunkResult, responses_write, rollups_rebuild
from journeys.exceptions import AccessDenied, InvalidInput, NotFound
from journeys.permissions import Role, can_edit_journey, has_role, visible_journeys

logger = logging.getLogger(__name__)

SENTIMENT_BATCH = 2000


# --- Access ----------------------------------------------------------------------------------


def source_access_check(actor, source: SurveySource) -> None:
    """Editors manage the sources of maps they may edit; shared sources are for admins."""
    if source.journey_id is None:
        if not has_role(actor, Role.ADMIN):
            raise AccessDenied("Only admins manage shared survey sources.")
    elif not can_edit_journey(actor, source.journey):
        raise AccessDenied("You cannot import into this journey.")


def source_journey_check(*, actor, journey_id: Any):
    """The map a new source would go on, if the actor may add one there (None: a shared
    source, for admins). A map the actor cannot see answers as one that does not exist, so
    that nobody learns which restricted maps there are."""
    if journey_id is None:
        if not has_role(actor, Role.ADMIN):
            raise AccessDenied("Only admins manage shared survey sources.")
        return None
    journey = visible_journeys(actor).filter(pk=journey_id).first()
    if journey is None:
        raise NotFound("No such journey.")
    if not can_edit_journey(actor, journey):
        raise AccessDenied("You cannot import into this journey.")
    return journey


# --- Starting a run --------------------------------------------------------------------------


def _run_create(*, source: SurveySource, actor, **fields: Any) -> ImportRun:
    from feedback.tasks import import_run_task

    try:
        with transaction.atomic():
            run = ImportRun.objects.create(source=source, created_by=actor, **fields)
    except IntegrityError:
        raise ImportRefused(
            "import_running",
            "An import of this source is already running; wait for it or cancel it.",
        ) from None
    transaction.on_commit(lambda: import_run_task.delay(run.pk))
    return run


def import_file_start(
    *, actor, source: SurveySource, upload: UploadedFile, draft: bool = False
) -> ImportRun:
    """Check the header now (a file missing required columns is refused before anything is
    written), keep the file privately, and queue its import. A refused upload leaves nothing
    behind: no run, no file.

    A ``draft`` (the import wizard's upload) is kept without being queued, and without the
    column check: its mapping is chosen after the preview (``import_run_start`` checks it)."""
    source_access_check(actor, source)
    limit = settings.JOURNEYBOARD_IMPORT_MAX_BYTES
    if upload.size > limit:
        raise ImportRefused(
            "file_too_large",
            f"The file is {upload.size / 2**20:.1f} MB; the limit is {limit / 2**20:.0f} MB.",
        )
    name, size = upload.name, upload.size
    stored = survey_upload_storage.save(survey_upload_name(None, name), upload)
    try:
        with transaction.atomic():
            if draft:
                run = ImportRun.objects.create(
                    source=source,
                    created_by=actor,
                    state=ImportRun.State.DRAFT,
                    upload=stored,
                    upload_name=name,
                    total=size,
                )
                table_header(Path(run.upload.path), name)  # a file we can read at all
            else:
                run = _run_create(
                    source=source, actor=actor, upload=stored, upload_name=name, total=size
                )
                # A bounded prefix: the worker reads (and measures) the whole file.
                _file_columns(source, table_header(Path(run.upload.path), name))
    except BaseException:
        # Whatever stopped it (its header, its format, a parser's refusal, another import
        # running, a bug), the run was rolled back: no row names the file any more.
        survey_upload_delete(stored)
        raise
    return run


def _file_columns(source: SurveySource, header: list[str]) -> dict[str, int]:
    """Where each mapped field is in a file: the source's mapping, or columns named like ours."""
    return header_check(header, source.field_mapping or default_mapping(header))


def _touchpoints_refresh(touchpoint_ids: set[int] | list[int]) -> None:
    """Recount these touchpoints' rollups and their maps' VoC emotions (inside a transaction)."""
    from feedback.voc import voc_refresh

    if touchpoint_ids:
        rollups_rebuild(touchpoint_ids)
        voc_refresh(touchpoint_ids=touchpoint_ids)


def _sentiment_after_commit(source_id: int) -> None:
    from feedback.tasks import responses_sentiment_task

    transaction.on_commit(lambda: responses_sentiment_task.delay(source_id))


def import_sync_start(*, actor, source: SurveySource) -> ImportRun:
    """Queue a sync of a survey platform source, from its saved cursor."""
    if actor is not None:
        source_access_check(actor, source)
    if source.kind == SurveySource.Kind.UPLOAD:
        raise InvalidInput({"source": "Upload a file to import into this source."})
    with transaction.atomic():
        return _run_create(source=source, actor=actor)


def import_run_cancel(*, actor, run_id: int) -> ImportRun:
    run = ImportRun.objects.select_related("source__journey").filter(pk=run_id).first()
    if run is None:
        raise NotFound("No such import.")
    source_access_check(actor, run.source)
    with transaction.atomic():
        run = ImportRun.objects.select_for_update(of=("self",)).get(pk=run_id)
        if run.state in (ImportRun.State.PENDING, ImportRun.State.DRAFT):
            # Never started: nothing to stop, the worker will skip it (and needs no file).
            run.state, run.finished_at = ImportRun.State.CANCELLED, timezone.now()
            survey_upload_delete_on_commit(run.upload.name)
            run.upload = ""
        elif run.state == ImportRun.State.RUNNING:
            run.cancel_requested = True  # the worker stops after its current chunk
        run.save()
    _progress_broadcast(run)
    return run


# --- Drafts: the import wizard's preview, dry run and start -----------------------------------


def _draft_get(actor, run_id: int, *, lock: bool = False) -> ImportRun:
    """A draft run the actor may import (404 for a run they cannot see; 403 for a viewer)."""
    from feedback.selectors import survey_sources_visible

    runs = ImportRun.objects.select_related("source__journey").filter(
        pk=run_id, source__in=survey_sources_visible(actor)
    )
    if lock:
        runs = runs.select_for_update(of=("self",))
    run = runs.first()
    if run is None:
        raise NotFound("No such import.")
    source_access_check(actor, run.source)
    if run.state != ImportRun.State.DRAFT or not run.upload:
        raise InvalidInput(
            {"state": f"This import is {run.get_state_display().lower()}, not a draft."}
        )
    return run


def import_run_preview(*, actor, run_id: int) -> dict[str, Any]:
    """A draft's preview: its first rows, mapping and settings, dates and values."""
    from feedback.preview import import_preview

    return import_preview(_draft_get(actor, run_id))


def import_run_dry_run_start(*, actor, run_id: int) -> ImportRun:
    """Queue a dry run of a draft with its source's saved settings (a file whose columns the
    mapping does not find is refused now, as an upload is)."""
    from feedback.tasks import import_dry_run_task

    with transaction.atomic():
        run = _draft_get(actor, run_id, lock=True)
        _file_columns(run.source, table_header(Path(run.upload.path), run.upload_name))
        run.dry_run = {"state": "running"}
        run.save(update_fields=["dry_run"])
        transaction.on_commit(lambda: import_dry_run_task.delay(run.pk))
        _progress_broadcast(run)
    return run


def import_run_start(*, actor, run_id: int) -> ImportRun:
    """Queue a draft's import, read with its source's settings as they are now."""
    from feedback.tasks import import_run_task

    try:
        with transaction.atomic():
            run = _draft_get(actor, run_id, lock=True)
            _file_columns(run.source, table_header(Path(run.upload.path), run.upload_name))
            run.state = ImportRun.State.PENDING
            run.save(update_fields=["state"])
    except IntegrityError:
        raise ImportRefused(
            "import_running",
            "An import of this source is already running; wait for it or cancel it.",
        ) from None
    transaction.on_commit(lambda: import_run_task.delay(run.pk))
    with transaction.atomic():
        _progress_broadcast(run)
    return run


DRY_RUN_REASONS = 20
DRY_RUN_VALUES = 20


class _DryRunDone(Exception):
    """Raised to roll a dry run's writes back, once its outcome is read."""


def import_dry_run_execute(run_id: int) -> ImportRun | None:
    """The real import of a draft's file, in one transaction that is then rolled back: the
    counts, the first reasons and the unmatched values are what the import would give (the
    same path, the same checks, the same database), and nothing stays but them."""
    run = (
        ImportRun.objects.select_related("source", "source__journey")
        .filter(pk=run_id, state=ImportRun.State.DRAFT)
        .exclude(upload="")
        .first()
    )
    if run is None:
        return None
    outcome: dict[str, Any] = {}
    try:
        with transaction.atomic():
            # Broadcasts and tasks the import schedules on commit go with the rollback.
            state, error = _run_rows_import(run, set())
            outcome = _dry_run_outcome(run, state, error)
            raise _DryRunDone
    except _DryRunDone:
        pass
    except MemoryError:
        raise  # over the limit: feedback.bounded says so once the rows are freed
    except Exception:
        logger.exception("Dry run of import %s failed", run_id)
        outcome = {"state": "failed", "error": "The dry run stopped on an unexpected error."}
    with transaction.atomic():
        updated = ImportRun.objects.filter(pk=run.pk, state=ImportRun.State.DRAFT).update(
            dry_run=outcome
        )
        if updated:
            run.refresh_from_db()
            _progress_broadcast(run)
    return run


def import_dry_run_stop(run_id: int, *, reason: str) -> ImportRun | None:
    """Close a dry run its worker had to stop (over its time or memory limit, or its process
    died): failed, with the reason (it wrote nothing else)."""
    with transaction.atomic():
        run = ImportRun.objects.select_related("source").filter(pk=run_id).first()
        updated = ImportRun.objects.filter(pk=run_id, state=ImportRun.State.DRAFT).update(
            dry_run={"state": "failed", "error": reason}
        )
        if not updated:
            return None
        run.refresh_from_db()
        _progress_broadcast(run)
    return run


def _dry_run_outcome(run: ImportRun, state: str, error: str) -> dict[str, Any]:
    """What a dry run found (read inside its transaction, before the rollback)."""
    from django.db.models import Count, Min, Value
    from django.db.models.functions import Coalesce, NullIf

    fresh = ImportRun.objects.get(pk=run.pk)
    reasons = [
        {
            "sheet_row": e.row + 1,  # the header is row 1 of the spreadsheet
            "response_id": e.response_id,
            "field": e.field,
            "value": e.value,
            "reason": e.reason,
        }
        for e in ImportRowError.objects.filter(run_id=run.pk).order_by("row", "id")[
            :DRY_RUN_REASONS
        ]
    ]
    unmatched = (
        SurveyResponse.objects.filter(source_id=run.source_id, last_run_id=run.pk, touchpoint=None)
        # Grouped as the unmatched queue groups them (one value however it was spelt), and
        # shown as one of its spellings.
        .values("match_key")
        .annotate(
            n=Count("id"),
            named=Min(Coalesce(NullIf("touchpoint_code", Value("")), "channel")),
        )
        .order_by("-n", "match_key")[:DRY_RUN_VALUES]
    )
    return {
        "state": "done" if state == ImportRun.State.SUCCEEDED else "failed",
        "read": fresh.read,
        "imported": fresh.imported,
        "updated": fresh.updated,
        "unchanged": fresh.unchanged,
        "refused": fresh.failed,
        "unmatched": fresh.unmatched,
        "error": error,
        "reasons": reasons,
        "unmatched_values": [[row["named"], row["n"]] for row in unmatched],
    }


# --- Executing a run ---------------------------------------------------------------------------


class RunBusy(Exception):
    """Another worker holds the run's lease: try again once it may have expired."""


def _lease() -> timedelta:
    return timedelta(seconds=settings.JOURNEYBOARD_IMPORT_LEASE_SECONDS)


def _run_claim(run_id: int) -> ImportRun | None:
    """The run, now ours; None when it is finished. Raises RunBusy while another worker holds a
    fresh lease (a redelivered message, or a run being resumed)."""
    now = timezone.now()
    with transaction.atomic():
        run = (
            ImportRun.objects.select_for_update(of=("self",))
            .select_related("source", "source__journey")
            .filter(pk=run_id)
            .first()
        )
        if run is None or not run.is_active:
            return None
        if run.state == ImportRun.State.RUNNING and run.heartbeat_at > now - _lease():
            raise RunBusy(run_id)
        run.state = ImportRun.State.RUNNING
        run.started_at = run.started_at or now
        run.heartbeat_at = now
        run.save(update_fields=["state", "started_at", "heartbeat_at"])
        return run


def _rows_of_file(run: ImportRun) -> Iterator[tuple[int, CleanResponse | list[RowError], int]]:
    source = run.source
    path, name = Path(run.upload.path), run.upload_name or run.upload.name
    reader = table_open(path, name)
    try:
        columns = _file_columns(source, reader.header)
        read = _file_settings(source, path, name, reader.header)
        values_of = row_getter(columns)
        attributes_of = attributes_getter(reader.header, read)
        for number, cells in enumerate(reader.rows(), start=1):
            if number <= run.rows_committed:
                continue  # written before a restart
            outcome = row_clean(number, values_of(cells), read, attributes_of(cells))
            yield number, outcome, reader.position
    finally:
        reader.close()


# How many of a file's first dates ``auto`` judges its date format by (the preview's sample).
DATE_SAMPLE_ROWS = 10_000


def _file_settings(source: SurveySource, path: Path, name: str, header: list[str]) -> ReadSettings:
    """How this file's values are read: the source's settings, ``auto`` guessed from the file's
    first dates — the same sample every time, so a resumed run reads as it began."""
    saved = source.import_settings or {}
    if saved.get("date_format") != "auto":
        return ReadSettings.of(saved)
    from feedback.readers import table_sample

    column = column_of(source.field_mapping or default_mapping(header), "submitted_at")
    sample_header, rows = table_sample(path, name, DATE_SAMPLE_ROWS)
    index = sample_header.index(column) if column in sample_header else None
    dates = [cells[index] for cells in rows if index is not None and index < len(cells)]
    return ReadSettings.of(saved, dates)


def _rows_of_platform(run: ImportRun, cursors: list) -> Iterator[tuple[int, Any, int]]:
    from feedback.connectors import connector_for

    source = run.source
    connector = connector_for(source.kind, source.options, source.credentials)
    values_of = record_getter(source.field_mapping or {})
    read = ReadSettings.of(source.import_settings)
    number = run.rows_committed
    for batch in connector.batches(source.cursor or {}):
        if batch.total is not None:
            run.total = batch.total
        for record in batch.records:
            number += 1
            outcome = row_clean(number, values_of(record), read, record_attributes(record, read))
            yield number, outcome, number
        cursors.append(batch.cursor)


def _chunk_commit(
    run: ImportRun,
    clean: list[CleanResponse],
    errors: list[RowError],
    read: int,
    last_row: int,
    position: int,
    cursor: dict | None,
    touched: set[int],
) -> bool:
    """Write one chunk with the run's counts and resume point; False when cancelled."""
    with transaction.atomic():
        result = responses_write(run.source, clean, run.pk) if clean else ChunkResult()
        ImportRowError.objects.bulk_create(
            [
                ImportRowError(
                    run=run,
                    row=e.row,
                    field=e.field,
                    reason=e.reason,
                    response_id=e.response_id,
                    value=e.value,
                )
                for e in errors
            ]
        )
        if cursor is not None:
            SurveySource.objects.filter(pk=run.source_id).update(cursor=cursor)
        fresh = _run_counts_add(
            run,
            result,
            read=read,
            failed=len({e.row for e in errors}),
            last_row=last_row,
            position=position,
        )
    return _run_progress_publish(run, fresh, result, touched)


def _run_counts_add(
    run: ImportRun, result: ChunkResult, *, read: int, failed: int, last_row: int, position: int
) -> ImportRun:
    """Add a chunk's counts to the run, with its resume point and a renewed lease (inside the
    chunk's transaction); returns the run as it now is."""
    rows = ImportRun.objects.filter(pk=run.pk)
    rows.update(
        read=F("read") + read,
        imported=F("imported") + result.imported,
        updated=F("updated") + result.updated,
        unchanged=F("unchanged") + result.unchanged,
        failed=F("failed") + failed,
        unmatched=F("unmatched") + result.unmatched,
        rows_committed=last_row,
        done=position,
        total=run.total,
        heartbeat_at=timezone.now(),
    )
    return rows.get()


def _run_progress_publish(
    run: ImportRun, fresh: ImportRun, result: ChunkResult, touched: set[int]
) -> bool:
    """After a chunk's commit: note what it touched, tell the map; False when cancelled."""
    touched |= result.touchpoints
    for name in ("read", "imported", "updated", "unchanged", "failed", "unmatched", "done"):
        setattr(run, name, getattr(fresh, name))
    _progress_broadcast(run)
    return not fresh.cancel_requested


def import_run_execute(run_id: int) -> ImportRun | None:
    """Import a run's rows (a file or a platform sync); safe to call twice for one run.

    Returns None for a finished run; raises RunBusy while another worker holds it."""
    run = _run_claim(run_id)
    if run is None:
        return None
    # A run taken over from a worker that died: what its committed chunks wrote needs its
    # rollups recounted too (that worker's list of touched touchpoints died with it).
    touched = _touchpoints_written(run) if run.rows_committed else set()
    state, error = _run_rows_import(run, touched)
    return _run_finish(run, state, touched, error=error)


def _run_rows_import(run: ImportRun, touched: set[int]) -> tuple[str, str]:
    """Read and write the run's rows, chunk by chunk (or slice by slice); the state it ends
    in and its error. Shared by real imports and dry runs (which roll it all back)."""
    cursors: list[dict] = []
    try:
        state = _set_based_import(run, touched)
        if state is not None:
            return state, ""
        if run.source.kind == SurveySource.Kind.UPLOAD:
            rows = _rows_of_file(run)
        else:
            rows = _rows_of_platform(run, cursors)
        clean: list[CleanResponse] = []
        errors: list[RowError] = []
        read = last_row = position = 0
        cancelled = False
        for number, outcome, position in rows:
            read += 1
            last_row = number
            if isinstance(outcome, CleanResponse):
                clean.append(outcome)
            else:
                errors.extend(outcome)
            if len(clean) + len(errors) >= settings.JOURNEYBOARD_IMPORT_CHUNK_ROWS:
                cursor = cursors[-1] if cursors else None
                if not _chunk_commit(run, clean, errors, read, last_row, position, cursor, touched):
                    cancelled = True
                    break
                clean, errors, read = [], [], 0
        if not cancelled:
            cursor = cursors[-1] if cursors else None
            cancelled = not _chunk_commit(
                run, clean, errors, read, last_row, position, cursor, touched
            )
    except ImportRefused as refused:
        return ImportRun.State.FAILED, refused.message
    except MemoryError:
        # Over the worker's memory limit: the chunk in hand was rolled back; the caller closes
        # the run once this frame's rows are freed (feedback.bounded).
        raise
    except Exception as error:
        logger.exception("Import run %s failed", run.pk)
        message = getattr(error, "message", None) or "The import stopped on an unexpected error."
        return ImportRun.State.FAILED, message
    return (ImportRun.State.CANCELLED if cancelled else ImportRun.State.SUCCEEDED), ""


def _set_based_import(run: ImportRun, touched: set[int]) -> str | None:
    """A CSV on PostgreSQL, not yet started: COPY it into the database, then import it with
    set-based SQL in slices of rows, each committed with the run's counts and resume point —
    like the row-by-row path's chunks, so progress reaches the map while it runs, a cancel
    stops it after a slice, and a worker that dies leaves a run that the row-by-row path
    resumes after the last slice. (One transaction for the whole file showed no progress, and
    a long one outlived the run's lease.) Returns the run's final state, or None when the
    row-by-row path must take the file (another database, XLSX, a resumed run) or take it on
    (a row COPY cannot read, a date that does not exist: from the last committed slice)."""
    from django.db import connection

    from feedback.bulk import (
        FastPathUnavailable,
        reads_plainly,
        slice_import,
        upload_copy,
        upload_drop,
    )
    from feedback.readers import CsvReader

    if (
        connection.vendor != "postgresql"
        or run.source.kind != SurveySource.Kind.UPLOAD
        or run.rows_committed
        or Path(run.upload_name or run.upload.name).suffix.lower() == ".xlsx"
    ):
        return None
    path, name = Path(run.upload.path), run.upload_name or run.upload.name
    reader = table_open(path, name)
    try:
        # COPY reads UTF-8 and Latin-1, not UTF-16: those files go row by row.
        if not isinstance(reader, CsvReader) or reader.encoding.startswith("utf-16"):
            return None
        if not reads_plainly(_file_settings(run.source, path, name, reader.header)):
            return None
        columns = _file_columns(run.source, reader.header)
        first_import = not SurveyResponse.objects.filter(source_id=run.source_id).exists()
        size = reader.size
        try:
            rows = upload_copy(reader.raw, len(reader.header), reader.delimiter, reader.encoding)
            step = settings.JOURNEYBOARD_IMPORT_SLICE_ROWS
            # An empty file is one empty slice: the run still ends at 100%.
            slices = [(n, min(n + step - 1, rows)) for n in range(1, rows + 1, step)] or [(1, 0)]
            run.total = size
            for first, last in slices:
                with transaction.atomic():
                    result, refused = slice_import(
                        source=run.source,
                        run_id=run.pk,
                        columns=columns,
                        first=first,
                        last=last,
                        first_import=first_import,
                    )
                    fresh = _run_counts_add(
                        run,
                        result,
                        read=last - first + 1,
                        failed=refused,
                        last_row=last,
                        position=size * last // rows if rows else size,
                    )
                run.rows_committed = last
                if not _run_progress_publish(run, fresh, result, touched):
                    return ImportRun.State.CANCELLED
        except FastPathUnavailable as unavailable:
            logger.info(
                "Import run %s goes row by row after row %s: %s",
                run.pk,
                run.rows_committed,
                unavailable,
            )
            return None
        finally:
            upload_drop()
    finally:
        reader.close()
    return ImportRun.State.SUCCEEDED


def import_run_stop(run_id: int, *, reason: str) -> ImportRun | None:
    """Close a run its worker had to stop (over its time or memory limit, or its process died):
    failed, with the reason; what its committed chunks wrote stays, and is counted."""
    run = ImportRun.objects.select_related("source", "source__journey").filter(pk=run_id).first()
    if run is None or not run.is_active:
        return None
    return _run_finish(run, ImportRun.State.FAILED, _touchpoints_written(run), error=reason)


def _touchpoints_written(run: ImportRun) -> set[int]:
    """The touchpoints of the responses this run has written so far."""
    written = SurveyResponse.objects.filter(source_id=run.source_id, last_run_id=run.pk)
    return set(
        written.exclude(touchpoint_id=None).values_list("touchpoint_id", flat=True).distinct()
    )


def _run_finish(run: ImportRun, state: str, touched: set[int], error: str = "") -> ImportRun:
    """Bring the rollups and VoC emotions up to date and close the run; comment sentiment is
    scored after, by its own task (it is the slow part, and the numbers need not wait).

    The raw file goes with the commit unless the run succeeded and uploads are kept a while
    (``JOURNEYBOARD_UPLOAD_RETENTION_DAYS``; ``uploads_expire`` deletes it then)."""
    with transaction.atomic():
        _touchpoints_refresh(touched)
        fields = {"state": state, "finished_at": timezone.now(), "error": error[:2000]}
        if state != ImportRun.State.SUCCEEDED or not settings.JOURNEYBOARD_UPLOAD_RETENTION_DAYS:
            survey_upload_delete_on_commit(run.upload.name)
            fields["upload"] = ""
        if run.source.kind != SurveySource.Kind.UPLOAD and state == ImportRun.State.SUCCEEDED:
            SurveySource.objects.filter(pk=run.source_id).update(last_synced_at=timezone.now())
        ImportRun.objects.filter(pk=run.pk).update(**fields)
        _sentiment_after_commit(run.source_id)
    run.refresh_from_db()
    _progress_broadcast(run)
    return run


# --- Sentiment -------------------------------------------------------------------------------


def responses_sentiment_update(*, source_id: int) -> int:
    """VADER compound scores for a source's comments not scored yet, then the rollups and VoC
    emotions of the touchpoints they are on. Returns how many were scored."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = None
    scores: dict[str, float] = {}  # the same comment ("Great!") is scored once
    touched: set[int] = set()
    scored = 0
    table = connection.ops.quote_name(SurveyResponse._meta.db_table)
    pending = (
        SurveyResponse.objects.filter(source_id=source_id, sentiment__isnull=True)
        .exclude(comment="")
        .order_by("pk")
    )
    last = 0
    while True:
        batch = list(
            pending.filter(pk__gt=last).values_list("pk", "comment", "touchpoint_id")[
                :SENTIMENT_BATCH
            ]
        )
        if not batch:
            break
        analyzer = analyzer or SentimentIntensityAnalyzer()
        values = []
        for pk, comment, touchpoint_id in batch:
            if comment not in scores:
                scores[comment] = round(analyzer.polarity_scores(comment)["compound"], 4)
            values += [pk, scores[comment]]
            if touchpoint_id:
                touched.add(touchpoint_id)
        marks = ", ".join(["(%s, %s)"] * len(batch))
        with transaction.atomic(), connection.cursor() as cursor:
            # One statement per batch, by primary key; portable (PostgreSQL and SQLite).
            cursor.execute(
                f"WITH v(id, score) AS (VALUES {marks}) UPDATE {table} "
                f"SET sentiment = CAST(v.score AS real) FROM v WHERE {table}.id = v.id",
                values,
            )
        scored += len(batch)
        last = batch[-1][0]
    with transaction.atomic():
        _touchpoints_refresh(touched)
    return scored


# --- Progress --------------------------------------------------------------------------------


def _progress_broadcast(run: ImportRun) -> None:
    """Push the run's progress to the map it feeds (after commit; polling is the fallback)."""
    journey_id = run.source.journey_id
    if journey_id is None:
        return
    from feedback.serializers import ImportRunSerializer
    from journeys.realtime.broadcast import broadcast_journey_message

    frame = {"type": "import", "run": ImportRunSerializer(run).data}
    transaction.on_commit(lambda: broadcast_journey_message(journey_id, frame))


# --- Survey sources --------------------------------------------------------------------------


def survey_source_create(*, actor, journey_id: int | None, **fields: Any) -> SurveySource:
    journey = source_journey_check(actor=actor, journey_id=journey_id)
    source = SurveySource(journey=journey, created_by=actor, **fields)
    source.save()
    return source


def survey_source_update(*, actor, source: SurveySource, changes: dict[str, Any]) -> SurveySource:
    """Credentials given are merged: a secret left out keeps its stored value. A change of
    where the source points (its kind, a feed's URL, a datacenter) needs the credentials in
    the same change, which then replace the stored ones: a token is never sent to an address
    other than the one it was given for."""
    from feedback.connectors import source_address

    source_access_check(actor, source)
    with transaction.atomic():
        source = SurveySource.objects.select_for_update(of=("self",)).get(pk=source.pk)
        credentials = changes.pop("credentials", None)
        pointed_at = source_address(source.kind, source.options)
        changes.pop("journey_id", None)  # a source stays with its map
        if "import_settings" in changes:
            # Merged key by key (null removes one): the wizard's save and the unmatched
            # queue's "ignore" each change their own keys without undoing the other's.
            merged = {**(source.import_settings or {}), **changes["import_settings"]}
            changes["import_settings"] = {k: v for k, v in merged.items() if v is not None}
        for name, value in changes.items():
            setattr(source, name, value)
        if source_address(source.kind, source.options) != pointed_at:
            if credentials is None and source.credentials:
                raise InvalidInput(
                    {
                        "credentials": "The source now points elsewhere: give its credentials "
                        "again in the same change (an empty object for none). The stored ones "
                        "are not sent to a new address."
                    }
                )
            source.credentials = dict(credentials or {})
        elif credentials is not None:
            source.credentials = {**source.credentials, **credentials}
        source.version += 1
        source.save()
    return source


# What a person can do about a failed connection test, by the connector's error code (the
# connector's own message says what happened).
_CONNECTION_ADVICE = {
    "credentials_refused": "Check the token (replace it if it was changed or revoked) and test"
    " again.",
    "timeout": "Try again in a moment; if it keeps happening the service may be down.",
    "unavailable": "Try again in a moment.",
}


def source_connection_test(*, actor, source: SurveySource) -> dict[str, Any]:
    """Try a platform source's saved settings with one small, bounded request (no retries,
    no waiting out rate limits; the address checks of every sync). Writes nothing.

    Answers ``{"ok", "code", "message", "fields"}``: ``fields`` are the keys a record of the
    source has, for its field mapping (names only, never a customer's answers)."""
    from feedback.connectors import ConnectorError, connection_check

    source_access_check(actor, source)
    if source.kind == SurveySource.Kind.UPLOAD:
        raise InvalidInput({"source": "A file upload source has no connection to test."})
    try:
        probe = connection_check(source.kind, source.options, source.credentials)
    except ConnectorError as failed:
        advice = _CONNECTION_ADVICE.get(failed.code)
        message = f"{failed.message} {advice}" if advice else failed.message
        return {"ok": False, "code": failed.code, "message": message, "fields": []}
    except Exception:
        # Never a 500 for a vendor's odd answer: say it failed, keep the details in the log.
        logger.exception("Connection test of survey source %s failed", source.pk)
        message = "The connection test stopped on an unexpected error."
        return {"ok": False, "code": "error", "message": message, "fields": []}
    return {"ok": True, "code": "ok", "message": probe.message, "fields": probe.fields}


def survey_source_delete(*, actor, source: SurveySource, confirm: bool = False) -> None:
    """Delete a source and its responses; one that has responses is refused (409
    ``confirm_required``, naming how many) unless ``confirm``."""
    from journeys.exceptions import DeleteNeedsConfirming

    source_access_check(actor, source)
    with transaction.atomic():
        # Locked before Django collects what cascades: an import holds its source FOR KEY SHARE
        # (responses have no foreign-key constraint), so this waits for one in flight and then
        # deletes every response it wrote.
        source = SurveySource.objects.select_for_update(of=("self",)).filter(pk=source.pk).first()
        if source is None:
            return
        responses = SurveyResponse.objects.filter(source_id=source.pk).count()
        if responses and not confirm:
            raise DeleteNeedsConfirming(
                f"The survey source “{source.name}” holds {responses:,} survey response(s); "
                "deleting it deletes them for good. Confirm to delete it.",
                counts={"responses": responses},
            )
        matched = set(
            SurveyResponse.objects.filter(source_id=source.pk, touchpoint__isnull=False)
            .values_list("touchpoint_id", flat=True)
            .distinct()
        )
        source.delete()
        # Its responses counted in these touchpoints' rollups and the maps' VoC emotions.
        _touchpoints_refresh(matched)


# --- Schedules -------------------------------------------------------------------------------


def import_runs_stalled() -> list[int]:
    """Runs whose worker stopped renewing the lease (it died): to be queued again."""
    stale = timezone.now() - _lease()
    return list(
        ImportRun.objects.filter(state=ImportRun.State.RUNNING, heartbeat_at__lt=stale)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def sources_sync_due() -> list[ImportRun]:
    """Start a sync of every scheduled platform source whose interval has passed (one run per
    source at a time: a source still importing is skipped)."""
    started = []
    now = timezone.now()
    for source in SurveySource.objects.filter(sync_every_minutes__isnull=False).exclude(
        kind=SurveySource.Kind.UPLOAD
    ):
        last = source.last_synced_at
        if last and last > now - timedelta(minutes=source.sync_every_minutes):
            continue
        try:
            started.append(import_sync_start(actor=None, source=source))
        except ImportRefused:
            continue  # already running
    return started


# How long a survey file may sit in the uploads directory with no run naming it: the moment
# between storing an upload and committing its run, with a wide margin.
STRAY_UPLOAD_GRACE = timedelta(hours=1)
# How long the import wizard's draft keeps its file.
DRAFT_LIFETIME = timedelta(days=1)


def uploads_expire(*, now: datetime | None = None) -> int:
    """Delete the survey files no run needs any more; returns how many went.

    Those of finished runs past the retention (a run that did not succeed keeps none), and
    files no run names, once older than ``STRAY_UPLOAD_GRACE``: an upload stored whose run
    was never committed (a crash in between), or a file left in ``MEDIA_ROOT/imports/`` by
    the versions that kept uploads there (the migration moved out those a run still named)."""
    now = now or timezone.now()
    kept_from = now - timedelta(days=settings.JOURNEYBOARD_UPLOAD_RETENTION_DAYS)
    expired = (
        ImportRun.objects.exclude(upload="")
        .exclude(state__in=(*ImportRun.ACTIVE_STATES, ImportRun.State.DRAFT))
        .filter(
            ~Q(state=ImportRun.State.SUCCEEDED)
            | Q(finished_at__isnull=True)
            | Q(finished_at__lte=kept_from)
        )
    )
    # A draft nobody imported within a day is given up: its file holds customers' words.
    drafts = ImportRun.objects.filter(
        state=ImportRun.State.DRAFT, created_at__lte=now - DRAFT_LIFETIME
    )
    with transaction.atomic():
        names = dict(expired.values_list("pk", "upload"))
        ImportRun.objects.filter(pk__in=names).update(upload="")
        draft_names = dict(drafts.values_list("pk", "upload"))
        ImportRun.objects.filter(pk__in=draft_names).update(
            upload="",
            state=ImportRun.State.CANCELLED,
            finished_at=now,
            error="The draft expired: it was not imported within a day of its upload.",
        )
        names.update(draft_names)
        for name in names.values():
            if name:
                survey_upload_delete_on_commit(name)
    named = set(ImportRun.objects.exclude(upload="").values_list("upload", flat=True))
    return len(names) + _stray_uploads_delete(named, now - STRAY_UPLOAD_GRACE)


def _stray_uploads_delete(named: set[str], older_than: datetime) -> int:
    from django.core.files.storage import default_storage

    deleted = 0
    for storage, folder in ((survey_upload_storage, SURVEYS), (default_storage, "imports")):
        for name in _files_under(storage, folder):
            if name not in named and storage.get_modified_time(name) < older_than:
                storage.delete(name)
                deleted += 1
    return deleted


def _files_under(storage, folder: str) -> Iterator[str]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for file in files:
        yield f"{folder}/{file}"
    for sub in folders:
        yield from _files_under(storage, f"{folder}/{sub}")


# --- Mapping unmatched responses -------------------------------------------------------------


def unmatched_assign(
    *, actor, source: SurveySource, touchpoint_id: int, group: dict[str, str]
) -> int:
    """Give the unmatched responses of one group (same raw code, channel and phase) a touchpoint;
    from then on they count in its metrics. Returns how many were mapped."""
    from touchpoints.models import Touchpoint

    source_access_check(actor, source)
    touchpoint = Touchpoint.objects.select_related("journey").filter(pk=touchpoint_id).first()
    if touchpoint is None or not can_edit_journey(actor, touchpoint.journey):
        raise NotFound("No such touchpoint.")
    if source.journey_id not in (None, touchpoint.journey_id):
        raise InvalidInput({"touchpoint": "This touchpoint is on another journey."})
    with transaction.atomic():
        mapped = SurveyResponse.objects.filter(
            source=source,
            touchpoint__isnull=True,
            touchpoint_code=group.get("touchpoint_code", ""),
            channel=group.get("channel", ""),
            phase_name=group.get("phase_name", ""),
        ).update(touchpoint=touchpoint, journey_id=touchpoint.journey_id)
        if mapped:
            _touchpoints_refresh([touchpoint.pk])
    return mapped


# --- Webhooks --------------------------------------------------------------------------------


def webhook_records_import(*, source: SurveySource, records: list[dict[str, Any]]) -> ChunkResult:
    """Responses a survey platform pushed (a Typeform webhook): checked like any import, and
    upserted, so a delivery the platform retries is counted once."""
    values_of = record_getter(source.field_mapping or {})
    read = ReadSettings.of(source.import_settings)
    clean, refused = [], []
    for number, record in enumerate(records, start=1):
        outcome = row_clean(number, values_of(record), read, record_attributes(record, read))
        (clean if isinstance(outcome, CleanResponse) else refused).append(outcome)
    if refused and not clean:
        reasons = "; ".join(f"{e.field or 'row'}: {e.reason}" for e in refused[0])
        raise InvalidInput({"form_response": f"The response cannot be imported ({reasons})."})
    with transaction.atomic():
        clean = _newer_than_stored(source, clean)
        result = responses_write(source, clean) if clean else ChunkResult()
        _touchpoints_refresh(result.touchpoints)
        _sentiment_after_commit(source.pk)
    return result


def _newer_than_stored(source: SurveySource, clean: list[CleanResponse]) -> list[CleanResponse]:
    """The pushed responses not older than what is stored under their id (inside the write's
    transaction, the stored rows locked): a signed delivery replayed later, or retried after a
    newer one, must not bring back data that was since replaced."""
    stored = dict(
        SurveyResponse.objects.select_for_update(of=("self",))
        .filter(source=source, external_id__in=[r.external_id for r in clean])
        .order_by("pk")
        .values_list("external_id", "submitted_at")
    )
    return [
        r for r in clean if r.external_id not in stored or r.submitted_at >= stored[r.external_id]
    ]
