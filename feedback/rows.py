"""One survey row, checked and cast: a clean response, or the reasons it was refused.

Rows from files (a list of cells under a header) and records from survey platforms (a dict of
answers) go through the same checks, so every source obeys the same scales.
"""

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from feedback.dates import date_read
from feedback.exceptions import ImportRefused
from feedback.matching import match_key, response_match_key
from feedback.models import MAPPED_FIELDS, REQUIRED_FIELDS
from journeys.mapfile.spreadsheet_cells import cell_in

SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
LIMITS = {"response_id": 200, "channel": 40, "touchpoint": 80, "phase": 120, "comment": 10_000}
# Kept columns ("attribute_columns"): bounded, so a file cannot grow every response unboundedly.
MAX_ATTRIBUTE_COLUMNS = 20
ATTRIBUTE_LENGTH = 200
REPORTED_LENGTH = 200  # of a refused row's response id and value, in the report


@dataclass(frozen=True)
class ReadSettings:
    """How a source's values are read (its ``import_settings``), with ``auto`` resolved.

    The one object every path takes — file rows, platform records, webhooks — so they read
    dates and scores alike."""

    date_format: str = "iso"
    time_zone: tzinfo = UTC
    # field → {raw answer's match_key → the number stored, or None for "no answer"}
    score_values: Mapping[str, Mapping[str, int | None]] = field(default_factory=dict)
    attribute_columns: tuple[str, ...] = ()

    @classmethod
    def of(cls, import_settings: Mapping[str, Any] | None, date_sample: Iterable[Any] = ()):
        """The settings saved on a source; ``auto`` is guessed from ``date_sample`` (the first
        dates of the file), else read as ISO 8601."""
        from feedback.dates import dates_detect

        saved = import_settings or {}
        date_format = saved.get("date_format") or "iso"
        if date_format == "auto":
            date_format = dates_detect(date_sample).suggested
        return cls(
            date_format=date_format,
            time_zone=ZoneInfo(saved.get("time_zone") or "UTC"),
            score_values={
                f: {str(k): v for k, v in (saved.get("score_values") or {}).get(f, {}).items()}
                for f in SCALES
                if (saved.get("score_values") or {}).get(f)
            },
            attribute_columns=tuple(saved.get("attribute_columns") or ())[:MAX_ATTRIBUTE_COLUMNS],
        )

    @property
    def plain(self) -> bool:
        """True when these settings read a file as the set-based path does: ISO 8601 dates in
        UTC, scores as numbers, no kept columns (``feedback.bulk`` serves only these)."""
        return (
            self.date_format == "iso"
            and getattr(self.time_zone, "key", "UTC") == "UTC"
            and not self.score_values
            and not self.attribute_columns
        )


PLAIN = ReadSettings()
# The kept columns of a response from a source that keeps none: one shared empty mapping, not
# a dict per row (a chunk holds thousands of responses in memory).
NO_ATTRIBUTES: Mapping[str, str] = MappingProxyType({})


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
    # Kept columns (column → text); None unless the source keeps some (not an empty dict
    # per row: a chunk holds thousands of responses in memory).
    attributes: Mapping[str, str] | None = None

    @property
    def match_key(self) -> str:
        # What it named, as matching compares it (feedback.matching).
        return response_match_key(self.touchpoint_code, self.channel)

    @property
    def content_hash(self) -> str:
        # What a re-import compares: equal content is "unchanged", not rewritten.
        values = [
            self.submitted_at.astimezone(UTC).isoformat(),
            self.nps,
            self.csat,
            self.ces,
            self.comment,
            self.channel,
            self.touchpoint_code,
            self.phase_name,
        ]
        if self.attributes:
            # Only when there are some: responses imported before kept columns existed (or
            # from a source that keeps none) hash as they did, and stay "unchanged".
            values.append(json.dumps(self.attributes, sort_keys=True, ensure_ascii=False))
        text = "\x1f".join(str(v) for v in values)
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    field: str
    reason: str
    # The row's response id and the refused value as the file had them (for the report).
    response_id: str = ""
    value: str = ""


