"""Reading the dates survey exports write, in the format a source was told, and telling which
format a file uses.

Exports write dates many ways: ISO 8601 (``2021-09-30T10:00Z``), day first (``30/09/2021``,
``30/09/2021 14:05``), month first (``9/30/2022``), Excel serial numbers (``44469.25``) or real
date cells in a workbook. ``01/02/2024`` reads both ways, so a date is never guessed value by
value: a source names its format (``import_settings["date_format"]``), ``auto`` guesses it once
per file from a sample (``dates_detect``), and a date that does not read in the format is
refused with a reason that says how it does read — never silently taken the other way.

ISO 8601 is read in every format (a year first cannot be misread), and so is a workbook's real
date cell.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

DATE_FORMATS = ("auto", "iso", "day_first", "month_first", "excel_serial")
FORMAT_WORDS = {
    "iso": "ISO 8601",
    "day_first": "day-first",
    "month_first": "month-first",
    "excel_serial": "an Excel serial number",
}

ISO_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$"
)
# 30/09/2021, 30.09.2021, 30-09-21, each optionally with a time (14:05, 14:05:09, 2:05 PM).
NUMERIC_DATE = re.compile(
    r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})"
    r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?\s*([AaPp][Mm])?)?$"
)
SERIAL = re.compile(r"^\d{4,6}([.,]\d+)?$")
# Excel serial numbers of 1990-01-01 and 2099-12-31: anything else is not a date of a survey.
SERIAL_RANGE = (32874, 73415)
EXCEL_EPOCH = datetime(1899, 12, 30)
ISO_EXAMPLE = "use ISO 8601, e.g. 2024-05-01T10:00Z"


def _iso_error(text: str) -> ValueError:
    # The same words as the set-based path (feedback.bulk).
    return ValueError(f"“{text}” is not a date ({ISO_EXAMPLE})")


def _iso(text: str) -> datetime | None:
    if not ISO_DATE.match(text):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _numeric(match: re.Match, day_first: bool) -> datetime | None:
    """The date in a d/m/y (or m/d/y) match, or None when it is no date that way."""
    first, second, year, hour, minute, second_of_minute, half = match.groups()
    day, month = (int(first), int(second)) if day_first else (int(second), int(first))
    year_number = int(year) + (2000 if len(year) == 2 else 0)
    try:
        moment = datetime(year_number, month, day)
        if hour is not None:
            hours = int(hour)
            if half:
                if not 1 <= hours <= 12:
                    return None
                hours = hours % 12 + (12 if half.lower() == "pm" else 0)
            moment = datetime.combine(
                moment.date(), time(hours, int(minute), int(second_of_minute or 0))
            )
    except ValueError:
        return None
    return moment


def _why_not(match: re.Match, day_first: bool) -> str:
    """Why a d/m/y text is not a date read one way: which part is out of range."""
    first, second = int(match.group(1)), int(match.group(2))
    month = second if day_first else first
    day = first if day_first else second
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    return f"there is no day {day} in month {month}"


def _serial(value: float) -> datetime | None:
    if not SERIAL_RANGE[0] <= value <= SERIAL_RANGE[1]:
        return None
    return EXCEL_EPOCH + timedelta(days=value)


def _serial_of_text(text: str) -> float | None:
    if not SERIAL.match(text):
        return None
    return float(text.replace(",", "."))


def date_read(value: Any, date_format: str, zone: tzinfo = UTC) -> datetime:
    """The moment ``value`` names in ``date_format`` (``auto`` is resolved by the caller; here
    it reads as ISO), zone-less times taken in ``zone``; ValueError saying why it is not one."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if date_format != "excel_serial":
            raise ValueError(
                f"“{value}” is a number, not a date: an Excel serial date? "
                "Choose the Excel serial date format."
                if _serial(float(value))
                else f"“{value}” is not a date ({ISO_EXAMPLE})"
            )
        moment = _serial(float(value))
        if moment is None:
            raise ValueError(f"“{value}” is not an Excel serial date (e.g. 44469.25)")
    else:
        moment = _text_read(str(value).strip(), date_format)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    if moment.year < 1990:
        raise _iso_error(str(value))
    return moment


