"""The map as PowerPoint slides (python-pptx): an overview, then one slide per phase."""

import io
from typing import Any

from pptx import Presentation
from pptx.util import Inches, Pt

from journeys.mapfile.document import MapView, emotion_text, printable
from journeys.models import Lane

_TITLE_ONLY = 5  # the default template's "Title Only" layout


def _metrics_text(m: dict | None) -> str:
    if not m or not m.get("responses"):
        return ""
    parts = [
        f"{name} {m[key]:g}"
        for name, key in (("NPS", "nps"), ("CSAT", "csat"), ("CES", "ces"))
        if m.get(key) is not None
    ]
    return f" — {' · '.join(parts)} (n={m['responses']})"


def _body(slide, left, top, width, height, paragraphs: list[tuple[str, int, bool]]) -> None:
    """A text box of (text, level, bold) paragraphs."""
    frame = slide.shapes.add_textbox(left, top, width, height).text_frame
    frame.word_wrap = True
    for i, (text, level, bold) in enumerate(paragraphs):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.text = printable(text)
        paragraph.level = level
        for run in paragraph.runs:
            run.font.size = Pt(14 if level == 0 else 12)
            run.font.bold = bold


def map_pptx(document: dict[str, Any]) -> bytes:
    view = MapView(document)
    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    layout = deck.slide_layouts[_TITLE_ONLY]
    wide = deck.slide_width - Inches(1)

    overview = deck.slides.add_slide(layout)
    overview.shapes.title.text = printable(view.title)
    persona = view.persona
    intro = (
        [
            (
                f"Persona: {persona['name']}"
                + (f" — {persona['role']}" if persona.get("role") else ""),
                0,
                True,
            )
        ]
        if persona
        else [("No persona", 0, True)]
    )
    if document["journey"].get("scenario"):
        intro.append((document["journey"]["scenario"], 1, False))
    _body(overview, Inches(0.5), Inches(1.4), wide, Inches(1), intro)
    rows = len(view.phases) + 1
    table = overview.shapes.add_table(
        rows, 5, Inches(0.5), Inches(2.5), wide, Inches(0.4) * rows
    ).table
    for c, header in enumerate(("Phase", "Team emotion", "Cards", "Touchpoints", "Opportunities")):
        table.cell(0, c).text = header
    for r, phase in enumerate(view.phases, 1):
        emotion = view.emotion(phase["key"])
        cards = sum(len(v) for (p, _), v in view.cards.items() if p == phase["key"])
        tps = sum(len(v) for (p, _), v in view.touchpoints.items() if p == phase["key"])
        values = (
            phase["name"],
            emotion_text(emotion) if emotion else "—",
            cards,
            tps,
            len(view.opportunities.get(phase["key"], [])),
        )
        for c, value in enumerate(values):
            table.cell(r, c).text = printable(str(value))

    for phase in view.phases:
        slide = deck.slides.add_slide(layout)
        slide.shapes.title.text = printable(phase["name"])
        key = phase["key"]
        paragraphs: list[tuple[str, int, bool]] = []
        if phase.get("customer_goal"):
            paragraphs.append((f"Customer goal: {phase['customer_goal']}", 0, False))
        emotion, voc = view.emotion(key), view.emotion(key, "voc")
        if emotion or voc:
            feel = emotion_text(emotion) if emotion else "—"
            if voc:
                feel += f"; customers (VoC): {emotion_text(voc)}"
            paragraphs.append((f"Emotion: {feel}", 0, False))
        for lane in view.lanes:
            if lane["kind"] in (Lane.Kind.EMOTIONS, Lane.Kind.OPPORTUNITIES):
                continue
            if lane["kind"] == Lane.Kind.TOUCHPOINTS:
                items = [
                    ("★ " if tp.get("is_moment_that_matters") else "")
                    + tp["name"]
                    + _metrics_text(view.touchpoint_metrics.get(tp["key"]))
                    for tp in view.touchpoints.get((key, lane["key"]), [])
                ]
            else:
                items = view.cell_items(key, lane)
            if items:
                label = lane["name"] + (
                    " (pain points)"
                    if lane["kind"] == Lane.Kind.PAIN_POINTS and "pain" not in lane["name"].lower()
                    else ""
                )
                paragraphs.append((label, 0, True))
                paragraphs += [(item, 1, False) for item in items]
        opportunities = view.opportunities.get(key, [])
        if opportunities:
            paragraphs.append(("Opportunities", 0, True))
            for op in opportunities:
                plan = op.get("action_plan") or {}
                owner = (plan.get("owner") or {}).get("name")
                extra = [f"impact {op['impact']}", f"effort {op['effort']}", op.get("status", "")]
                if owner:
                    extra.append(f"owner {owner}")
                if plan.get("due_date"):
                    extra.append(f"due {plan['due_date']}")
                paragraphs.append((f"{op['title']} ({', '.join(e for e in extra if e)})", 1, False))
        _body(
            slide,
            Inches(0.5),
            Inches(1.3),
            wide,
            Inches(5.8),
            paragraphs or [("Nothing on this phase yet.", 0, False)],
        )
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()
