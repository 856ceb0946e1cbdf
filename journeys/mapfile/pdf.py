"""The map as a PDF on landscape A4 pages, drawn with reportlab.

A map of up to ``PHASES_PER_PAGE`` (6) phases fits one page across, its columns as wide as the
page allows; a wider map is split into pages of even width (9 phases: 5 + 4, never 6 + 3), the
lane headers repeated on every page, phases left to right first. Lanes go ``LANES_PER_PAGE`` (8)
to a page. The page count therefore follows from the map's shape alone:
⌈phases / 6⌉ × ⌈lanes / 8⌉ (at least one). A cell with more than fits is cut with
"… +N more lines" rather than spilling onto pages of its own. Every page carries the legend of
the emotion curves, and touchpoints show their survey numbers (NPS · CSAT · n) as on the map.
"""

import io
import math
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from journeys.mapfile.document import MapView, emotion_text
from journeys.models import Lane

PHASES_PER_PAGE, LANES_PER_PAGE = 6, 8
PAGE_W, PAGE_H = landscape(A4)
MARGIN, LANE_W, HEAD_H, FOOT_H, PHASE_H = 28, 120, 46, 22, 24
SIZE, LEAD = 7.5, 9
EMOTION_H, ROOMY_H = 70, 90
_FONTS = Path("/usr/share/fonts/truetype/dejavu")


@cache
def _fonts() -> tuple[str, str]:
    """DejaVu where installed (accents, arrows, ★ beyond Latin-1), else the built-in Helvetica."""
    regular, bold = _FONTS / "DejaVuSans.ttf", _FONTS / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        pdfmetrics.registerFont(TTFont("JB-Sans", str(regular)))
        pdfmetrics.registerFont(TTFont("JB-Sans-Bold", str(bold)))
        return "JB-Sans", "JB-Sans-Bold"
    return "Helvetica", "Helvetica-Bold"


def page_count(phases: int, lanes: int) -> int:
    return max(1, math.ceil(phases / PHASES_PER_PAGE)) * max(1, math.ceil(lanes / LANES_PER_PAGE))


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def _even_chunks(items: list, most: int) -> list[list]:
    """As few pieces of at most ``most`` as will do, their sizes differing by one at most: a
    page with one phase left over would be a near-empty page."""
    pieces = max(1, math.ceil(len(items) / most))
    size, longer = divmod(len(items), pieces)
    out, start = [], 0
    for i in range(pieces):
        end = start + size + (i < longer)
        out.append(items[start:end])
        start = end
    return out


def map_pdf(document: dict[str, Any]) -> bytes:
    view = MapView(document)
    font, bold = _fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(PAGE_W, PAGE_H), pageCompression=1)
    canvas.setTitle(view.title)
    canvas.setCreator("Journeyboard")
    pages = [
        (phases, lanes)
        for phases in _even_chunks(view.phases, PHASES_PER_PAGE)
        for lanes in _chunks(view.lanes, LANES_PER_PAGE)
    ]
    for number, (phases, lanes) in enumerate(pages, 1):
        _page(canvas, view, phases, lanes, font, bold)
        canvas.setFont(font, 8)
        canvas.setFillGray(0.4)
        canvas.drawRightString(PAGE_W - MARGIN, MARGIN - 12, f"page {number} of {len(pages)}")
        first, last = phases[0]["name"] if phases else "", phases[-1]["name"] if phases else ""
        canvas.drawString(MARGIN, MARGIN - 12, f"Phases: {first} – {last}" if phases else "")
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _page(canvas: Canvas, view: MapView, phases: list, lanes: list, font: str, bold: str) -> None:
    top = PAGE_H - MARGIN
    _page_head(canvas, view, top, font, bold)
    grid_top = top - HEAD_H
    # The columns share the page's width: a map of 5 phases is as wide as one of 6.
    col_w = (PAGE_W - 2 * MARGIN - LANE_W) / max(1, len(phases))
    _phase_headers(canvas, phases, grid_top, col_w, bold)
    texts = {
        (lane["key"], p["key"]): _cell_lines(view, p["key"], lane, font, col_w - 10)
        for lane in lanes
        for p in phases
    }
    bottom = MARGIN + FOOT_H - 14
    wanted, scale = _row_heights(phases, lanes, texts, available=grid_top - PHASE_H - bottom)
    y = grid_top - PHASE_H - 2
    curves: dict[str, list[tuple[float, float]]] = {}
    for lane, want in zip(lanes, wanted, strict=True):
        h = max(2 * LEAD + 10, want * scale) if scale < 1 else want
        h = min(h, y - bottom)
        _lane_header(canvas, lane, y, h, bold)
        for c, phase in enumerate(phases):
            x = MARGIN + LANE_W + c * col_w
            canvas.setFillColorRGB(0.97, 0.98, 0.99)
            canvas.setStrokeColorRGB(0.89, 0.91, 0.94)
            canvas.rect(x, y - h, col_w - 2, h, stroke=1, fill=1)
            if lane["kind"] == Lane.Kind.EMOTIONS:
                _emotion(canvas, view, phase["key"], x, y, col_w, h, font, curves)
            else:
                _cell_text(canvas, texts[(lane["key"], phase["key"])], x, y, h, font)
        y -= h + 2
        _curves_draw(canvas, curves)


