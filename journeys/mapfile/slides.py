"""The map as PowerPoint slides (python-pptx): an overview, then one slide per phase."""

import io
from typing import Any

from pptx import Presentation
from pptx.util import Inches, Pt

from journeys.mapfile.document import MapView, emotion_text, printable
from journeys.models import Lane

_TITLE_ONLY = 5  # the default template's "Title Only" layout
# A slide's text: (text, indent level, bold) per paragraph.
Paragraphs = list[tuple[str, int, bool]]


def _metrics_text(m: dict | None) -> str:
    if not m or not m.get("responses"):
        return ""
    parts = [
        f"{name} {m[key]:g}"
        for name, key in (("NPS", "nps"), ("CSAT", "csat"), ("CES", "ces"))
        if m.get(key) is not None
    ]
    return f" — {' · '.join(parts)} (n={m['responses']})"


def _body(slide, left, top, width, height, paragraphs: Paragraphs) -> None:
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
    _overview_slide(deck.slides.add_slide(layout), view, wide)
    for phase in view.phases:
        _phase_slide(deck.slides.add_slide(layout), view, phase, wide)
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _overview_slide(slide, view: MapView, wide) -> None:
    """The map's title, persona and scenario, and a table of its phases."""
    slide.shapes.title.text = printable(view.title)
    persona = view.persona
    intro: Paragraphs = (
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
    scenario = view.document["journey"].get("scenario")
    if scenario:
        intro.append((scenario, 1, False))
    _body(slide, Inches(0.5), Inches(1.4), wide, Inches(1), intro)
    _phase_table(slide, view, wide)


def _phase_table(slide, view: MapView, wide) -> None:
    """One row per phase: its team emotion and how many cards, touchpoints, opportunities."""
    rows = len(view.phases) + 1
    table = slide.shapes.add_table(
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


def _phase_slide(slide, view: MapView, phase: dict, wide) -> None:
    """A phase's goal and emotions, what each lane holds there, and its opportunities."""
    slide.shapes.title.text = printable(phase["name"])
    key = phase["key"]
    paragraphs = [
        *_goal_and_emotion(view, phase),
        *(p for lane in view.lanes for p in _lane_paragraphs(view, key, lane)),
        *_opportunity_paragraphs(view.opportunities.get(key, [])),
    ]
    _body(
        slide,
        Inches(0.5),
        Inches(1.3),
        wide,
        Inches(5.8),
        paragraphs or [("Nothing on this phase yet.", 0, False)],
    )


def _goal_and_emotion(view: MapView, phase: dict) -> Paragraphs:
    paragraphs: Paragraphs = []
    if phase.get("customer_goal"):
        paragraphs.append((f"Customer goal: {phase['customer_goal']}", 0, False))
    emotion, voc = view.emotion(phase["key"]), view.emotion(phase["key"], "voc")
    if emotion or voc:
        feel = emotion_text(emotion) if emotion else "—"
        if voc:
            feel += f"; customers (VoC): {emotion_text(voc)}"
        paragraphs.append((f"Emotion: {feel}", 0, False))
    return paragraphs


def _lane_paragraphs(view: MapView, phase_key: str, lane: dict) -> Paragraphs:
    """The lane's name, then its items in this phase (emotions and opportunities have their
    own paragraphs)."""
    if lane["kind"] in (Lane.Kind.EMOTIONS, Lane.Kind.OPPORTUNITIES):
        return []
    if lane["kind"] == Lane.Kind.TOUCHPOINTS:
        items = [
            ("★ " if tp.get("is_moment_that_matters") else "")
            + tp["name"]
            + _metrics_text(view.touchpoint_metrics.get(tp["key"]))
            for tp in view.touchpoints.get((phase_key, lane["key"]), [])
        ]
    else:
        items = view.cell_items(phase_key, lane)
    if not items:
        return []
    label = lane["name"] + (
        " (pain points)"
        if lane["kind"] == Lane.Kind.PAIN_POINTS and "pain" not in lane["name"].lower()
        else ""
    )
    return [(label, 0, True), *((item, 1, False) for item in items)]


def _opportunity_paragraphs(opportunities: list[dict]) -> Paragraphs:
    if not opportunities:
        return []
    paragraphs: Paragraphs = [("Opportunities", 0, True)]
    for op in opportunities:
        plan = op.get("action_plan") or {}
        owner = (plan.get("owner") or {}).get("name")
        extra = [f"impact {op['impact']}", f"effort {op['effort']}", op.get("status", "")]
        if owner:
            extra.append(f"owner {owner}")
        if plan.get("due_date"):
            extra.append(f"due {plan['due_date']}")
        paragraphs.append((f"{op['title']} ({', '.join(e for e in extra if e)})", 1, False))
    return paragraphs
