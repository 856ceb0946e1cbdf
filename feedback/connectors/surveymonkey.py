"""SurveyMonkey, through the API v3 bulk responses endpoint.

Pages are read oldest modification first and followed by their ``links.next``; resuming asks
only for responses modified since the cursor's date (an edited response comes back, and the
importer updates it).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from feedback.connectors.base import (
    Batch,
    ConnectorError,
    Probe,
    iso_time,
    overlap_start,
    record_fields,
    resume_since,
    time_key,
)
from feedback.connectors.http import Sleep, VendorClient, origin

VENDOR = "SurveyMonkey"
PER_PAGE = 100  # the bulk endpoint's maximum
_DIGITS = re.compile(r"[0-9]+")


def _value(text: Any) -> Any:
    """An all-digits answer (a rating, an NPS) as an int; any other as it is."""
    if isinstance(text, str) and _DIGITS.fullmatch(text.strip()):
        return int(text.strip())
    return text


def _answer_text(answer: dict[str, Any]) -> Any:
    for key in ("simple_text", "text"):
        value = answer.get(key)
        if value is not None and value != "":
            return value
    return None


def record_of(response: dict[str, Any]) -> dict[str, Any]:
    """One response as a flat record.

    Keys: ``response_id``, ``submitted_at`` (date_created: when the customer answered, which
    metrics count by), ``modified_at`` (date_modified: what a sync resumes by), ``collector_id``,
    ``response_status``, one per question id (several answers, as in a multiple choice, are
    joined with ", "), ``<question id>.<row id>`` for matrix rows, and ``custom.<name>`` for
    custom variables.
    """
    record: dict[str, Any] = {}
    for page in response.get("pages") or []:
        for question in (page or {}).get("questions") or []:
            question_id = str((question or {}).get("id") or "")
            if not question_id:
                continue
            texts: list[str] = []
            rows: dict[str, list[str]] = {}
            for answer in question.get("answers") or []:
                text = _answer_text(answer or {})
                if text is None:
                    continue
                texts.append(str(text))
                if answer.get("row_id"):
                    rows.setdefault(str(answer["row_id"]), []).append(str(text))
            if texts:
                record[question_id] = _value(", ".join(texts))
            for row_id, row_texts in rows.items():
                record[f"{question_id}.{row_id}"] = _value(", ".join(row_texts))
    custom = response.get("custom_variables")
    if isinstance(custom, dict):
        for name, value in custom.items():
            record[f"custom.{name}"] = value
    for key in ("collector_id", "response_status"):
        if response.get(key) is not None:
            record[key] = response[key]
    record["response_id"] = str(response.get("id") or "")
    record["submitted_at"] = iso_time(response.get("date_created") or response.get("date_modified"))
    record["modified_at"] = iso_time(response.get("date_modified"))
    return record


class SurveyMonkeyConnector:
    """Responses of one SurveyMonkey survey."""

    def __init__(
        self,
        *,
        base_url: str,
        survey_id: str,
        access_token: str,
        sleep: Sleep = time.sleep,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self.client = VendorClient(
            VENDOR,
            base_url,
            headers={"Authorization": f"Bearer {access_token}"},
            secrets=[access_token],
            not_found_hint="check the survey id",
            sleep=sleep,
            **(client_options or {}),
        )
        self.survey_id = survey_id
        self.path = f"v3/surveys/{quote(survey_id, safe='')}/responses/bulk"

    def check(self) -> Probe:
        """One page of one response: the survey's count and a response's fields."""
        try:
            page = self.client.get_json(self.path, params={"per_page": 1, "simple": "true"})
        finally:
            self.client.close()
        if not isinstance(page, dict) or not isinstance(page.get("data"), list):
            raise ConnectorError("vendor_error", "SurveyMonkey answered without data.")
        total = page.get("total")
        counted = f"{total} responses" if isinstance(total, int) else "responses"
        first = page["data"][0] if page["data"] and isinstance(page["data"][0], dict) else None
        return Probe(
            f"Connected to SurveyMonkey: survey {self.survey_id} has {counted}.",
            record_fields(record_of(first) if first else None),
        )

    def batches(self, cursor: dict[str, Any]) -> Iterator[Batch]:
        """One batch per page of up to 100 responses, oldest modification first."""
        params: dict[str, Any] | None = {
            "per_page": PER_PAGE,
            "page": 1,
            "sort_by": "date_modified",
            "sort_order": "ASC",
            "simple": "true",
        }
        since = (cursor or {}).get("since")
        if since:
            params["start_modified_at"] = overlap_start(since)
        url = self.path
        position = dict(cursor or {})
        followed: set[str] = set()
        try:
            while True:
                page = self.client.get_json(url, params=params)
                if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                    raise ConnectorError("vendor_error", "SurveyMonkey answered without data.")
                records = [record_of(r) for r in page["data"] if isinstance(r, dict)]
                records.sort(key=lambda r: time_key(r["modified_at"]))
                total = page.get("total") if isinstance(page.get("total"), int) else None
                if records:
                    position = resume_since(records, position, key="modified_at")
                    yield Batch(records, position, total)
                links = page.get("links") if isinstance(page.get("links"), dict) else {}
                next_url = links.get("next")
                if not isinstance(next_url, str) or not next_url:
                    return
                url, params = self._on_base(next_url), None
                if url in followed:  # a link loop would otherwise never end
                    return
                followed.add(url)
        finally:
            self.client.close()

    def _on_base(self, link: str) -> str:
        """A ``links.next`` URL on our base URL: SurveyMonkey may name another of its hosts
        (api.surveymonkey.net), and the token should go only where it was configured."""
        url = self.client.url(link)
        if origin(url) == self.client.origin:
            return url
        parts = urlsplit(url)
        return self.client.url(urlunsplit(("", "", parts.path, parts.query, "")))
