"""Qualtrics, through the Response Export API (v3).

An export is started, polled until Qualtrics has built it, then downloaded as a zip holding one
JSON file. Resuming asks only for responses recorded since the cursor's date.
"""

from __future__ import annotations

import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any
from urllib.parse import quote

import ijson

from feedback.connectors.base import (
    BATCH_MAX,
    Batch,
    ConnectorError,
    Probe,
    iso_time,
    overlap_start,
    resume_since,
    time_key,
)
from feedback.connectors.http import Sleep, VendorClient

VENDOR = "Qualtrics"
POLL_INTERVAL = 2.0  # seconds between progress checks: Qualtrics asks for a pause
EXPORT_TIMEOUT = 900.0  # seconds: big surveys take minutes to export


def record_of(response: dict[str, Any]) -> dict[str, Any]:
    """One exported response as a flat record: every key of ``values`` as it is, the choice
    labels as ``labels.<key>``, plus ``response_id`` and ``submitted_at`` (recordedDate)."""
    values = response.get("values") if isinstance(response.get("values"), dict) else {}
    labels = response.get("labels") if isinstance(response.get("labels"), dict) else {}
    record: dict[str, Any] = dict(values)
    for key, label in labels.items():
        record[f"labels.{key}"] = label
    record["response_id"] = str(response.get("responseId") or "")
    record["submitted_at"] = iso_time(values.get("recordedDate"))
    return record


