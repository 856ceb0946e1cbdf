"""Reading a file someone uploaded without trusting it: its size is measured before it is parsed.

A spreadsheet is a zip of XML parts, and a small zip unpacks to a lot: a 112 KB workbook held a
header row of a million cells, which openpyxl built whole (78 s, 876 MB) before anyone could
count them. So a workbook is inspected first, by means whose memory does not grow with the file
(the zip's directory, then expat streaming each part and keeping counts only): the unpacked size
of its parts, a DTD anywhere (spreadsheets have none; entities are how XML bombs work), the
number of shared strings, and the cells and bytes of every row. Only then does openpyxl open it.
Both importers (survey files in ``feedback``, map grids in ``journeys.mapfile``) share these
checks and turn ``FileRefused`` into their own refusal.
"""

import codecs
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.parsers import expat

from django.conf import settings

from journeys.exceptions import JourneyboardError

_CHUNK = 1 << 16
# More parts than any workbook has (each sheet, drawing and style is one).
_MAX_PARTS = 10_000
# A part under this size may pack as tightly as it likes: its ratio cannot cost much.
_RATIO_FLOOR = 1 << 20
_XML_PART = re.compile(r"\.(xml|rels)$", re.IGNORECASE)
_SHEET_PART = re.compile(r"^xl/worksheets/[^/]+\.xml$", re.IGNORECASE)
_CELL_REF = re.compile(r"^([A-Z]{1,3})\d*$")
# Of a text file's first bytes, the share that must be NUL on one side only for a file without
# a BOM to be read as UTF-16 (text in it is mostly ASCII: every other byte is 0).
UTF16_SAMPLE, _UTF16_NULS = 4096, 0.4


class FileRefused(JourneyboardError):
    """An uploaded file that breaks a bound; nothing of it was read past the bound."""


@dataclass(frozen=True, slots=True)
class FileLimits:
    max_columns: int
    max_row_bytes: int
    max_unpacked_bytes: int
    max_ratio: int
    max_shared_strings: int

    @classmethod
    def from_settings(cls) -> "FileLimits":
        return cls(
            max_columns=settings.JOURNEYBOARD_IMPORT_MAX_COLUMNS,
            max_row_bytes=settings.JOURNEYBOARD_IMPORT_MAX_ROW_BYTES,
            max_unpacked_bytes=settings.JOURNEYBOARD_XLSX_MAX_UNPACKED_BYTES,
            max_ratio=settings.JOURNEYBOARD_XLSX_MAX_RATIO,
            max_shared_strings=settings.JOURNEYBOARD_XLSX_MAX_SHARED_STRINGS,
        )


def _kb(size: int) -> str:
    return f"{size / 1024:,.0f} KB" if size < 1 << 20 else f"{size / 2**20:,.0f} MB"


def too_many_columns(count: int, limits: FileLimits) -> FileRefused:
    return FileRefused(
        f"The file has {count:,} columns; the limit is {limits.max_columns:,}.",
        code="too_many_columns",
    )


def row_too_long(line: int, limits: FileLimits) -> FileRefused:
    return FileRefused(
        f"Line {line:,} is longer than {_kb(limits.max_row_bytes)}, which no survey response "
        "or map row needs; nothing was imported.",
        code="row_too_long",
    )


def utf16_of(head: bytes) -> str | None:
    """UTF-16 by its BOM, or by its NULs: Excel's "Unicode text" and some exports save it."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # the BOM tells the byte order, and the codec drops it
    sample = head[:UTF16_SAMPLE]
    even, odd = sample[0::2], sample[1::2]
    if len(odd) < 2:
        return None
    if odd.count(0) > len(odd) * _UTF16_NULS and not even.count(0):
        return "utf-16-le"
    if even.count(0) > len(even) * _UTF16_NULS and not odd.count(0):
        return "utf-16-be"
    return None


# --- XLSX ------------------------------------------------------------------------------------


def _unreadable(error: Exception | str) -> FileRefused:
    return FileRefused(f"This is not a readable XLSX file ({error}).", code="unreadable_file")


def xlsx_open(file: Path | IO[bytes]) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise _unreadable(error) from None


def xlsx_inspect(file: Path | IO[bytes], limits: FileLimits, *, deep: bool = True) -> None:
    """Refuse a workbook that would cost more to open with openpyxl than its bounds allow.

    ``deep=False`` reads only the zip's directory and each part's prolog (the upload-time
    header check, which reads the first row on its own and never opens the workbook with
    openpyxl); ``deep`` also streams the shared strings and every sheet's rows, which is what
    openpyxl will build."""
    with xlsx_open(file) as archive:
        parts = archive.infolist()
        _parts_check(parts, limits)
        for part in parts:
            if _XML_PART.search(part.filename):
                _no_dtd(archive, part)
        if not deep:
            return
        if "xl/sharedStrings.xml" in {part.filename for part in parts}:
            _shared_strings_check(archive, limits)
        for part in parts:
            if _SHEET_PART.match(part.filename):
                _rows_check(archive, part.filename, limits)


def _parts_check(parts: list[zipfile.ZipInfo], limits: FileLimits) -> None:
    """Sizes from the zip's directory (zipfile never hands out more than a part declares)."""
    if len(parts) > _MAX_PARTS:
        raise FileRefused(f"The workbook has {len(parts):,} parts.", code="too_large")
    unpacked = sum(part.file_size for part in parts)
    if unpacked > limits.max_unpacked_bytes:
        raise FileRefused(
            f"The workbook unpacks to {_kb(unpacked)}; the limit is "
            f"{_kb(limits.max_unpacked_bytes)}.",
            code="too_large",
        )
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > _RATIO_FLOOR and ratio > limits.max_ratio:
            raise FileRefused(
                f"Part {part.filename[:80]} of the workbook unpacks to {ratio:,.0f} times its "
                f"packed size (the limit is {limits.max_ratio}): it is not a spreadsheet as "
                "spreadsheet programs write them.",
                code="too_large",
            )