def _page_head(canvas: Canvas, view: MapView, top: float, font: str, bold: str) -> None:
    """The map's title and the legend beside it, and its persona on a line below."""
    legend_left = _legend(canvas, top, font)
    canvas.setFillColorRGB(0.12, 0.16, 0.22)
    canvas.setFont(bold, 16)
    title = simpleSplit(view.title[:200], bold, 16, legend_left - MARGIN - 12)[:1] or [""]
    canvas.drawString(MARGIN, top - 16, title[0])
    if not view.persona:
        return
    persona = view.persona
    line = f"Persona: {persona['name']}"
    if persona.get("role"):
        line += f" — {persona['role']}"
    if persona.get("quote"):
        line += f" · “{persona['quote'][:120]}”"
    canvas.setFont(font, 9)
    canvas.setFillGray(0.3)
    line = simpleSplit(line[:300], font, 9, legend_left - MARGIN - 12)[:1] or [""]
    canvas.drawString(MARGIN, top - 32, line[0])


LEGEND = (
    ("team", "Team's view of the emotion"),
    ("voc", "Customers' (VoC, from survey data)"),
)


def _legend(canvas: Canvas, top: float, font: str) -> float:
    """The key to the emotion curves and touchpoint numbers, right-aligned at the top of every
    page; where it starts, so the title stops before it."""
    canvas.setFont(font, 7.5)
    notes = "★ moment that matters · NPS · CSAT · n = survey responses"
    width = max(
        pdfmetrics.stringWidth(notes, font, 7.5),
        *(26 + pdfmetrics.stringWidth(text, font, 7.5) for _, text in LEGEND),
    )
    left = PAGE_W - MARGIN - width
    for i, (source, text) in enumerate(LEGEND):
        y = top - 6 - i * 10
        canvas.setStrokeColorRGB(*_CURVE_COLOURS[source])
        canvas.setFillColorRGB(*_CURVE_COLOURS[source])
        canvas.setLineWidth(1.5)
        canvas.setDash(*((4, 3) if source == "voc" else ()))
        canvas.line(left, y + 2.5, left + 20, y + 2.5)
        canvas.setDash()
        canvas.setLineWidth(1)
        canvas.circle(left + 10, y + 2.5, 2.5, stroke=1, fill=1 if source == "team" else 0)
        canvas.setFillGray(0.25)
        canvas.drawString(left + 26, y, text)
    canvas.setFillGray(0.25)
    canvas.drawString(left, top - 6 - len(LEGEND) * 10, notes)
    return left


def _phase_headers(canvas: Canvas, phases: list, grid_top: float, col_w: float, bold: str) -> None:
    for c, phase in enumerate(phases):
        x = MARGIN + LANE_W + c * col_w
        canvas.setFillColorRGB(0.12, 0.31, 0.47)
        canvas.rect(x, grid_top - PHASE_H, col_w - 2, PHASE_H, stroke=0, fill=1)
        canvas.setFillColorRGB(1, 1, 1)
        canvas.setFont(bold, 9)
        name = simpleSplit(phase["name"], bold, 9, col_w - 10)[:1] or [""]
        canvas.drawString(x + 5, grid_top - 16, name[0])


def _row_heights(
    phases: list, lanes: list, texts: dict[tuple[str, str], list[str]], *, available: float
) -> tuple[list[float], float]:
    """Each row's wanted height, and the scale that fits them all into the page."""
    # Rows share the height left, each as much as its content asks (at least a line or two).
    wanted = [
        EMOTION_H
        if lane["kind"] == Lane.Kind.EMOTIONS
        else max([len(texts[(lane["key"], p["key"])]) for p in phases] + [2]) * LEAD + 10
        for lane in lanes
    ]
    if wanted and sum(wanted) < available:
        # Room to spare: rows grow towards an even share of the page, as on a wall chart.
        share = min(available / len(wanted), ROOMY_H)
        wanted = [max(want, share) for want in wanted]
    scale = min(1.0, available / sum(wanted)) if wanted else 1.0
    return wanted, scale


