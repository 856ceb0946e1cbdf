"""Reading survey files row by row, in bounded memory: CSV (UTF-8 with or without BOM, UTF-16,
or Latin-1; comma or semicolon) and XLSX. Each reader yields lists of cell values after a header,
and reports how far through the file it is, for the progress bar.

Nothing is built before it is measured (``config.file_limits``): a CSV's lines are measured in
the encoding pass, before any is parsed, and a row is counted as the csv module reads it; a
workbook is inspected before openpyxl opens it. The header check at upload reads a bounded
prefix of the file (``table_header``), never the whole of it.
"""

import codecs
import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from config.file_limits import (
    UTF16_SAMPLE,
    FileLimits,
    FileRefused,
    row_too_long,
    too_many_columns,
    utf16_of,
    xlsx_header,
    xlsx_inspect,
)
from feedback.exceptions import ImportRefused

_SCAN_CHUNK = 1 << 20


@contextmanager
def _refusals() -> Iterator[None]:
    """A bound broken, as this app's refusal (the same code and words)."""
    try:
        yield
    except FileRefused as refused:
        raise ImportRefused(refused.code, refused.message) from None


class _LineMeter:
    """Measures every line of a file as it streams by; refuses one longer than the limit."""

    def __init__(self, limits: FileLimits) -> None:
        self.limit, self.limits = limits.max_row_bytes, limits
        self.run = 0  # bytes of the line being read
        self.line = 1

    def feed(self, chunk: bytes) -> None:
        pieces = chunk.split(b"\n")
        if self.run + len(pieces[0]) > self.limit:
            raise row_too_long(self.line, self.limits)
        if len(pieces) == 1:
            self.run += len(pieces[0])
            return
        middle = pieces[1:-1]
        if middle and max(map(len, middle)) > self.limit:
            offset = next(i for i, piece in enumerate(middle, 1) if len(piece) > self.limit)
            raise row_too_long(self.line + offset, self.limits)
        self.line += len(pieces) - 1
        self.run = len(pieces[-1])
        if self.run > self.limit:
            raise row_too_long(self.line, self.limits)


def _encoding_of(raw: IO[bytes], limits: FileLimits) -> str:
    """UTF-16 if it says so, UTF-8 (BOM or not) if the whole file decodes as UTF-8, else
    Latin-1 (Excel's default); every line measured on the way.

    A full streaming pass: a stray Latin-1 byte a million rows in must not fail the import
    halfway, after good rows were written; nor must a line of 50 MB.
    """
    head = raw.read(UTF16_SAMPLE)
    raw.seek(0)
    utf16 = utf16_of(head)
    decoder = codecs.getincrementaldecoder(utf16 or "utf-8")()
    meter = _LineMeter(limits)
    decodes = True
    try:
        while chunk := raw.read(_SCAN_CHUNK):
            meter.feed(chunk)
            if decodes:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    decodes = False
        if decodes:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                decodes = False
    finally:
        raw.seek(0)
    if utf16:
        if not decodes:
            raise FileRefused(
                "The file looks like UTF-16 but does not decode as UTF-16; save it as UTF-8.",
                code="unreadable_encoding",
            )
        return utf16
    if not decodes:
        return "latin-1"
    return "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"


def _delimiter_of(header_line: str) -> str:
    # Spreadsheets in comma-decimal locales save with semicolons.
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _header_of(first: str, limits: FileLimits) -> tuple[list[str], str]:
    if not first.strip():
        raise ImportRefused("empty_file", "The file is empty: it has no header row.")
    delimiter = _delimiter_of(first)
    header = [name.strip() for name in next(csv.reader([first], delimiter=delimiter))]
    if len(header) > limits.max_columns:
        raise too_many_columns(len(header), limits)
    return header, delimiter


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
    def __init__(self, raw: IO[bytes], limits: FileLimits | None = None) -> None:
        self.raw = raw
        self.limits = limits or FileLimits.from_settings()
        raw.seek(0, io.SEEK_END)
        self.size = raw.tell()
        raw.seek(0)
        self.encoding = _encoding_of(raw, self.limits)
        self.text = io.TextIOWrapper(raw, encoding=self.encoding, newline="")
        # Every line is within the limit now (the encoding pass measured them).
        self.header, self.delimiter = _header_of(self.text.readline(), self.limits)
        self._pending = 0  # characters read for the row being parsed
        self._rows = csv.reader(self._lines(), delimiter=self.delimiter)

    def _lines(self) -> Iterator[str]:
        """The file's lines, counted into the row the csv module is building: a quoted cell
        may run over many lines, and a row is held whole before it is handed over."""
        for line in self.text:
            self._pending += len(line)
            if self._pending > self.limits.max_row_bytes:
                raise row_too_long(self._rows.line_num, self.limits)
            yield line

    def rows(self) -> Iterator[list[Any]]:
        try:
            for row in self._rows:
                self._pending = 0
                yield row
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
    def __init__(self, path: Path, limits: FileLimits | None = None) -> None:
        import zipfile

        from openpyxl import load_workbook

        self.size = path.stat().st_size
        # What openpyxl will build (every shared string, each row whole), measured first.
        xlsx_inspect(path, limits or FileLimits.from_settings())
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


