"""The map as a spreadsheet grid — CSV and XLSX — and back.

Layout: the first row holds the phase names, the first column the lane names; a cell holds
that cell's items, one per line (cards' text; touchpoint names in a touchpoints lane; the team
emotion as ``Label (+2)`` in an emotions lane; opportunity titles in an opportunities lane). A
last column, ``Lane kind``, keeps each lane's kind (hidden in XLSX); without it, the kind is
inferred from the lane's name. A line break inside one item is written as U+2028 (LINE
SEPARATOR), so it is not read back as two items.

The XLSX adds what the grid cannot show, in cells a person can read and edit, and reads them
back: ``Touchpoints`` (code, channel, department, description…), ``Opportunities`` (the plan,
its owner by name and by username) and ``About`` (labelled rows: title, description, scenario,
the persona's name, role, segment and quote).

A cell that a spreadsheet would run as a formula gets a leading ``'`` (``spreadsheet_cells``);
the import takes exactly that quote off again, so a round trip is equal.
"""

import csv
import io
import re
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill

from config.file_limits import FileLimits, FileRefused, xlsx_inspect
from journeys.exceptions import MapImportRefused
from journeys.mapfile.document import FORMAT, SCHEMA_VERSION, MapView
from journeys.mapfile.spreadsheet_cells import cell_in, cell_out
from journeys.models import Lane

KIND_HEADER = "Lane kind"
CORNER = "Lane \\ Phase"
ITEM_BREAK = "\u2028"
MAX_ROWS, MAX_COLUMNS = 101, 102  # the schema's 100 lanes and 100 phases, plus headers


def grid_rows(document: dict[str, Any]) -> list[list[str]]:
    """The grid as rows of cell texts, already formula-safe."""
    view = MapView(document)
    rows = [[CORNER, *(cell_out(p["name"]) for p in view.phases), KIND_HEADER]]
    for lane in view.lanes:
        cells = [
            cell_out(
                "\n".join(
                    item.replace("\n", ITEM_BREAK) for item in view.cell_items(p["key"], lane)
                )
            )
            for p in view.phases
        ]
        rows.append([cell_out(lane["name"]), *cells, lane["kind"]])
    return rows