def _text_read(text: str, date_format: str) -> datetime:
    iso = _iso(text)
    if iso is not None:
        return iso
    if date_format in ("iso", "auto", ""):
        raise _iso_error(text)
    if date_format == "excel_serial":
        serial = _serial_of_text(text)
        moment = _serial(serial) if serial is not None else None
        if moment is None:
            raise ValueError(f"“{text}” is not an Excel serial date (e.g. 44469.25)")
        return moment
    day_first = date_format == "day_first"
    words = FORMAT_WORDS[date_format]
    match = NUMERIC_DATE.match(text)
    if match is None:
        example = "30/09/2021 14:05" if day_first else "9/30/2021 14:05"
        raise ValueError(f"“{text}” is not a {words} date (e.g. {example})")
    moment = _numeric(match, day_first)
    if moment is not None:
        return moment
    why = _why_not(match, day_first)
    if _numeric(match, not day_first) is not None:
        other = FORMAT_WORDS["month_first" if day_first else "day_first"]
        raise ValueError(
            f"{text} is not {words} ({why}): it reads only {other}, so the file mixes formats"
        )
    raise ValueError(f"“{text}” is not a date ({why})")


@dataclass
class DateCounts:
    """How the dates of a sample read: the preview's ``dates`` (a file mixing formats shows)."""

    column: str | None = None
    sample: int = 0
    iso: int = 0
    day_first: int = 0
    month_first: int = 0
    ambiguous: int = 0
    excel_serial: int = 0
    date_cells: int = 0
    unreadable: int = 0

    def count(self, value: Any) -> None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return
        self.sample += 1
        if isinstance(value, datetime | date):
            self.date_cells += 1
            return
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.excel_serial += _serial(float(value)) is not None
            self.unreadable += _serial(float(value)) is None
            return
        text = str(value).strip()
        if _iso(text) is not None:
            self.iso += 1
            return
        serial = _serial_of_text(text)
        if serial is not None and _serial(serial) is not None:
            self.excel_serial += 1
            return
        match = NUMERIC_DATE.match(text)
        if match is None:
            self.unreadable += 1
            return
        day, month = _numeric(match, True) is not None, _numeric(match, False) is not None
        if day and month:
            self.ambiguous += 1
        elif day:
            self.day_first += 1
        elif month:
            self.month_first += 1
        else:
            self.unreadable += 1

    @property
    def suggested(self) -> str:
        """The format most of the sample reads in (ISO when there is nothing to tell)."""
        numeric = self.day_first + self.month_first + self.ambiguous
        best = max(self.iso + self.date_cells, self.excel_serial, numeric)
        if best == 0 or best == self.iso + self.date_cells:
            return "iso"
        if best == self.excel_serial:
            return "excel_serial"
        # 01/02/2024 tells nothing; day first is the more common way when nothing tells.
        return "month_first" if self.month_first > self.day_first else "day_first"

    @property
    def mixed(self) -> bool:
        return bool(self.day_first and self.month_first)

    @property
    def message(self) -> str:
        """The detection in plain words."""
        if not self.sample:
            return "No dates were found in the first rows."
        suggested = self.suggested
        if self.mixed:
            chosen, other = (
                ("day-first", "month-first")
                if suggested == "day_first"
                else ("month-first", "day-first")
            )
            refused = self.month_first if suggested == "day_first" else self.day_first
            return (
                f"{self.day_first:,} dates can only be day-first and {self.month_first:,} only "
                f"month-first: the file mixes formats. Read as {chosen}, the {refused:,} "
                f"{other} rows are refused, each with its reason; nothing is guessed."
            )
        parts = []
        if suggested in ("day_first", "month_first") and not (self.day_first or self.month_first):
            parts.append(
                f"All {self.ambiguous:,} dates read both ways (like 01/02/2024): check whether "
                "the day or the month comes first."
            )
        else:
            parts.append(f"The dates look {FORMAT_WORDS[suggested]}.")
        if self.unreadable:
            parts.append(f"{self.unreadable:,} of {self.sample:,} are not dates in any format.")
        return " ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "sample": self.sample,
            "iso": self.iso,
            "day_first": self.day_first,
            "month_first": self.month_first,
            "ambiguous": self.ambiguous,
            "excel_serial": self.excel_serial,
            "date_cells": self.date_cells,
            "unreadable": self.unreadable,
            "suggested": self.suggested,
            "mixed": self.mixed,
            "message": self.message,
        }


def dates_detect(values, column: str | None = None) -> DateCounts:
    """Counts of how a sample of dates reads (see ``DateCounts``)."""
    counts = DateCounts(column=column)
    for value in values:
        counts.count(value)
    return counts