def default_mapping(header: list[str]) -> dict[str, str]:
    """Our field → column, for columns already named like our fields (any case)."""
    by_name = {name.strip().lower(): name for name in header}
    aliases = {"response_id": ("response_id", "id"), "phase": ("phase", "phase_name")}
    mapping = {}
    for name in MAPPED_FIELDS:
        for alias in aliases.get(name, (name,)):
            if alias in by_name:
                mapping[name] = by_name[alias]
                break
    return mapping


# What the wizard guesses a column means from its name (its match_key, "_" read as " "):
# whole names first, then words the name contains.
GUESS_NAMES = {
    "response_id": ("response id", "response_id", "id", "comment id", "respondent id"),
    "submitted_at": ("submitted at", "date", "submitted", "created", "created at", "timestamp"),
    "nps": ("nps", "recommend", "likelihood to recommend"),
    "csat": ("csat", "satisfaction", "score"),
    "ces": ("ces", "effort", "customer effort"),
    "comment": ("comment", "answer", "feedback", "text", "free text"),
    "channel": ("channel",),
    "touchpoint": ("touchpoint", "service", "touchpoint code"),
    "phase": ("phase", "phase name", "stage"),
}


def mapping_guess(header: list[str]) -> dict[str, str]:
    """Our field → the column whose name says it is that field (each column used once)."""

    def words(name: str) -> str:
        return match_key(name.replace("_", " "))

    names = {column: words(column) for column in header if column}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for exact in (True, False):
        for name, aliases in GUESS_NAMES.items():
            if name in mapping:
                continue
            for column, key in names.items():
                if column in taken:
                    continue
                hit = key in aliases if exact else any(f" {a} " in f" {key} " for a in aliases)
                if hit:
                    mapping[name] = column
                    taken.add(column)
                    break
    return mapping


def column_of(mapping: Mapping[str, str | None], field: str) -> str | None:
    """The column (or record key) a field is read from: the mapping's, else the column named
    like the field; None when the mapping says the field is not read (the wizard's "ignore" of
    a column that happens to be called ``nps``)."""
    return mapping.get(field, field)


def header_check(header: list[str], mapping: Mapping[str, str | None]) -> dict[str, int]:
    """Column index of every mapped field; refuses the file when required columns are missing."""
    index = {name: i for i, name in enumerate(header)}
    missing = [
        f"{field} (column “{column_of(mapping, field) or 'none chosen'}”)"
        for field in REQUIRED_FIELDS
        if column_of(mapping, field) not in index
    ]
    if not any(column_of(mapping, f) in index for f in ("nps", "csat", "ces", "comment")):
        missing.append("at least one of nps, csat, ces or comment")
    if missing:
        raise ImportRefused(
            "missing_columns",
            f"The file lacks required columns: {', '.join(missing)}. Nothing was imported.",
            missing=missing,
            columns=header,
        )
    return {
        field: index[column_of(mapping, field)]
        for field in MAPPED_FIELDS
        if column_of(mapping, field) in index
    }


def row_getter(columns: dict[str, int]) -> Callable[[list[Any]], dict[str, Any]]:
    """Turns a file row (cells) into our fields by the checked column indexes."""

    def get(cells: list[Any]) -> dict[str, Any]:
        return {name: _cell(cells[i]) if i < len(cells) else None for name, i in columns.items()}

    return get


def attributes_getter(
    header: list[str], read: ReadSettings
) -> Callable[[list[Any]], dict[str, str]]:
    """Turns a file row into its kept columns (those of ``read.attribute_columns`` it has)."""
    index = {name: i for i, name in enumerate(header)}
    kept = [(name, index[name]) for name in read.attribute_columns if name in index]

    def get(cells: list[Any]) -> Mapping[str, str]:
        if not kept:
            return NO_ATTRIBUTES
        return attributes_clean({name: cells[i] for name, i in kept if i < len(cells)})

    return get


def attributes_clean(values: Mapping[str, Any]) -> dict[str, str]:
    """Kept columns as text: NFKC-normalised like every compared value (a non-breaking space
    is a space), trimmed, cut to 200 characters; empty ones left out."""
    import unicodedata

    kept = {}
    for name, value in list(values.items())[:MAX_ATTRIBUTE_COLUMNS]:
        text = " ".join(unicodedata.normalize("NFKC", _text(value)).split())
        if text:
            kept[str(name)[:ATTRIBUTE_LENGTH]] = text[:ATTRIBUTE_LENGTH].replace("\x00", "")
    return kept