def _kind_of(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        return "xlsx"
    if suffix in (".csv", ".txt", ""):
        return "csv"
    raise ImportRefused("unsupported_file", "Upload a .csv or .xlsx file.")


def table_open(path: Path, name: str) -> TableReader:
    """A reader for an uploaded file, chosen by its name (and refused if neither CSV nor XLSX)."""
    kind = _kind_of(name)
    with _refusals():
        if kind == "xlsx":
            return XlsxReader(path)
        raw = open(path, "rb")  # noqa: SIM115 (closed by the reader)
        try:
            return CsvReader(raw)
        except BaseException:
            raw.close()
            raise


def table_header(path: Path, name: str, limits: FileLimits | None = None) -> list[str]:
    """The file's header row, read from a bounded prefix of it (the check at upload, in the
    web process: the worker reads, and measures, the whole file)."""
    limits = limits or FileLimits.from_settings()
    kind = _kind_of(name)
    with _refusals():
        if kind == "xlsx":
            xlsx_inspect(path, limits, deep=False)
            header = xlsx_header(path, limits)
            if not any(header):
                raise ImportRefused("empty_file", "The sheet is empty: it has no header row.")
            return header
        with open(path, "rb") as raw:
            prefix = raw.read(limits.max_row_bytes + UTF16_SAMPLE)
            more = bool(raw.read(1))
        return _header_of(_first_line(prefix, more, limits), limits)[0]


def _first_line(prefix: bytes, more: bool, limits: FileLimits) -> str:
    """The first line of a file from its first bytes, decoded as the whole file would be
    (as far as its prefix tells)."""
    encoding = utf16_of(prefix)
    if encoding is None:
        try:
            codecs.getincrementaldecoder("utf-8-sig")().decode(prefix)
            encoding = "utf-8-sig"
        except UnicodeDecodeError:
            encoding = "latin-1"
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(prefix)
    line, newline, _rest = text.partition("\n")
    if not newline and (more or len(line.encode(encoding, "replace")) > limits.max_row_bytes):
        raise row_too_long(1, limits)
    return line


# The preview reads at most this much of a CSV (the web process never reads a whole upload).
SAMPLE_BYTES = 16 << 20


def table_sample(path: Path, name: str, rows: int) -> tuple[list[str], list[list[Any]]]:
    """The header and the first ``rows`` rows of an uploaded file, read from a bounded prefix
    (the import wizard's preview, in the web process). A CSV's lines are measured as the
    import measures them; a row a cut prefix may have split is left out."""
    limits = FileLimits.from_settings()
    kind = _kind_of(name)
    with _refusals():
        if kind == "xlsx":
            return _xlsx_sample(path, limits, rows)
        with open(path, "rb") as raw:
            prefix = raw.read(SAMPLE_BYTES)
            whole = not raw.read(1)
        _LineMeter(limits).feed(prefix)
        lines = io.StringIO(_prefix_text(prefix, whole), newline="")
        header, delimiter = _header_of(lines.readline(), limits)
        sample = []
        try:
            for cells in csv.reader(lines, delimiter=delimiter):
                sample.append(cells)
                if len(sample) > rows:
                    break
        except csv.Error:
            pass  # a cut quoted cell at the end of the prefix: the rows before it stand
        if not whole and len(sample) <= rows:
            sample = sample[:-1]  # the last row may continue past the prefix
        return header, sample[:rows]


def _xlsx_sample(path: Path, limits: FileLimits, rows: int) -> tuple[list[str], list[list[Any]]]:
    reader = XlsxReader(path, limits)
    try:
        sample = []
        for cells in reader.rows():
            sample.append(cells)
            if len(sample) >= rows:
                break
        return reader.header, sample
    finally:
        reader.close()


def _prefix_text(prefix: bytes, whole: bool) -> str:
    """A file's first bytes as text, decoded as the whole file would be (as far as they tell),
    cut after their last whole line unless they are the whole file."""
    encoding = utf16_of(prefix[:UTF16_SAMPLE])
    if encoding is not None:
        text = prefix[: len(prefix) // 2 * 2].decode(encoding, errors="replace").lstrip("\ufeff")
        return text if whole else (text[: text.rfind("\n") + 1] or text)
    if not whole:
        prefix = prefix[: prefix.rfind(b"\n") + 1] or prefix
    try:
        return prefix.decode("utf-8-sig")
    except UnicodeDecodeError:
        return prefix.decode("latin-1")
