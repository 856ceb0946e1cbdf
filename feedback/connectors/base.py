"""What every survey-platform connector promises the importer.

A connector takes plain values (options, credentials, a cursor) and yields batches of flat
records; it never touches the database. Each record has ``response_id`` (str) and
``submitted_at`` (ISO 8601 with a timezone) plus one key per answer, which the importer picks
out with the source's field mapping (``record.get(path)``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

# Most records a batch holds: the importer commits per batch, so this bounds the work a crash
# can make it redo.
BATCH_MAX = 1000


class ConnectorError(Exception):
    """A clear, user-facing failure (never contains a credential)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass
class Batch:
    """Records (in ascending time order where the vendor gives them so; Qualtrics' export is
    not sorted), the cursor to resume from once they are written, which never passes a record
    not yet handed over, and the total number of records when it is known."""

    records: list[dict[str, Any]]
    cursor: dict[str, Any] = field(default_factory=dict)
    total: int | None = None


@dataclass
class Probe:
    """What a connection test found: a sentence for people, and the keys a record of this
    source has (for its field mapping; names only, never a customer's answers)."""

    message: str
    fields: list[str] = field(default_factory=list)


def record_fields(record: dict[str, Any] | None) -> list[str]:
    """The keys of a sample record a field mapping may name (ours left out), at most 100."""
    if not record:
        return []
    return sorted(k for k in record if k not in ("response_id", "submitted_at"))[:100]


class Connector(Protocol):
    def batches(self, cursor: dict[str, Any]) -> Iterator[Batch]:
        """Batches from where ``cursor`` says (``{}``: from the beginning)."""
        ...

    def check(self) -> Probe:
        """One small request proving the settings work; a ``ConnectorError`` saying why not."""
        ...


def parse_time(value: Any) -> datetime | None:
    """An aware datetime from an ISO 8601 string or epoch seconds; naive means UTC."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso_time(value: Any) -> Any:
    """``submitted_at`` as ISO 8601 with a timezone: vendors' aware strings are kept as they
    are, naive ones are taken as UTC and epoch seconds converted. Anything unreadable is passed
    on unchanged, for the importer to report on its row."""
    if isinstance(value, str):
        moment = parse_time(value)
        if moment is None:
            return value
        has_zone = datetime.fromisoformat(value.strip()).tzinfo is not None
        return value.strip() if has_zone else moment.isoformat()
    moment = parse_time(value)
    return moment.isoformat() if moment else value


def overlap_start(since: str) -> str:
    """A vendor's "modified/recorded after" filter value for resuming after ``since``.

    Vendors document these filters loosely (inclusive or not) and to the second, so we ask from
    one whole second before: a tie at the resume point is re-fetched rather than missed, and
    re-fetching is harmless because imports are upserts on the response id.
    """
    moment = parse_time(since)
    if moment is None:
        raise ConnectorError("invalid_cursor", "The saved sync position is not a date.")
    start = moment.astimezone(UTC).replace(microsecond=0) - timedelta(seconds=1)
    return start.strftime("%Y-%m-%dT%H:%M:%S")


def time_key(value: Any) -> tuple[int, datetime]:
    """Sort key for vendor timestamps: by instant, unreadable ones first."""
    moment = parse_time(value)
    return (1, moment) if moment else (0, datetime.min.replace(tzinfo=UTC))


def resume_since(
    records: list[dict[str, Any]], previous: dict[str, Any], key: str = "submitted_at"
) -> dict[str, Any]:
    """``{"since": <latest key>}`` of records sorted by ``key`` (or of the latest record
    alone); the previous cursor when none has a readable date (resuming from a date that
    cannot be read would fail)."""
    for record in reversed(records):
        if parse_time(record.get(key)) is not None:
            return {"since": record[key]}
    return dict(previous or {})


def required(settings: dict[str, Any], key: str, what: str, where: str) -> str:
    """A non-empty string setting, or an ``invalid_source`` error naming it."""
    value = settings.get(key) if isinstance(settings, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise ConnectorError("invalid_source", f"The source has no {what} ({where}.{key}).")
    return value.strip()