def _cell(value: Any) -> Any:
    # A file may be one of our own downloads: the quote put before a formula comes off again.
    return cell_in(value.strip()) if isinstance(value, str) else value


def record_getter(
    mapping: Mapping[str, str | None],
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Turns a survey platform's record (answers by question) into our fields."""
    keys = {name: column_of(mapping, name) for name in MAPPED_FIELDS}

    def get(record: dict[str, Any]) -> dict[str, Any]:
        return {name: None if key is None else record.get(key) for name, key in keys.items()}

    return get


def record_attributes(record: Mapping[str, Any], read: ReadSettings) -> Mapping[str, str]:
    """A platform record's kept columns (its answers under ``read.attribute_columns``)."""
    if not read.attribute_columns:
        return NO_ATTRIBUTES
    return attributes_clean({name: record.get(name) for name in read.attribute_columns})


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheets hand ids over as 1234.0
    return str(value).strip()


def _score(value: Any, field: str, values: Mapping[str, int | None] | None = None) -> int | None:
    """The number an answer stands for: through the source's value map when it names the
    answer (None: "no answer", left empty), else the answer read as a whole number."""
    low, high = SCALES[field]
    if values:
        key = match_key(value)
        if key in values:
            mapped = values[key]
            if mapped is None:
                return None
            value = mapped
    if isinstance(value, bool):
        raise ValueError(f"must be a whole number from {low} to {high}")
    if isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(str(value).strip().replace(",", "."))
        except ValueError:
            number = float("nan")
    if not number.is_integer() or not low <= number <= high:
        # The same words as the set-based path (feedback.bulk).
        raise ValueError(f"{_text(value)} is not on the {field.upper()} scale ({low}–{high})")
    return int(number)


def _reported(value: Any) -> str:
    return _text(value)[:REPORTED_LENGTH]


def row_clean(
    row: int,
    values: dict[str, Any],
    read: ReadSettings = PLAIN,
    attributes: Mapping[str, str] | None = None,
) -> CleanResponse | list[RowError]:
    """The response in ``values`` (our field → raw value), read with the source's settings,
    or every reason it is refused (each naming the row's response id and the refused value)."""
    if all(_blank(v) for v in values.values()):
        return [RowError(row, "", "The row is empty.")]
    response_id = _reported(values.get("response_id"))
    # No database stores a NUL in text (PostgreSQL refuses the whole statement): this row is
    # refused, the others import. Checked first, so no reason below repeats the NUL.
    nul = [f for f, v in values.items() if isinstance(v, str) and "\x00" in v]
    if nul:
        return [
            RowError(
                row,
                f,
                "Contains a NUL character (\\0), which cannot be stored.",
                response_id.replace("\x00", ""),
                _reported(values[f]).replace("\x00", ""),
            )
            for f in nul
        ]
    errors: list[RowError] = []
    clean: dict[str, Any] = {}

    def refuse(name: str, reason: str) -> None:
        errors.append(RowError(row, name, reason, response_id, _reported(values.get(name))))

    for name, limit in LIMITS.items():
        text = _text(values.get(name))
        if len(text) > limit:
            refuse(name, f"Longer than {limit} characters.")
        clean[name] = text
    if not clean["response_id"]:
        refuse("response_id", "The response id is missing.")
    submitted = values.get("submitted_at")
    if _blank(submitted):
        refuse("submitted_at", "The date is missing.")
    else:
        try:
            clean["submitted_at"] = date_read(submitted, read.date_format, read.time_zone)
        except ValueError as error:
            refuse("submitted_at", str(error))
    for name in SCALES:
        value = values.get(name)
        clean[name] = None
        if not _blank(value):
            try:
                clean[name] = _score(value, name, read.score_values.get(name))
            except ValueError as error:
                refuse(name, str(error))
    if not errors and not clean["comment"] and all(clean[f] is None for f in SCALES):
        errors.append(RowError(row, "", "The row has no score and no comment.", response_id))
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
        attributes=dict(attributes) if attributes else None,
    )