def _no_dtd(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> None:
    """Refuse a part with a DTD; read up to its first element (a DTD must come before it)."""
    parser = _parser()

    def first_element(_tag: str, _attrs) -> None:
        raise _Stop

    parser.StartElementHandler = first_element
    _feed(archive, part.filename, parser)


class _Stop(Exception):
    """Enough of a part was read."""


def _parser() -> expat.XMLParserType:
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse_dtd(*_args) -> None:
        raise FileRefused(
            "The workbook declares a DTD (<!DOCTYPE>), which spreadsheets never do; the file "
            "was refused unread.",
            code="unsafe_file",
        )

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    return parser


def _feed(archive: zipfile.ZipFile, name: str, parser: expat.XMLParserType) -> None:
    try:
        with archive.open(name) as stream:
            while chunk := stream.read(_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Stop:
        return
    except (expat.ExpatError, zipfile.BadZipFile, OSError, EOFError) as error:
        raise _unreadable(f"{name}: {error}") from None


def _local(name: str) -> str:
    return name.rsplit(" ", 1)[-1]


class _Prefixed(Exception):
    """The part names the spreadsheet namespace with a prefix: its tags are not found by bytes."""


_MAIN_PREFIXED = re.compile(
    rb"xmlns:[\w.-]+\s*=\s*[\"']http://schemas\.openxmlformats\.org/spreadsheetml/2006/main"
)


def _records_scan(archive, name: str, record: bytes, item: bytes | None, check) -> None:
    """Find each record (a row, a shared string) and count its items (cells) by their tags'
    bytes, with ``re`` doing the work in C and Python touched once per record: expat calling
    Python for every element took a third as long as openpyxl's own read of a large sheet.

    ``check(number, size, items)`` sees each record when it closes (``size`` None while it is
    still open, only its items counted so far). Tags are found as spreadsheet programs write
    them, in the default namespace; a part that binds the namespace to a prefix raises
    ``_Prefixed``, for expat to read. A tag found that is not one (in a comment) only
    over-counts, never under-counts, so it can refuse a file, never let one through."""
    opens = re.compile(b"<" + record + rb"[\s/>]")
    # Nothing matches a tag name with a space in it: no items counted.
    items_re = re.compile(b"<" + (item or b" ") + rb"[\s/>]")
    closing = b"</" + record + b">"
    number = items = start = consumed = last_close = 0
    buffer = b""
    with archive.open(name) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            buffer += chunk
            if _MAIN_PREFIXED.search(buffer):
                raise _Prefixed
            end = len(buffer) if not chunk else _safe_end(buffer)
            cursor = 0
            for match in opens.finditer(buffer, 0, end):
                if number:
                    items += len(items_re.findall(buffer, cursor, match.start()))
                    check(number, consumed + match.start() - start, items)
                number, items, start = number + 1, 0, consumed + match.start()
                cursor = match.start()
            if number:
                items += len(items_re.findall(buffer, cursor, end))
                check(number, None, items)
            close = buffer.rfind(closing, 0, end)
            last_close = consumed + close + len(closing) if close >= 0 else last_close
            buffer, consumed = buffer[end:], consumed + end
            if not chunk:
                break
    if number:
        # The last record ends at the last closing tag (what follows is the sheet's other parts).
        check(number, max(last_close, start) - start, items)


def _safe_end(buffer: bytes) -> int:
    """Where to stop scanning this buffer: at its last ``<`` (no tag is cut in two), keeping a
    few bytes back; the rest is scanned with the next chunk."""
    end = buffer.rfind(b"<", 0, max(len(buffer) - 8, 0))
    return end if end > 0 else max(len(buffer) - 8, 0)


def _shared_strings_check(archive: zipfile.ZipFile, limits: FileLimits) -> None:
    """openpyxl loads every shared string at open: count them (and their sizes) first."""

    def check(number: int, size: int | None, _items: int) -> None:
        if number > limits.max_shared_strings:
            raise FileRefused(
                f"The workbook has more than {limits.max_shared_strings:,} distinct texts.",
                code="too_large",
            )
        if size is not None and size > limits.max_row_bytes:
            raise FileRefused(
                f"Shared string {number:,} of the workbook is longer than "
                f"{_kb(limits.max_row_bytes)}.",
                code="row_too_long",
            )

    try:
        _records_scan(archive, "xl/sharedStrings.xml", b"si", None, check)
    except _Prefixed:
        _shared_strings_parsed(archive, limits)


def _rows_check(archive: zipfile.ZipFile, name: str, limits: FileLimits) -> None:
    """Every row of a sheet within the bounds of cells and bytes: openpyxl builds each whole."""

    def check(number: int, size: int | None, cells: int) -> None:
        if cells > limits.max_columns:
            raise _too_many_cells(number, limits)
        if size is not None and size > limits.max_row_bytes:
            raise row_too_long(number, limits)

    try:
        _records_scan(archive, name, b"row", b"c", check)
    except _Prefixed:
        _rows_parsed(archive, name, limits)


def _too_many_cells(row: int, limits: FileLimits) -> FileRefused:
    return FileRefused(
        f"Row {row:,} of the sheet has more than {limits.max_columns:,} cells; the limit is "
        "that many columns.",
        code="too_many_columns",
    )


def _shared_strings_parsed(archive: zipfile.ZipFile, limits: FileLimits) -> None:
    """``_shared_strings_check`` by expat, for a part with prefixed tags."""
    parser = _parser()
    state = {"count": 0, "start": 0}

    def start(name: str, _attrs) -> None:
        if _local(name) != "si":
            return
        here = parser.CurrentByteIndex
        if state["count"] and here - state["start"] > limits.max_row_bytes:
            raise FileRefused(
                f"Shared string {state['count']:,} of the workbook is longer than "
                f"{_kb(limits.max_row_bytes)}.",
                code="row_too_long",
            )
        state["count"] += 1
        state["start"] = here
        if state["count"] > limits.max_shared_strings:
            raise FileRefused(
                f"The workbook has more than {limits.max_shared_strings:,} distinct texts.",
                code="too_large",
            )

    parser.StartElementHandler = start
    _feed(archive, "xl/sharedStrings.xml", parser)


def _rows_parsed(archive: zipfile.ZipFile, name: str, limits: FileLimits) -> None:
    """``_rows_check`` by expat, for a part with prefixed tags."""
    parser = _parser()
    state = {"row": 0, "cells": 0, "start": 0}

    def row_end_check() -> None:
        if state["row"] and parser.CurrentByteIndex - state["start"] > limits.max_row_bytes:
            raise row_too_long(state["row"], limits)

    def start(tag: str, _attrs) -> None:
        local = _local(tag)
        if local == "c":
            state["cells"] += 1
            if state["cells"] > limits.max_columns:
                raise _too_many_cells(state["row"], limits)
        elif local == "row":
            row_end_check()
            state.update(row=state["row"] + 1, cells=0, start=parser.CurrentByteIndex)

    def end(tag: str) -> None:
        if _local(tag) == "sheetData":
            row_end_check()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    _feed(archive, name, parser)


# --- The first row of a workbook, read alone ----------------------------------------------------


def xlsx_header(path: Path, limits: FileLimits) -> list[str]:
    """The first sheet's first row as text, reading no more of the file than that row and the
    shared strings it names (for the check at upload; the import opens it with openpyxl)."""
    with xlsx_open(path) as archive:
        sheet = _first_sheet(archive)
        cells = _first_row(archive, sheet, limits)
        wanted = {int(v) for t, v in cells.values() if t == "s" and v.strip().isdigit()}
        strings = _shared_strings(archive, wanted, limits) if wanted else {}
    if not cells:
        return []
    header = [""] * (max(cells) + 1)
    for column, (kind, value) in cells.items():
        header[column] = _cell_text(kind, value, strings).strip()
    return header


def _cell_text(kind: str, value: str, strings: dict[int, str]) -> str:
    """As openpyxl would give the cell, then ``str``: numbers as int or float, booleans."""
    if kind == "s":
        return strings.get(int(value), "") if value.strip().isdigit() else ""
    if kind == "b":
        return str(value.strip() == "1")
    if kind in ("", "n"):
        try:
            return str(int(value))
        except ValueError:
            try:
                return str(float(value))
            except ValueError:
                return value
    return value


def _first_sheet(archive: zipfile.ZipFile) -> str:
    """The part of the workbook's first worksheet, as openpyxl's ``worksheets[0]``."""
    targets: dict[str, str] = {}
    order: list[str] = []
    rels = _parser()
    rels.StartElementHandler = lambda tag, a: (
        targets.__setitem__(a.get("Id", ""), a.get("Target", ""))
        if _local(tag) == "Relationship" and a.get("Type", "").endswith("/worksheet")
        else None
    )
    book = _parser()
    book.StartElementHandler = lambda tag, a: (
        order.append(next((v for k, v in a.items() if _local(k) == "id"), ""))
        if _local(tag) == "sheet"
        else None
    )
    _feed(archive, "xl/_rels/workbook.xml.rels", rels)
    _feed(archive, "xl/workbook.xml", book)
    for rel_id in order:
        target = targets.get(rel_id)
        if target:
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    raise _unreadable("it has no worksheet")


class _FirstRow:
    """Column index → (cell type, raw text) of a sheet's first row; stops at its end."""

    def __init__(self, limits: FileLimits) -> None:
        self.limits = limits
        self.parser = _parser()
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.data
        self.cells: dict[int, tuple[str, str]] = {}
        self.in_row = False
        self.cell: tuple[int, str] | None = None
        self.text: list[str] = []
        self.in_text = False  # in a value (<v>) or a text (<t>), not a formula
        self.size = 0
        self.next = 0

    def start(self, tag: str, attrs: dict) -> None:
        local = _local(tag)
        if local == "row":
            self.in_row = True
        elif local == "c" and self.in_row:
            if len(self.cells) >= self.limits.max_columns:
                raise too_many_columns(len(self.cells) + 1, self.limits)
            match = _CELL_REF.match(attrs.get("r", ""))
            column = _column_index(match[1]) if match else self.next
            self.cell, self.text, self.next = (column, attrs.get("t", "")), [], column + 1
        self.in_text = self.cell is not None and local in ("v", "t")

    def data(self, text: str) -> None:
        if self.in_text:
            self.size += len(text)
            if self.size > self.limits.max_row_bytes:
                raise row_too_long(1, self.limits)
            self.text.append(text)

    def end(self, tag: str) -> None:
        local = _local(tag)
        self.in_text = False
        if local == "c" and self.cell is not None:
            self.cells[self.cell[0]] = (self.cell[1], "".join(self.text))
            self.cell = None
        elif local == "row" and self.in_row:
            raise _Stop
        elif local == "rPh":
            self.text.clear()  # a phonetic run is not the cell's text


def _first_row(archive: zipfile.ZipFile, sheet: str, limits: FileLimits) -> dict[int, tuple]:
    reader = _FirstRow(limits)
    _feed(archive, sheet, reader.parser)
    return reader.cells


def _column_index(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number - 1


class _SharedStrings:
    """The shared strings at the indexes wanted, reading no further than the last of them."""

    def __init__(self, wanted: set[int], limits: FileLimits) -> None:
        self.wanted, self.last, self.limits = wanted, max(wanted), limits
        self.parser = _parser()
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.data
        self.found: dict[int, str] = {}
        self.index = -1
        self.text: list[str] = []
        self.size = 0
        self.phonetic = False
        self.in_text = False

    def start(self, tag: str, _attrs) -> None:
        local = _local(tag)
        if local == "si":
            self.index, self.text, self.size = self.index + 1, [], 0
        elif local == "rPh":
            self.phonetic = True
        self.in_text = local == "t" and not self.phonetic

    def data(self, text: str) -> None:
        if self.in_text and self.index in self.wanted:
            self.size += len(text)
            if self.size > self.limits.max_row_bytes:
                raise row_too_long(1, self.limits)
            self.text.append(text)

    def end(self, tag: str) -> None:
        local = _local(tag)
        self.in_text = False
        if local == "rPh":
            self.phonetic = False
        elif local == "si" and self.index in self.wanted:
            self.found[self.index] = "".join(self.text)
            if self.index >= self.last:
                raise _Stop


def _shared_strings(
    archive: zipfile.ZipFile, wanted: set[int], limits: FileLimits
) -> dict[int, str]:
    reader = _SharedStrings(wanted, limits)
    if "xl/sharedStrings.xml" in archive.namelist():
        _feed(archive, "xl/sharedStrings.xml", reader.parser)
    return reader.found
