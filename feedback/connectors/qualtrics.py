"""Qualtrics, through the Response Export API (v3).

An export is started, polled until Qualtrics has built it, then downloaded as a zip holding one
JSON file. Resuming asks only for responses recorded since the cursor's date.
"""

from __future__ import annotations

import json
import tempfile
import time
import zipfile
from collections.abc import Iterator
from typing import IO, Any
from urllib.parse import quote

from feedback.connectors.base import (
    BATCH_MAX,
    Batch,
    ConnectorError,
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
    ) -> None:
        self.client = VendorClient(
            VENDOR,
            base_url,
            headers={"X-API-TOKEN": api_token},
            secrets=[api_token],
            not_found_hint="check the survey id and the datacenter",
            sleep=sleep,
        )
        self.exports = f"API/v3/surveys/{quote(survey_id, safe='')}/export-responses"
        self.sleep = sleep
        self.poll_interval = poll_interval
        self.export_timeout = export_timeout

    def batches(self, cursor: dict[str, Any]) -> Iterator[Batch]:
        """All responses recorded since ``cursor["since"]``, oldest first, in batches."""
        since = (cursor or {}).get("since")
        try:
            records = self._export(since)
        finally:
            self.client.close()
        total = len(records)
        for start in range(0, total, BATCH_MAX):
            chunk = records[start : start + BATCH_MAX]
            yield Batch(records=chunk, cursor=resume_since(chunk, cursor), total=total)

    def _export(self, since: str | None) -> list[dict[str, Any]]:
        request: dict[str, Any] = {"format": "json"}
        if since:
            request["startDate"] = overlap_start(since) + "Z"
        started = self.client.post_json(self.exports, request)
        progress_id = _result(started).get("progressId")
        if not isinstance(progress_id, str) or not progress_id:
            raise ConnectorError("vendor_error", "Qualtrics did not start the export.")
        file_id = self._wait_for(progress_id)
        # The export of a large survey is large: stream it to disk, not into memory.
        with tempfile.TemporaryFile(prefix="qualtrics-") as raw:
            self.client.download(f"{self.exports}/{quote(file_id, safe='')}/file", raw)
            responses = _responses_in(raw)
        records = [record_of(r) for r in responses if isinstance(r, dict)]
        records.sort(key=lambda r: (time_key(r["submitted_at"]), r["response_id"]))
        return records

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


def _responses_in(raw: IO[bytes]) -> list[Any]:
    """The ``responses`` of the export file: a zip of one JSON file (or the bare JSON when the
    export was made uncompressed)."""
    raw.seek(0)
    try:
        if zipfile.is_zipfile(raw):
            with zipfile.ZipFile(raw) as archive:
                names = [n for n in archive.namelist() if n.lower().endswith(".json")]
                if not names:
                    raise ConnectorError("vendor_error", "The Qualtrics export holds no JSON file.")
                with archive.open(names[0]) as member:
                    document = json.load(member)
        else:
            raw.seek(0)
            document = json.load(raw)
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise ConnectorError("vendor_error", "The Qualtrics export could not be read.") from None
    responses = document.get("responses") if isinstance(document, dict) else None
    if not isinstance(responses, list):
        raise ConnectorError("vendor_error", "The Qualtrics export has no list of responses.")
    return responses


def _duration(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} seconds"