def map_csv(document: dict[str, Any]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(grid_rows(document))
    # A BOM so Excel reads UTF-8 (emoji, accents) without asking.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_LANE_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")


def _xlsx_text(value: Any) -> Any:
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _sheet_write(sheet, rows: list[list[Any]], widths: list[int]) -> None:
    for row in rows:
        sheet.append([_xlsx_text(v) for v in row])
    for cell in sheet[1]:
        cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _WRAP
    for column, width in zip(sheet.iter_cols(min_row=1, max_row=1), widths, strict=False):
        sheet.column_dimensions[column[0].column_letter].width = width
    sheet.freeze_panes = "A2"


def map_xlsx(document: dict[str, Any]) -> bytes:
    """Sheet ``Map`` (the grid), then ``Touchpoints`` and ``Opportunities`` in detail, and
    ``About``: the map's title, description, scenario and persona as labelled rows."""
    view = MapView(document)
    workbook = Workbook()
    workbook.properties.title = _xlsx_text(view.title)
    sheet = workbook.active
    sheet.title = "Map"
    _map_sheet_write(sheet, view, grid_rows(document))
    phase_names = {p["key"]: p["name"] for p in view.phases}
    _sheet_write(
        workbook.create_sheet("Touchpoints"),
        _touchpoint_rows(view, phase_names),
        [18, 18, 28, 24, 14, 14, 10, 10, 8, 8, 8],
    )
    _sheet_write(
        workbook.create_sheet("Opportunities"),
        _opportunity_rows(view, phase_names),
        [18, 34, 24, 8, 8, 8, 12, 18, 12, 24, 18, 40, 16],
    )
    _about_sheet_write(workbook.create_sheet("About"), _about_rows(view))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _map_sheet_write(sheet, view: MapView, rows: list[list[str]]) -> None:
    """The grid, styled like the editor: phase and lane headers, wrapped cells, the kind column
    hidden."""
    for row in rows:
        sheet.append([_xlsx_text(v) for v in row])
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = _WRAP
    for cell in sheet[1]:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    for (cell,) in sheet.iter_rows(min_row=2, max_col=1):
        cell.font, cell.fill = Font(bold=True), _LANE_FILL
    sheet.column_dimensions["A"].width = 22
    for column in sheet.iter_cols(min_col=2, max_col=len(view.phases) + 1, max_row=1):
        sheet.column_dimensions[column[0].column_letter].width = 34
    kind_letter = sheet.cell(row=1, column=len(view.phases) + 2).column_letter
    sheet.column_dimensions[kind_letter].hidden = True
    # Headers stay in view while scrolling, as in the editor.
    sheet.freeze_panes = "B2"


def _touchpoint_rows(view: MapView, phase_names: dict[str, str]) -> list[list[Any]]:
    """The ``Touchpoints`` sheet: each touchpoint's details and VoC metrics."""
    lane_names = {lane["key"]: lane["name"] for lane in view.lanes}
    header = ["Phase", "Lane", "Touchpoint", "Code", "Channel", "Department"]
    header += ["Moment that matters", "Responses", "NPS", "CSAT", "CES", "Description"]
    rows: list[list[Any]] = [header]
    for tp in view.document["touchpoints"]:
        m = view.touchpoint_metrics.get(tp["key"]) or {}
        rows.append(
            [
                cell_out(phase_names[tp["phase"]]),
                cell_out(lane_names[tp["lane"]]),
                cell_out(tp["name"]),
                tp.get("code", ""),
                tp.get("channel", ""),
                tp.get("department", ""),
                "yes" if tp.get("is_moment_that_matters") else "",
                m.get("responses") or 0,
                m.get("nps"),
                m.get("csat"),
                m.get("ces"),
                cell_out(tp.get("description") or ""),
            ]
        )
    return rows


def _opportunity_rows(view: MapView, phase_names: dict[str, str]) -> list[list[Any]]:
    """The ``Opportunities`` sheet: each opportunity with its action plan."""
    tp_names = {tp["key"]: tp["name"] for tp in view.document["touchpoints"]}
    header = ["Phase", "Opportunity", "Touchpoint", "Impact", "Effort", "Priority", "Status"]
    # The owner by name, for people, and by username, which is how an import finds them again.
    header += ["Owner", "Due date", "KPI", "Target", "Description", "Owner username"]
    rows: list[list[Any]] = [header]
    for op in view.document["opportunities"]:
        plan = op.get("action_plan") or {}
        owner = plan.get("owner") or {}
        rows.append(
            [
                cell_out(phase_names[op["phase"]]),
                cell_out(op["title"]),
                cell_out(tp_names.get(op.get("touchpoint"), "")),
                op.get("impact"),
                op.get("effort"),
                op.get("priority"),
                op.get("status", ""),
                cell_out(owner.get("name", "")),
                plan.get("due_date") or "",
                cell_out(plan.get("kpi") or ""),
                cell_out(plan.get("target") or ""),
                cell_out(op.get("description") or ""),
                cell_out(owner.get("username", "")),
            ]
        )
    return rows


# The ``About`` sheet's rows: (label, where the value sits in the document).
ABOUT_ROWS = (
    ("Title", "journey", "title"),
    ("Description", "journey", "description"),
    ("Scenario", "journey", "scenario"),
    ("Persona", "persona", "name"),
    ("Persona role", "persona", "role"),
    ("Persona segment", "persona", "segment"),
    ("Persona quote", "persona", "quote"),
)


def _about_rows(view: MapView) -> list[list[str]]:
    sections = {"journey": view.document["journey"], "persona": view.persona or {}}
    return [
        [label, cell_out(sections[section].get(field) or "")]
        for label, section, field in ABOUT_ROWS
    ]


def _about_sheet_write(sheet, rows: list[list[str]]) -> None:
    """Labelled rows, label in bold on the left, the text wrapped beside it."""
    for row in rows:
        sheet.append([_xlsx_text(v) for v in row])
    for label, value in sheet.iter_rows():
        label.font, label.fill = Font(bold=True), _LANE_FILL
        label.alignment = value.alignment = _WRAP
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 90


# --- Back from a grid -------------------------------------------------------------------------

_KIND_WORDS = {
    "feelings": Lane.Kind.EMOTIONS,
    "feeling": Lane.Kind.EMOTIONS,
    "emotion": Lane.Kind.EMOTIONS,
    "touchpoint": Lane.Kind.TOUCHPOINTS,
    "frontstage": Lane.Kind.TOUCHPOINTS,
    "customer actions": Lane.Kind.ACTIONS,
    "action": Lane.Kind.ACTIONS,
    "pain point": Lane.Kind.PAIN_POINTS,
    "pains": Lane.Kind.PAIN_POINTS,
    "opportunity": Lane.Kind.OPPORTUNITIES,
    "ideas": Lane.Kind.OPPORTUNITIES,
    "thought": Lane.Kind.THOUGHTS,
    "channel": Lane.Kind.CHANNELS,
    "kpi": Lane.Kind.KPIS,
}
_EMOTION_CELL = re.compile(r"^(?P<label>.*?)\s*\((?P<score>[+\-−]?\d)\)$")


def lane_kind_guess(name: str) -> str:
    """A lane kind from its name (``Feelings`` → emotions), for grids made by hand."""
    word = " ".join(name.lower().replace("_", " ").split())
    for kind, label in Lane.Kind.choices:
        if word in (kind.replace("_", " "), label.lower()):
            return kind
    return _KIND_WORDS.get(word) or _KIND_WORDS.get(word.removesuffix("s")) or Lane.Kind.NOTES


def _trimmed(row: list[str]) -> list[str]:
    """Without the empty cells a spreadsheet keeps at the end of a row."""
    while row and not row[-1].strip():
        row.pop()
    return row


def document_from_rows(rows: list[list[Any]], *, title: str) -> dict[str, Any]:
    """A ``journeyboard.map`` document from grid rows (validated later, like any document)."""
    rows = [_trimmed(["" if v is None else str(v) for v in row]) for row in rows]
    rows = [row for row in rows if row]
    if len(rows) < 2:
        raise MapImportRefused(
            "The grid needs a first row of phase names and at least one lane row.",
            code="empty_grid",
        )
    if len(rows) > MAX_ROWS or len(rows[0]) > MAX_COLUMNS:
        raise MapImportRefused("The grid is larger than 100 phases × 100 lanes.", code="too_large")
    header = rows[0]
    has_kind = header[-1].strip() == KIND_HEADER
    phase_names = header[1 : len(header) - 1] if has_kind else header[1:]
    phases = [{"key": f"P{i}", "name": cell_in(n).strip()} for i, n in enumerate(phase_names, 1)]
    document: dict[str, Any] = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "journey": {"title": title},
        "persona": None,
        "phases": phases,
        "lanes": [],
        "cards": [],
        "touchpoints": [],
        "emotions": [],
        "opportunities": [],
    }
    taken: set[str] = set()  # phases whose emotion / opportunities are already read
    for r, row in enumerate(rows[1:], 1):
        name = cell_in(row[0]).strip()
        kind = row[len(header) - 1].strip() if has_kind and len(row) >= len(header) else ""
        kind = kind or lane_kind_guess(name)
        lane = {"key": f"L{r}", "name": name, "kind": kind}
        document["lanes"].append(lane)
        for c, phase in enumerate(phases, 1):
            value = cell_in(row[c]) if c < len(row) else ""
            items = [i.replace(ITEM_BREAK, "\n") for i in value.split("\n") if i.strip()]
            _cell_read(document, lane, phase["key"], items, taken)
    return document


