"""Crafted files as an attacker (or a broken export) makes them, built in memory for each test
and for ``bench/hostile_files.py``; none is ever committed.

The workbooks are assembled part by part with ``zipfile``: the smallest XLSX openpyxl opens, with
whatever the test needs in its sheet or shared strings.
"""

import io
import random
import zipfile

SURVEY_HEADER = "response_id,submitted_at,nps,comment"

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Map" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _text_cell(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;")
    return f'<c t="inlineStr"><is><t>{escaped}</t></is></c>'


def workbook(
    rows_xml: str,
    *,
    shared: list[str] | None = None,
    extra: dict[str, bytes] | None = None,
    prefix: str = "",
) -> bytes:
    """A workbook whose one sheet's ``<sheetData>`` is ``rows_xml``; with ``prefix`` its tags
    name the spreadsheet namespace by that prefix (legal XML, though no program writes it)."""
    p = f"{prefix}:" if prefix else ""
    declare = f'xmlns:{prefix}="{_MAIN}"' if prefix else f'xmlns="{_MAIN}"'
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><{p}worksheet {declare}>'
        f"<{p}sheetData>{rows_xml}</{p}sheetData></{p}worksheet>"
    )
    strings = "".join(f"<si><t>{s}</t></si>" for s in shared or [])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        archive.writestr(
            "xl/sharedStrings.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}">{strings}</sst>',
        )
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def survey_rows_xml(rows: list[list[str]]) -> str:
    return "".join(f"<row>{''.join(_text_cell(c) for c in row)}</row>" for row in rows)


def survey_workbook(rows: list[list[str]]) -> bytes:
    """A tidy survey export as a workbook (inline strings)."""
    return workbook(survey_rows_xml([SURVEY_HEADER.split(","), *rows]))


def wide_header_workbook(cells: int, *, varied: bool = False) -> bytes:
    """A header row of ``cells`` cells (the finding: a million in 112 KB). ``varied`` numbers
    pack about as tightly as a real sheet does, so the zip's ratio alone does not give it away."""
    if not varied:
        return workbook("<row>" + "<c><v>1</v></c>" * cells + "</row>")
    numbers = random.Random(13)
    return workbook(
        "<row>"
        + "".join(f"<c><v>{numbers.randrange(10**6)}</v></c>" for _ in range(cells))
        + "</row>"
    )


def dtd_workbook() -> bytes:
    """A workbook whose shared strings declare an entity (the XML bomb's first step)."""
    good = survey_workbook([["r1", "2024-05-01", "9", "ok"]])
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(good)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for part in source.infolist():
            data = source.read(part)
            if part.filename == "xl/sharedStrings.xml":
                data = (
                    b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY boom "boom">]>'
                    b'<sst xmlns="' + _MAIN.encode() + b'"><si><t>&boom;</t></si></sst>'
                )
            archive.writestr(part, data)
    return out.getvalue()


def padded_workbook(padding_bytes: int) -> bytes:
    """A tidy workbook with a part that unpacks to ``padding_bytes`` of zeros (a zip bomb)."""
    return workbook(
        survey_rows_xml([SURVEY_HEADER.split(","), ["r1", "2024-05-01", "9", "ok"]]),
        extra={"xl/media/padding.bin": b"\0" * padding_bytes},
    )


def survey_csv(rows: int, *, comment: str = "Fine") -> bytes:
    lines = [SURVEY_HEADER]
    lines += [f"r{n},2024-05-{n % 28 + 1:02d},{n % 11},{comment} {n}" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def one_huge_line_csv(line_bytes: int) -> bytes:
    """A tidy header, then one line of ``line_bytes`` (the finding: 50 MB, mostly commas)."""
    return f"{SURVEY_HEADER}\nr1,2024-05-01,9,".encode() + b"x," * (line_bytes // 2) + b"\n"


def many_lines_grid(lines: int) -> bytes:
    """A map grid CSV of ``lines`` short lines (the finding: 5M lines in 10 MB)."""
    return b"Lane \\ Phase,Discover\n" + b"x\n" * lines
