"""What the import wizard shows of an uploaded file before anything is imported: its first
rows, the mapping and settings it would be read with, how its dates read, and the distinct
values of each column (for value maps and the touchpoint value table).

Read from a bounded prefix of the file (``feedback.readers.table_sample``), in the web process.
"""

from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

from feedback.dates import dates_detect
from feedback.matching import match_key
from feedback.models import ImportRun
from feedback.readers import table_sample
from feedback.rows import mapping_guess

PREVIEW_ROWS = 20
SAMPLE_ROWS = 10_000
TOP_VALUES = 50


def _shown(value: Any) -> str:
    """A cell as text, as a person would read it in the spreadsheet."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def preview_mapping(header: list[str], saved: dict[str, str]) -> dict[str, str]:
    """The source's saved mapping where its columns are in this file, else guesses by name."""
    kept = {field: column for field, column in (saved or {}).items() if column in header}
    # The fields the source was told not to read stay unread, rather than guessed again.
    kept |= {field: None for field, column in (saved or {}).items() if column is None and kept}
    return kept or mapping_guess(header)


def column_values(header: list[str], rows: list[list[Any]]) -> dict[str, list[list[Any]]]:
    """Per column, its distinct values (grouped by ``match_key``, shown as first written) with
    their counts, the most frequent first."""
    values: dict[str, list[list[Any]]] = {}
    for index, column in enumerate(header):
        counts: Counter[str] = Counter()
        written: dict[str, str] = {}
        for cells in rows:
            cell = cells[index] if index < len(cells) else None
            key = match_key(cell)
            if not key:
                continue
            counts[key] += 1
            written.setdefault(key, _shown(cell).strip())
        values[column] = [[written[key], n] for key, n in counts.most_common(TOP_VALUES)]
    return values


def import_preview(run: ImportRun) -> dict[str, Any]:
    """The preview of a draft run's file (see the module's docstring)."""
    source = run.source
    name = run.upload_name or run.upload.name
    header, rows = table_sample(Path(run.upload.path), name, SAMPLE_ROWS)
    mapping = preview_mapping(header, source.field_mapping)
    date_column = mapping.get("submitted_at")
    date_index = header.index(date_column) if date_column in header else None
    dates = dates_detect(
        (cells[date_index] for cells in rows if date_index is not None and date_index < len(cells)),
        column=date_column,
    )
    guessed = {"date_format": dates.suggested, "time_zone": "UTC"}
    return {
        "columns": header,
        "rows": [[_shown(cell) for cell in cells] for cells in rows[:PREVIEW_ROWS]],
        # The header is row 1 of the spreadsheet.
        "sheet_rows": list(range(2, 2 + min(len(rows), PREVIEW_ROWS))),
        "mapping": mapping,
        "settings": {**guessed, **(source.import_settings or {})},
        "dates": dates.as_dict(),
        "values": column_values(header, rows),
    }