def _lane_header(canvas: Canvas, lane: dict, y: float, h: float, bold: str) -> None:
    canvas.setFillColorRGB(0.87, 0.92, 0.97)
    canvas.rect(MARGIN, y - h, LANE_W - 2, h, stroke=0, fill=1)
    canvas.setFillColorRGB(0.12, 0.16, 0.22)
    canvas.setFont(bold, 8.5)
    for i, line in enumerate(simpleSplit(lane["name"], bold, 8.5, LANE_W - 10)[:3]):
        canvas.drawString(MARGIN + 5, y - 12 - i * 10, line)


def _cell_text(canvas: Canvas, lines: list[str], x: float, y: float, h: float, font: str) -> None:
    """A cell's lines, cut with "… +N more lines" where they do not fit."""
    fits = max(1, int((h - 8) // LEAD))
    if len(lines) > fits:
        hidden = len(lines) - fits + 1
        lines = [*lines[: fits - 1], f"… +{hidden} more lines"]
    canvas.setFillColorRGB(0.07, 0.09, 0.15)
    canvas.setFont(font, SIZE)
    for i, line in enumerate(lines):
        canvas.drawString(x + 5, y - 10 - i * LEAD, line)


def _cell_lines(view: MapView, phase: str, lane: dict, font: str, width: float) -> list[str]:
    if lane["kind"] == Lane.Kind.EMOTIONS:
        return []
    lines: list[str] = []
    if lane["kind"] == Lane.Kind.TOUCHPOINTS:
        # As the map shows them: a moment that matters starred, the survey numbers below.
        items = [
            (("★ " if tp.get("is_moment_that_matters") else "") + tp["name"], tp["key"])
            for tp in view.touchpoints.get((phase, lane["key"]), [])
        ]
    else:
        items = [(text, None) for text in view.cell_items(phase, lane)]
    for item, touchpoint in items:
        wrapped = simpleSplit(item.replace("\n", " "), font, SIZE, width - 8) or [""]
        lines += ["• " + wrapped[0], *("  " + w for w in wrapped[1:])]
        numbers = touchpoint and _touchpoint_numbers(view.touchpoint_metrics.get(touchpoint))
        if numbers:
            lines += ["  " + w for w in simpleSplit(numbers, font, SIZE, width - 8)]
    return lines


def _touchpoint_numbers(m: dict | None) -> str:
    """``NPS 40 · CSAT 80% · n=10``, as the SVG map writes it; empty without responses."""
    if not m or not m.get("responses"):
        return ""
    nps = "–" if m.get("nps") is None else f"{m['nps']:g}"
    csat = "–" if m.get("csat") is None else f"{m['csat']:g}%"
    return f"NPS {nps} · CSAT {csat} · n={m['responses']}"


def _emotion(canvas, view: MapView, phase: str, x, y, col_w, h, font, curves) -> None:
    """The phase's team emotion as a dot on a −3…+3 scale (VoC as a ring), with its label;
    the points are kept in ``curves`` to be joined across the page."""
    mid = y - h / 2
    canvas.setStrokeColorRGB(0.8, 0.84, 0.88)
    canvas.setDash(1, 3)
    canvas.line(x + 4, mid, x + col_w - 6, mid)
    canvas.setDash()
    for source, rgb in _CURVE_COLOURS.items():
        emotion = view.emotion(phase, source)
        if emotion is None:
            continue
        cy = mid + emotion["score"] * (h / 2 - 12) / 3
        cx = x + col_w / 2
        curves.setdefault(source, []).append((cx, cy))
        canvas.setStrokeColorRGB(*rgb)
        canvas.setFillColorRGB(*rgb)
        canvas.circle(cx, cy, 3.5, stroke=1, fill=1 if source == "team" else 0)
        canvas.setFont(font, SIZE)
        if source == "team":
            canvas.drawString(x + 5, y - 10, emotion_text(emotion)[:40])
        else:
            # The customers' score in words too, not only as a ring on the curve.
            canvas.drawString(x + 5, y - h + 5, f"VoC: {emotion_text(emotion)}"[:40])


_CURVE_COLOURS = {"team": (0.15, 0.39, 0.92), "voc": (0.86, 0.15, 0.47)}


def _curves_draw(canvas, curves: dict[str, list[tuple[float, float]]]) -> None:
    """Join an emotions row's points: the team's curve solid, the customers' (VoC) dashed."""
    for source, points in curves.items():
        canvas.setStrokeColorRGB(*_CURVE_COLOURS[source])
        canvas.setLineWidth(1.5)
        canvas.setDash(*((4, 3) if source == "voc" else ()))
        for (x1, y1), (x2, y2) in pairwise(points):
            canvas.line(x1, y1, x2, y2)
    canvas.setDash()
    canvas.setLineWidth(1)
    curves.clear()
