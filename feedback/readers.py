"""Reading survey files row by row, in bounded memory: CSV (UTF-8 with or without BOM, or
Latin-1; comma or semicolon) and XLSX. Each reader yields lists of cell values after a header,
and reports how far through the file it is, for the progress bar."""

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from feedback.exceptions import ImportRefused

_SCAN_CHUNK = 1 << 20


def _encoding_of(raw: IO[bytes]) -> str:
    """UTF-8 (BOM or not) if the whole file decodes as UTF-8, else Latin-1 (Excel's default).

    A full streaming pass: a stray Latin-1 byte a million rows in must not fail the import
    halfway, after good rows were written.
    """
    head = raw.read(3)
    raw.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := raw.read(_SCAN_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "latin-1"
    finally:
        raw.seek(0)
    return "utf-8-sig" if head == codecs.BOM_UTF8 else "utf-8"


def _delimiter_of(header_line: str) -> str:
    # Spreadsheets in comma-decimal locales save with semicolons.
    return ";" if header_line.count(";") > header_line.count(",") else ","


class TableReader:
    """Header and rows of an uploaded file; ``position``/``size`` measure progress."""

    header: list[str]
    size: int

    def rows(self) -> Iterator[list[Any]]:
        raise NotImplementedError

    @property
    def position(self) -> int:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class CsvReader(TableReader):
    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        raw.seek(0, io.SEEK_END)
        self.size = raw.tell()
        raw.seek(0)
        self.encoding = _encoding_of(raw)
        self.text = io.TextIOWrapper(raw, encoding=self.encoding, newline="")
        first = self.text.readline()
        if not first.strip():
            raise ImportRefused("empty_file", "The file is empty: it has no header row.")
        self.delimiter = _delimiter_of(first)
        self.header = [name.strip() for name in next(csv.reader([first], delimiter=self.delimiter))]
        self._rows = csv.reader(self.text, delimiter=self.delimiter)

    def rows(self) -> Iterator[list[Any]]:
        try:
            yield from self._rows
        except csv.Error as error:
            raise ImportRefused(
                "malformed_csv", f"The CSV is malformed at line {self._rows.line_num}: {error}."
            ) from None

    @property
    def position(self) -> int:
        return self.raw.tell()

    def close(self) -> None:
        self.text.detach()
        self.raw.close()


class XlsxReader(TableReader):
    def __init__(self, path: Path) -> None:
        import zipfile

        from openpyxl import load_workbook

        self.size = path.stat().st_size
        try:
            # Read-only mode streams the sheet's XML instead of building the whole workbook.
            self.workbook = load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
            raise ImportRefused(
                "unreadable_file", f"This is not a readable XLSX file ({error})."
            ) from None
        sheet = self.workbook.worksheets[0]
        self.total_rows = sheet.max_row or 0
        self._rows = sheet.iter_rows(values_only=True)
        first = next(self._rows, None)
        if first is None:
            raise ImportRefused("empty_file", "The sheet is empty: it has no header row.")
        self.header = ["" if cell is None else str(cell).strip() for cell in first]
        self.done = 1

    def rows(self) -> Iterator[list[Any]]:
        for row in self._rows:
            self.done += 1
            yield list(row)

    @property
    def position(self) -> int:
        # Rows, scaled to bytes so that both readers report progress the same way.
        if not self.total_rows:
            return 0
        return int(self.size * min(1.0, self.done / self.total_rows))

    def close(self) -> None:
        self.workbook.close()


def table_open(path: Path, name: str) -> TableReader:
    """A reader for an uploaded file, chosen by its name (and refused if neither CSV nor XLSX)."""
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        return XlsxReader(path)
    if suffix in (".csv", ".txt", ""):
        return CsvReader(open(path, "rb"))  # closed by the reader
    raise ImportRefused("unsupported_file", "Upload a .csv or .xlsx file.")
