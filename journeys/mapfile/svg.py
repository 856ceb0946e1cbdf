"""The whole map as one SVG image, drawn on the server: phase and lane headers, cells with
their items as boxes of wrapped text, and the emotion curves (the team's solid, the
customers' — VoC — dashed). Every piece of user text goes through ``escape``."""

import textwrap
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from journeys.mapfile.document import MapView, emotion_text, printable
from journeys.models import Lane

LANE_W, PHASE_W, HEADER_H, TITLE_H = 170, 230, 44, 56
PAD, LINE_H, WRAP = 8, 15, 32
EMOTION_H = 120
FILL = {"card": "#fff8c5", "touchpoint": "#e0efff", "opportunity": "#e6f6e6"}
COLORS = {
    "yellow": "#fff8c5",
    "blue": "#dbeafe",
    "green": "#dcfce7",
    "pink": "#fce7f3",
    "purple": "#ede9fe",
    "orange": "#ffedd5",
    "grey": "#f1f5f9",
}


def _lines(text: str, width: int = WRAP) -> list[str]:
    return [
        line
        for paragraph in text.splitlines() or [""]
        for line in (textwrap.wrap(paragraph, width) or [""])
    ]


def _text(x: float, y: float, text: str, **attrs: Any) -> str:
    extra = "".join(f" {k.replace('_', '-')}={quoteattr(str(v))}" for k, v in attrs.items())
    return f'<text x="{x:.0f}" y="{y:.0f}"{extra}>{escape(printable(text))}</text>'


def _boxes(view: MapView, phase: str, lane: dict) -> list[tuple[str, list[str]]]:
    """The boxes a cell holds: (fill colour, wrapped lines)."""
    kind = lane["kind"]
    if kind == Lane.Kind.TOUCHPOINTS:
        boxes = []
        for tp in view.touchpoints.get((phase, lane["key"]), []):
            lines = _lines(("★ " if tp.get("is_moment_that_matters") else "") + tp["name"])
            m = view.touchpoint_metrics.get(tp["key"]) or {}
            if m.get("responses"):
                nps = "–" if m.get("nps") is None else f"{m['nps']:g}"
                csat = "–" if m.get("csat") is None else f"{m['csat']:g}%"
                lines.append(f"NPS {nps} · CSAT {csat} · n={m['responses']}")
            boxes.append((FILL["touchpoint"], lines))
        return boxes
    if kind == Lane.Kind.OPPORTUNITIES:
        return [
            (
                FILL["opportunity"],
                [*_lines(op["title"]), f"Impact {op['impact']} · Effort {op['effort']}"],
            )
            for op in view.opportunities.get(phase, [])
        ]
    return [
        (COLORS.get(card.get("color") or "", FILL["card"]), _lines(card["text"]))
        for card in view.cards.get((phase, lane["key"]), [])
    ]


def map_svg(document: dict[str, Any]) -> bytes:
    view = MapView(document)
    lanes = list(view.lanes)
    if view.emotions and not any(lane["kind"] == Lane.Kind.EMOTIONS for lane in lanes):
        lanes.append({"key": "", "name": "Emotions", "kind": Lane.Kind.EMOTIONS})
    cells, heights = _cells_and_heights(view, lanes)
    width = LANE_W + PHASE_W * len(view.phases)
    height = TITLE_H + HEADER_H + sum(heights)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" '
        'font-size="12">',
        f"<title>{escape(printable(view.title))}</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        _text(PAD * 2, 34, view.title, font_size=22, font_weight="bold", fill="#1f2937"),
    ]
    if view.persona:
        out.append(
            _text(
                width - PAD * 2,
                34,
                f"Persona: {view.persona['name']}",
                text_anchor="end",
                fill="#4b5563",
            )
        )
    out.extend(_phase_headers(view))
    y = TITLE_H + HEADER_H
    for lane, h in zip(lanes, heights, strict=True):
        out.extend(_lane_row(view, lane, y, h, cells))
        y += h
    out.append("</svg>")
    return ("\n".join(out) + "\n").encode("utf-8")


def _cells_and_heights(
    view: MapView, lanes: list[dict]
) -> tuple[dict[tuple[str, str], list[tuple[str, list[str]]]], list[int]]:
    """Every cell's boxes, and each lane's height: its tallest cell's (an emotions row is fixed)."""
    cells: dict[tuple[str, str], list[tuple[str, list[str]]]] = {}
    heights = []
    for lane in lanes:
        if lane["kind"] == Lane.Kind.EMOTIONS:
            heights.append(EMOTION_H)
            continue
        tallest = 0
        for phase in view.phases:
            boxes = cells[(phase["key"], lane["key"])] = _boxes(view, phase["key"], lane)
            tallest = max(tallest, sum(len(ls) * LINE_H + 2 * PAD + PAD for _, ls in boxes))
        heights.append(max(60, tallest + PAD))
    return cells, heights