def _cell_read(document: dict, lane: dict, phase: str, items: list[str], taken: set) -> None:
    kind = lane["kind"]
    if kind == Lane.Kind.EMOTIONS:
        # Every emotions lane shows the phase's one team emotion: read the first.
        if items and ("emotion", phase) not in taken:
            taken.add(("emotion", phase))
            match = _EMOTION_CELL.match(items[0].strip())
            if match:
                score = int(match["score"].replace("−", "-"))
                document["emotions"].append(
                    {"phase": phase, "source": "team", "score": score, "label": match["label"]}
                )
            else:
                document["emotions"].append({"phase": phase, "score": items[0]})  # refused
        return
    if kind == Lane.Kind.TOUCHPOINTS:
        for name in items:
            key = f"T{len(document['touchpoints']) + 1}"
            document["touchpoints"].append(
                {"key": key, "phase": phase, "lane": lane["key"], "name": name}
            )
        return
    if kind == Lane.Kind.OPPORTUNITIES:
        if ("opportunities", phase) not in taken:
            taken.add(("opportunities", phase))
            for title in items:
                document["opportunities"].append({"phase": phase, "title": title})
        return
    for text in items:
        document["cards"].append({"phase": phase, "lane": lane["key"], "text": text})


# A grid has at most MAX_ROWS rows with something in them; blank rows between are allowed, up to
# this many rows in all (a file of five million lines is read no further).
MAX_GRID_LINES = 10 * MAX_ROWS
# A line of a grid: room for 100 phases of long cells; past it, no map row.
MAX_LINE_CHARS = 1024 * 1024