class QualtricsConnector:
    """Responses of one Qualtrics survey."""

    def __init__(
        self,
        *,
        base_url: str,
        survey_id: str,
        api_token: str,
        sleep: Sleep = time.sleep,
        poll_interval: float = POLL_INTERVAL,
        export_timeout: float = EXPORT_TIMEOUT,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self.client = VendorClient(
            VENDOR,
            base_url,
            headers={"X-API-TOKEN": api_token},
            secrets=[api_token],
            not_found_hint="check the survey id and the datacenter",
            sleep=sleep,
            **(client_options or {}),
        )
        self.survey_id = survey_id
        self.survey = f"API/v3/surveys/{quote(survey_id, safe='')}"
        self.exports = f"API/v3/surveys/{quote(survey_id, safe='')}/export-responses"
        self.sleep = sleep
        self.poll_interval = poll_interval
        self.export_timeout = export_timeout

    def check(self) -> Probe:
        """The survey itself (Get Survey): its name, response count and question ids. An
        export would take minutes; this is one request."""
        try:
            survey = _result(self.client.get_json(self.survey))
        finally:
            self.client.close()
        name = survey.get("name") if isinstance(survey.get("name"), str) else self.survey_id
        counts = survey.get("responseCounts")
        counted = counts.get("auditable") if isinstance(counts, dict) else None
        questions = survey.get("questions")
        return Probe(
            f"Connected to Qualtrics: survey “{name}” ({self.survey_id})"
            + (f" has {counted} responses." if isinstance(counted, int) else "."),
            sorted(questions)[:100] if isinstance(questions, dict) else [],
        )

    def batches(self, cursor: dict[str, Any]) -> Iterator[Batch]:
        """All responses recorded since ``cursor["since"]``, in the export's order, in batches
        parsed as the file is read (memory holds one batch, whatever the export's size).

        The export is not sorted by date, so no batch but the last may move the cursor on: the
        others carry the cursor this sync started from, and a sync that stops halfway resumes
        from there (re-importing what it had written is harmless: imports are upserts). Only
        the last batch carries the latest date seen, and the total (unknown until then)."""
        start = dict(cursor or {})
        with tempfile.TemporaryFile(prefix="qualtrics-") as raw:
            try:
                self._export(start.get("since"), raw)
            finally:
                self.client.close()
            batch: list[dict[str, Any]] = []
            latest: dict[str, Any] | None = None  # the record with the latest date so far
            total = 0
            for response in _responses_in(raw):
                if len(batch) == BATCH_MAX:
                    yield Batch(records=batch, cursor=start)
                    batch = []
                record = record_of(response)
                batch.append(record)
                total += 1
                if latest is None or time_key(record["submitted_at"]) > time_key(
                    latest["submitted_at"]
                ):
                    latest = record
            if total:
                yield Batch(records=batch, cursor=resume_since([latest], start), total=total)

    def _export(self, since: str | None, raw: IO[bytes]) -> None:
        """Have Qualtrics build the export, and download it into ``raw``."""
        request: dict[str, Any] = {"format": "json"}
        if since:
            request["startDate"] = overlap_start(since) + "Z"
        started = self.client.post_json(self.exports, request)
        progress_id = _result(started).get("progressId")
        if not isinstance(progress_id, str) or not progress_id:
            raise ConnectorError("vendor_error", "Qualtrics did not start the export.")
        file_id = self._wait_for(progress_id)
        # The export of a large survey is large: streamed to disk, then parsed from there.
        self.client.download(f"{self.exports}/{quote(file_id, safe='')}/file", raw)

    def _wait_for(self, progress_id: str) -> str:
        """The export's file id once Qualtrics reports it complete."""
        deadline = time.monotonic() + self.export_timeout
        waited = 0.0
        url = f"{self.exports}/{quote(progress_id, safe='')}"
        while True:
            progress = _result(self.client.get_json(url))
            status = progress.get("status")
            if status == "complete":
                file_id = progress.get("fileId")
                if not isinstance(file_id, str) or not file_id:
                    raise ConnectorError("vendor_error", "Qualtrics sent no export file.")
                return file_id
            if status == "failed":
                reason = progress.get("error") if isinstance(progress.get("error"), dict) else {}
                detail = reason.get("errorMessage")
                message = "Qualtrics could not build the export"
                if isinstance(detail, str) and detail.strip():
                    message += f": {detail.strip().rstrip('.')}"
                raise ConnectorError("export_failed", message + ".")
            # Measured both ways: the sleep may be a test's, and a slow answer takes time too.
            if waited >= self.export_timeout or time.monotonic() >= deadline:
                raise ConnectorError(
                    "timeout",
                    f"Qualtrics had not finished the export after {_duration(self.export_timeout)}"
                    "; try the sync again later.",
                )
            self.sleep(self.poll_interval)
            waited += self.poll_interval


def _result(answer: Any) -> dict[str, Any]:
    result = answer.get("result") if isinstance(answer, dict) else None
    if not isinstance(result, dict):
        raise ConnectorError("vendor_error", "Qualtrics answered without a result.")
    return result


def _responses_in(raw: IO[bytes]) -> Iterator[dict[str, Any]]:
    """The ``responses`` of the export file, one at a time as they are parsed (floats as
    ``json`` reads them, not Decimals)."""
    try:
        found = False
        with _export_document(raw) as document:
            for response in ijson.items(document, "responses.item", use_float=True):
                found = True
                if isinstance(response, dict):
                    yield response
        if not found:
            # Nothing yielded: an empty list, or none at all (read again, it is small).
            with _export_document(raw) as document:
                if ("responses", "start_array") not in (
                    (p, e) for p, e, _ in ijson.parse(document)
                ):
                    raise ConnectorError(
                        "vendor_error", "The Qualtrics export has no list of responses."
                    )
    except (zipfile.BadZipFile, ijson.JSONError, ValueError, EOFError):
        raise ConnectorError("vendor_error", "The Qualtrics export could not be read.") from None


@contextmanager
def _export_document(raw: IO[bytes]) -> Iterator[IO[bytes]]:
    """The JSON document of an export file: a zip of one JSON file (or the bare JSON when the
    export was made uncompressed)."""
    raw.seek(0)
    if not zipfile.is_zipfile(raw):
        raw.seek(0)
        yield raw
        return
    with zipfile.ZipFile(raw) as archive:
        names = [n for n in archive.namelist() if n.lower().endswith(".json")]
        if not names:
            raise ConnectorError("vendor_error", "The Qualtrics export holds no JSON file.")
        with archive.open(names[0]) as member:
            yield member


def _duration(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} seconds"
