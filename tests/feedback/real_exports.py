"""Survey exports in the shapes they really come in, generated for the tests (and the import
wizard's browser tests): each generator returns the file and what importing it with the
settings it needs must give, row by row, so a test asserts exact counts.

- ``patient_feedback_csv``: a public patient-feedback export — comment id, trust, day-first
  dates (``30/09/2021``) with some month-first ones (``9/30/2022``) in the same file, a service
  column (``111``, ``PTS\u00a0- Patient Transport`` with a non-breaking space, ``Walk-in
  clinic``), a 1–5 answer where 1 is "very good" and 6 / 7 mean "don't know", free text.
- ``labelled_latin1_csv``: Latin-1, semicolons, labelled answers ("Very satisfied"…), month-first
  dates with a 12-hour time, in New York time.
- ``serial_dates_xlsx`` / ``date_cells_xlsx``: workbooks with Excel serial numbers, and with
  real date cells.
- ``ten_point_csat_csv``: a 1–10 CSAT, mapped down to 1–5.
"""

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from openpyxl import Workbook

# The reversed 1–5 scale of the patient-feedback export: 1 is "very good"; 6 and 7 are
# "don't know" and "prefer not to say" (left empty, not refused).
REVERSED_CSAT = {"1": 5, "2": 4, "3": 3, "4": 2, "5": 1, "6": None, "7": None}
SATISFACTION_LABELS = {
    "very satisfied": 5,
    "satisfied": 4,
    "neither satisfied nor dissatisfied": 3,
    "dissatisfied": 2,
    "very dissatisfied": 1,
    "don't know": None,
}
TEN_TO_FIVE = {str(n): (n + 1) // 2 for n in range(1, 11)}


@dataclass
class Expected:
    """What an import of a generated file must count, and what it must store."""

    read: int = 0
    imported: int = 0
    refused: int = 0
    unmatched: int = 0
    # touchpoint code → the CSAT values stored on it (for the metrics)
    csat: dict[str, list[int]] = field(default_factory=dict)
    # refused spreadsheet rows (the header is row 1) → the field refused
    refusals: dict[int, str] = field(default_factory=dict)
    # a few response ids → their submitted_at in UTC, ISO
    moments: dict[str, str] = field(default_factory=dict)


PATIENT_SERVICES = ("111", "PTS\u00a0- Patient Transport", "Walk-in clinic")


def patient_feedback_csv(rows: int = 1200) -> tuple[bytes, Expected]:
    """The patient-feedback export. Imported day-first with ``REVERSED_CSAT``, ``Trust`` kept,
    on a map with a touchpoint coded ``111``: every 20th row's date is month-first only (and
    refused), a "don't know" answer without a comment is refused as "no score and no comment",
    and ``PTS\u00a0- Patient Transport`` and ``Walk-in clinic`` stay unmatched."""
    lines = ["Comment ID,Trust,Date,Service,Q1,Answer"]
    expected = Expected(read=rows)
    for n in range(1, rows + 1):
        if n % 20 == 0:
            date = f"{n % 9 + 1}/{n % 16 + 13}/2022"  # month first only, like 9/30/2022
        elif n % 20 == 10:
            date = f"{n % 12 + 1:02d}/{n % 12 + 1:02d}/2021"  # reads both ways, and the same
        else:
            date = f"{n % 16 + 13}/{n % 12 + 1:02d}/2021 {n % 24:02d}:05"  # 30/09/2021 14:05
        answer = str(n % 7 + 1)
        comment = "" if n % 14 == 5 else f'"Visit {n}: the staff were kind, the wait was long"'
        if n % 14 == 12:
            comment = f'"Said ""thank you"", {n}"'  # quotes and a comma inside a cell
        service = PATIENT_SERVICES[n % 3]
        lines.append(f"C{n:05d},{'RX1' if n % 2 else 'RYJ'},{date},{service},{answer},{comment}")
        score = REVERSED_CSAT[answer]
        if n % 20 == 0:
            expected.refusals[n + 1] = "submitted_at"
        elif score is None and not comment:
            expected.refusals[n + 1] = ""  # "no score and no comment"
        if (n + 1) in expected.refusals:
            expected.refused += 1
            continue
        expected.imported += 1
        if service == "111":
            if score is not None:
                expected.csat.setdefault("111", []).append(score)
        else:
            expected.unmatched += 1
    expected.moments["C00001"] = "2021-02-14T01:05:00+00:00"
    return ("\n".join(lines) + "\n").encode(), expected


def labelled_latin1_csv(rows: int = 300) -> tuple[bytes, Expected]:
    """Latin-1 with semicolons; labelled answers; month-first dates with a 12-hour time in New
    York time; a channel column naming the touchpoint code ``phone``. Every 25th answer is a
    label nobody mapped ("Meh"): refused, naming it."""
    labels = [*SATISFACTION_LABELS, "Very satisfied"]
    lines = ["Respondent ID;Submitted;Satisfaction;Commentaire;Channel"]
    expected = Expected(read=rows)
    for n in range(1, rows + 1):
        label = "Meh" if n % 25 == 0 else labels[n % len(labels)]
        label = label[0].upper() + label[1:]
        when = f"{n % 12 + 1}/{n % 15 + 13}/2022 {n % 12 + 1}:30 {'PM' if n % 2 else 'AM'}"
        lines.append(f"R{n};{when};{label};Très bien, café {n} à l'accueil;phone")
        if label == "Meh":
            expected.refused += 1
            expected.refusals[n + 1] = "csat"
            continue
        expected.imported += 1
        score = SATISFACTION_LABELS.get(label.lower(), 5)
        if score is not None:
            expected.csat.setdefault("phone", []).append(score)
    # 2/14/2022 2:30 PM in New York (EST, UTC−5).
    expected.moments["R1"] = "2022-02-14T19:30:00+00:00"
    return ("\n".join(lines) + "\n").encode("latin-1"), expected


def _workbook(header: list[str], rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def serial_dates_xlsx(rows: int = 200) -> tuple[bytes, Expected]:
    """A workbook whose dates are Excel serial numbers (44469.25 is 30/09/2021 06:00), some
    written as text; NPS and CES; ids as numbers (1234.0 reads 1234). Every 50th date is 12
    (no survey date): refused."""
    header = ["ID", "Date", "NPS", "CES", "Comment", "Touchpoint"]
    table, expected = [], Expected(read=rows)
    for n in range(1, rows + 1):
        serial: float | str = 44469.25 + n
        if n % 7 == 0:
            serial = f"{serial}"  # a serial number saved as text
        if n % 50 == 0:
            serial = 12
        table.append([1000 + n, serial, n % 11, n % 7 + 1, f"Comment {n}", "checkout"])
        if n % 50 == 0:
            expected.refused += 1
            expected.refusals[n + 1] = "submitted_at"
        else:
            expected.imported += 1
    expected.moments["1001"] = "2021-10-01T06:00:00+00:00"
    return _workbook(header, table), expected


def date_cells_xlsx(rows: int = 120) -> tuple[bytes, Expected]:
    """A workbook whose dates are real date cells (read as dates whatever the format)."""
    header = ["Response ID", "Created", "CSAT", "Feedback", "Touchpoint"]
    table, expected = [], Expected(read=rows)
    for n in range(1, rows + 1):
        table.append(
            [f"D{n}", datetime(2023, 3, 1, 9) + timedelta(hours=n), n % 5 + 1, "", "checkout"]
        )
        expected.imported += 1
        expected.csat.setdefault("checkout", []).append(n % 5 + 1)
    expected.moments["D1"] = "2023-03-01T10:00:00+00:00"
    return _workbook(header, table), expected


def ten_point_csat_csv(rows: int = 200) -> tuple[bytes, Expected]:
    """A 1–10 satisfaction score (ISO dates), mapped down to CSAT 1–5 by ``TEN_TO_FIVE``."""
    lines = ["id,date,satisfaction,comment,touchpoint"]
    expected = Expected(read=rows)
    for n in range(1, rows + 1):
        score = n % 10 + 1
        lines.append(f"T{n},2024-06-{n % 28 + 1:02d}T08:00:00Z,{score},,checkout")
        expected.imported += 1
        expected.csat.setdefault("checkout", []).append(TEN_TO_FIVE[str(score)])
    return ("\n".join(lines) + "\n").encode(), expected