def _grid_lines(text: str):
    """The text's lines one at a time (a StringIO would copy the text at four bytes a
    character), each refused if longer than any grid row."""
    start, number = 0, 0
    while start < len(text):
        end = text.find("\n", start, start + MAX_LINE_CHARS + 1)
        number += 1
        if end < 0 and len(text) - start > MAX_LINE_CHARS:
            raise MapImportRefused(
                f"Line {number} of the grid is longer than {MAX_LINE_CHARS // 1024:,} KB.",
                code="too_large",
            )
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _grid_rows(text: str, delimiter: str) -> list[list[str]]:
    """The grid's rows, read no further than a grid can be."""
    rows, filled = [], 0
    for row in csv.reader(_grid_lines(text), delimiter=delimiter):
        filled += bool(_trimmed(row))
        if filled > MAX_ROWS or len(rows) >= MAX_GRID_LINES:
            raise MapImportRefused(
                "The grid is larger than 100 phases × 100 lanes.", code="too_large"
            )
        rows.append(row)
    return rows


def document_from_csv(text: str, *, title: str) -> dict[str, Any]:
    # The header row (phase names) tells the delimiter: comma, or semicolon as some locales save.
    first = text[: MAX_LINE_CHARS + 1].split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return document_from_rows(_grid_rows(text, delimiter), title=title)


def document_from_xlsx(data: bytes, *, title: str) -> dict[str, Any]:
    """The ``Map`` sheet's grid, with the details our own export lists on its other sheets."""
    try:
        # What openpyxl would build (shared strings, each row whole), measured before it does.
        xlsx_inspect(io.BytesIO(data), FileLimits.from_settings())
    except FileRefused as refused:
        if refused.code == "unreadable_file":
            raise MapImportRefused(
                f"The file could not be read as XLSX: {refused.message}"
            ) from None
        raise MapImportRefused(refused.message, code=refused.code) from None
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook["Map"] if "Map" in workbook.sheetnames else workbook.worksheets[0]
        rows = [
            list(row)
            for row in sheet.iter_rows(
                max_row=MAX_ROWS + 1, max_col=MAX_COLUMNS + 1, values_only=True
            )
        ]
        details = {
            name: _records(workbook[name]) for name in DETAIL_SHEETS if name in workbook.sheetnames
        }
        about = _about_read(workbook["About"]) if "About" in workbook.sheetnames else {}
        # Our own export names the map on its About sheet (where a person edits it) and in the
        # workbook's properties.
        title = about.get("Title") or (workbook.properties.title or "").strip() or title
    finally:
        workbook.close()
    document = document_from_rows(rows, title=title[:200])
    _about_apply(document, about)
    _details_apply(document, details)
    return document


def _about_read(sheet) -> dict[str, str]:
    """The ``About`` sheet's labelled rows, by label (rows may have been reordered)."""
    labels = {label for label, *_ in ABOUT_ROWS}
    found: dict[str, str] = {}
    for row in sheet.iter_rows(max_row=len(ABOUT_ROWS) * 4, max_col=2, values_only=True):
        label, value = [*row, None, None][:2]
        label = str(label or "").strip()
        if label in labels and label not in found:
            found[label] = "" if value is None else cell_in(str(value)).strip()
    return found


def _about_apply(document: dict[str, Any], about: dict[str, str]) -> None:
    """The journey's description and scenario, and its persona (named, so an import links it
    to the library's persona of that name)."""
    persona: dict[str, str] = {}
    for label, section, field in ABOUT_ROWS:
        value = about.get(label)
        if not value or field == "title":
            continue
        if section == "journey":
            document["journey"][field] = value
        else:
            persona[field] = value
    if persona.get("name"):
        document["persona"] = persona


