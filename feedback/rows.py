"""One survey row, checked and cast: a clean response, or the reasons it was refused.

Rows from files (a list of cells under a header) and records from survey platforms (a dict of
answers) go through the same checks, so every source obeys the same scales.
"""

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from feedback.exceptions import ImportRefused
from feedback.matching import response_match_key
from feedback.models import MAPPED_FIELDS, REQUIRED_FIELDS
from journeys.mapfile.spreadsheet_cells import cell_in

ISO_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$"
)
SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
LIMITS = {"response_id": 200, "channel": 40, "touchpoint": 80, "phase": 120, "comment": 10_000}


@dataclass(frozen=True, slots=True)
class CleanResponse:
    row: int
    external_id: str
    submitted_at: datetime
    nps: int | None
    csat: int | None
    ces: int | None
    comment: str
    channel: str
    touchpoint_code: str
    phase_name: str

    @property
    def match_key(self) -> str:
        # What it named, as matching compares it (feedback.matching).
        return response_match_key(self.touchpoint_code, self.channel)

    @property
    def content_hash(self) -> str:
        # What a re-import compares: equal content is "unchanged", not rewritten.
        text = "\x1f".join(
            str(v)
            for v in (
                self.submitted_at.astimezone(UTC).isoformat(),
                self.nps,
                self.csat,
                self.ces,
                self.comment,
                self.channel,
                self.touchpoint_code,
                self.phase_name,
            )
        )
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    field: str
    reason: str


def default_mapping(header: list[str]) -> dict[str, str]:
    """Our field → column, for columns already named like our fields (any case)."""
    by_name = {name.strip().lower(): name for name in header}
    aliases = {"response_id": ("response_id", "id"), "phase": ("phase", "phase_name")}
    mapping = {}
    for field in MAPPED_FIELDS:
        for alias in aliases.get(field, (field,)):
            if alias in by_name:
                mapping[field] = by_name[alias]
                break
    return mapping


def header_check(header: list[str], mapping: Mapping[str, str]) -> dict[str, int]:
    """Column index of every mapped field; refuses the file when required columns are missing."""
    index = {name: i for i, name in enumerate(header)}
    missing = [
        f"{field} (column “{mapping.get(field, field)}”)"
        for field in REQUIRED_FIELDS
        if mapping.get(field, field) not in index
    ]
    if not any(mapping.get(f, f) in index for f in ("nps", "csat", "ces", "comment")):
        missing.append("at least one of nps, csat, ces or comment")
    if missing:
        raise ImportRefused(
            "missing_columns",
            f"The file lacks required columns: {', '.join(missing)}. Nothing was imported.",
            missing=missing,
            columns=header,
        )
    return {
        field: index[mapping.get(field, field)]
        for field in MAPPED_FIELDS
        if mapping.get(field, field) in index
    }


def row_getter(columns: dict[str, int]) -> Callable[[list[Any]], dict[str, Any]]:
    """Turns a file row (cells) into our fields by the checked column indexes."""

    def get(cells: list[Any]) -> dict[str, Any]:
        return {field: _cell(cells[i]) if i < len(cells) else None for field, i in columns.items()}

    return get


def _cell(value: Any) -> Any:
    # A file may be one of our own downloads: the quote put before a formula comes off again.
    return cell_in(value.strip()) if isinstance(value, str) else value


def record_getter(mapping: Mapping[str, str]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Turns a survey platform's record (answers by question) into our fields."""

    def get(record: dict[str, Any]) -> dict[str, Any]:
        return {field: record.get(mapping.get(field, field)) for field in MAPPED_FIELDS}

    return get


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheets hand ids over as 1234.0
    return str(value).strip()


def _score(value: Any, field: str) -> int:
    low, high = SCALES[field]
    if isinstance(value, bool):
        raise ValueError(f"must be a whole number from {low} to {high}")
    if isinstance(value, float):
        number = value
    else:
        try:
            number = float(str(value).strip().replace(",", "."))
        except ValueError:
            number = float("nan")
    if not number.is_integer() or not low <= number <= high:
        # The same words as the set-based path (feedback.bulk).
        raise ValueError(f"{_text(value)} is not on the {field.upper()} scale ({low}–{high})")
    return int(number)


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    else:
        text = str(value).strip()
        # ISO 8601 only (as the set-based path reads it): 01/02/2024 is ambiguous.
        try:
            if not ISO_DATE.match(text):
                raise ValueError
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"“{text}” is not a date (use ISO 8601, e.g. 2024-05-01T10:00Z)"
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # survey exports without a zone are in UTC
    if moment.year < 1990:
        raise ValueError(f"“{value}” is not a date (use ISO 8601, e.g. 2024-05-01T10:00Z)")
    return moment


def row_clean(row: int, values: dict[str, Any]) -> CleanResponse | list[RowError]:
    """The response in ``values`` (our field → raw value), or every reason it is refused."""
    if all(_blank(v) for v in values.values()):
        return [RowError(row, "", "The row is empty.")]
    # No database stores a NUL in text (PostgreSQL refuses the whole statement): this row is
    # refused, the others import. Checked first, so no reason below repeats the NUL.
    nul = [f for f, v in values.items() if isinstance(v, str) and "\x00" in v]
    if nul:
        return [
            RowError(row, f, "Contains a NUL character (\\0), which cannot be stored.") for f in nul
        ]
    errors: list[RowError] = []
    clean: dict[str, Any] = {}
    for field, limit in LIMITS.items():
        text = _text(values.get(field))
        if len(text) > limit:
            errors.append(RowError(row, field, f"Longer than {limit} characters."))
        clean[field] = text
    if not clean["response_id"]:
        errors.append(RowError(row, "response_id", "The response id is missing."))
    submitted = values.get("submitted_at")
    if _blank(submitted):
        errors.append(RowError(row, "submitted_at", "The date is missing."))
    else:
        try:
            clean["submitted_at"] = _moment(submitted)
        except ValueError as error:
            errors.append(RowError(row, "submitted_at", str(error)))
    for field in SCALES:
        value = values.get(field)
        clean[field] = None
        if not _blank(value):
            try:
                clean[field] = _score(value, field)
            except ValueError as error:
                errors.append(RowError(row, field, str(error)))
    if not errors and not clean["comment"] and all(clean[f] is None for f in SCALES):
        errors.append(RowError(row, "", "The row has no score and no comment."))
    if errors:
        return errors
    return CleanResponse(
        row=row,
        external_id=clean["response_id"],
        submitted_at=clean["submitted_at"],
        nps=clean["nps"],
        csat=clean["csat"],
        ces=clean["ces"],
        comment=clean["comment"],
        channel=clean["channel"].lower(),
        touchpoint_code=clean["touchpoint"],
        phase_name=clean["phase"],
    )