def _phase_headers(view: MapView) -> list[str]:
    out = []
    for c, phase in enumerate(view.phases):
        x = LANE_W + c * PHASE_W
        out.append(
            f'<rect x="{x}" y="{TITLE_H}" width="{PHASE_W}" height="{HEADER_H}" '
            'fill="#1f4e79" stroke="#ffffff"/>'
        )
        out.append(
            _text(
                x + PAD,
                TITLE_H + 27,
                phase["name"][:34],
                fill="#ffffff",
                font_weight="bold",
                font_size=14,
            )
        )
    return out


def _lane_row(
    view: MapView,
    lane: dict,
    y: int,
    h: int,
    cells: dict[tuple[str, str], list[tuple[str, list[str]]]],
) -> list[str]:
    """A lane's header, then its cells with their boxes (or, for emotions, the curves)."""
    out = [f'<rect x="0" y="{y}" width="{LANE_W}" height="{h}" fill="#ddebf7" stroke="#ffffff"/>']
    for i, line in enumerate(_lines(lane["name"], 22)[:3]):
        out.append(_text(PAD, y + 20 + i * LINE_H, line, font_weight="bold", fill="#1f2937"))
    for c, phase in enumerate(view.phases):
        x = LANE_W + c * PHASE_W
        out.append(
            f'<rect x="{x}" y="{y}" width="{PHASE_W}" height="{h}" '
            'fill="#f8fafc" stroke="#e2e8f0"/>'
        )
        if lane["kind"] != Lane.Kind.EMOTIONS:
            out.extend(_cell_boxes(x, y, cells[(phase["key"], lane["key"])]))
    if lane["kind"] == Lane.Kind.EMOTIONS:
        out.extend(_curves(view, y, h))
    return out


def _cell_boxes(x: int, y: int, boxes: list[tuple[str, list[str]]]) -> list[str]:
    """A cell's items as boxes of wrapped text, one under the other."""
    out = []
    by = y + PAD
    for fill, lines in boxes:
        bh = len(lines) * LINE_H + 2 * PAD
        out.append(
            f'<rect x="{x + PAD}" y="{by}" width="{PHASE_W - 2 * PAD}" height="{bh}" '
            f'rx="4" fill="{fill}" stroke="#cbd5e1"/>'
        )
        for i, line in enumerate(lines):
            out.append(_text(x + 2 * PAD, by + PAD + 11 + i * LINE_H, line, fill="#111827"))
        by += bh + PAD
    return out


def _curves(view: MapView, top: float, h: float) -> list[str]:
    """The team curve (solid) and the VoC curve (dashed) across an emotions row."""
    out = [
        f'<line x1="{LANE_W}" y1="{top + h / 2:.0f}" x2="{LANE_W + PHASE_W * len(view.phases)}" '
        f'y2="{top + h / 2:.0f}" stroke="#cbd5e1" stroke-dasharray="2 4"/>'
    ]
    labels = []  # drawn last, over both curves
    for source, colour, dash in (
        ("team", "#2563eb", ""),
        ("voc", "#db2777", ' stroke-dasharray="6 4"'),
    ):
        points = []
        for c, phase in enumerate(view.phases):
            emotion = view.emotion(phase["key"], source)
            if emotion is None:
                continue
            px = LANE_W + c * PHASE_W + PHASE_W / 2
            py = top + h / 2 - emotion["score"] * (h / 2 - 16) / 3
            points.append((px, py, emotion))
        if not points:
            continue
        path = " ".join(f"{px:.0f},{py:.0f}" for px, py, _ in points)
        out.append(
            f'<polyline class="emotion-{source}" points="{path}" fill="none" stroke="{colour}" '
            f'stroke-width="2.5"{dash}/>'
        )
        for px, py, emotion in points:
            out.append(f'<circle cx="{px:.0f}" cy="{py:.0f}" r="4" fill="{colour}"/>')
            if source == "team":
                # A white halo keeps the label readable where it crosses a curve.
                labels.append(
                    _text(
                        px + 7,
                        py - 6,
                        emotion_text(emotion),
                        fill="#1e3a8a",
                        font_size=11,
                        paint_order="stroke",
                        stroke="#ffffff",
                        stroke_width=3,
                    )
                )
    return out + labels