DETAIL_SHEETS = ("Touchpoints", "Opportunities")
_MAX_DETAIL_ROWS = 5001


def _records(sheet) -> list[dict[str, Any]]:
    """A detail sheet's rows as dicts keyed by its header (columns may have been reordered)."""
    rows = sheet.iter_rows(max_row=_MAX_DETAIL_ROWS, values_only=True)
    header = [str(h or "").strip() for h in next(rows, ())]
    return [
        {h: (cell_in(v) if isinstance(v, str) else v) for h, v in zip(header, row, strict=False)}
        for row in rows
        if any(v not in (None, "") for v in row)
    ]


def _details_apply(document: dict[str, Any], details: dict[str, list[dict]]) -> None:
    """Touchpoint codes, channels…, and opportunities' plans, matched by phase and name."""
    phase_names = {p["key"]: p["name"] for p in document["phases"]}
    touchpoint_keys = _touchpoint_details_apply(
        document, details.get("Touchpoints", []), phase_names
    )
    _opportunity_details_apply(
        document, details.get("Opportunities", []), phase_names, touchpoint_keys
    )


def _touchpoint_details_apply(
    document: dict[str, Any], rows: list[dict], phase_names: dict[str, str]
) -> dict[tuple[str, str], str]:
    """Each touchpoint's row of the ``Touchpoints`` sheet (by phase, lane and name) applied;
    the touchpoints' keys by (phase key, name), and by ("", name) for any phase."""
    lane_names = {lane["key"]: lane["name"] for lane in document["lanes"]}
    found: dict[tuple, list[dict]] = {}
    for row in rows:
        key = (row.get("Phase"), row.get("Lane"), row.get("Touchpoint"))
        found.setdefault(key, []).append(row)
    by_name: dict[tuple[str, str], str] = {}
    for tp in document["touchpoints"]:
        matches = found.get((phase_names[tp["phase"]], lane_names[tp["lane"]], tp["name"]))
        by_name.setdefault((tp["phase"], tp["name"]), tp["key"])
        by_name.setdefault(("", tp["name"]), tp["key"])  # an opportunity in another phase
        if not matches:
            continue
        row = matches.pop(0)
        for field, column in (
            ("code", "Code"),
            ("channel", "Channel"),
            ("department", "Department"),
            ("description", "Description"),
        ):
            if row.get(column):
                tp[field] = str(row[column])
        tp["is_moment_that_matters"] = str(row.get("Moment that matters") or "").lower() == "yes"
    return by_name


def _opportunity_details_apply(
    document: dict[str, Any],
    rows: list[dict],
    phase_names: dict[str, str],
    touchpoint_keys: dict[tuple[str, str], str],
) -> None:
    """Each opportunity's row of the ``Opportunities`` sheet (by phase and title) applied."""
    plans: dict[tuple, list[dict]] = {}
    for row in rows:
        plans.setdefault((row.get("Phase"), row.get("Opportunity")), []).append(row)
    for op in document["opportunities"]:
        matches = plans.get((phase_names[op["phase"]], op["title"]))
        if not matches:
            continue
        row = matches.pop(0)
        for field, column in (("impact", "Impact"), ("effort", "Effort"), ("status", "Status")):
            if row.get(column) not in (None, ""):
                op[field] = row[column]
        op["description"] = str(row.get("Description") or "")
        named = row.get("Touchpoint") or ""
        op["touchpoint"] = touchpoint_keys.get((op["phase"], named)) or touchpoint_keys.get(
            ("", named)
        )
        due = row.get("Due date")
        op["action_plan"] = {
            "owner": _owner_read(row),
            "due_date": due.date().isoformat() if hasattr(due, "date") else (due or None),
            "kpi": str(row.get("KPI") or ""),
            "target": str(row.get("Target") or ""),
        }


def _owner_read(row: dict) -> dict[str, str] | None:
    """Who owns the plan: by the username our export writes beside the name; a sheet made by
    hand may name the user in the Owner column alone (matched as a username on import)."""
    name = str(row.get("Owner") or "").strip()
    username = str(row.get("Owner username") or "").strip() or name
    if not username:
        return None
    return {"username": username[:150], "name": name or username}
