"""The map as Mermaid ``journey`` text (https://mermaid.js.org/syntax/userJourney.html).

One section per phase; its tasks are the cards of the actions lanes and the touchpoints, each
scored from the phase's team emotion (−3…+3 → 1…5; no emotion is 3) with the persona as actor.
Mermaid's grammar stops a name at ``:``, ``;``, ``#`` or a line break, so those are replaced by
their full-width look-alikes and line breaks by spaces.
"""

from typing import Any

from journeys.mapfile.document import MapView
from journeys.models import Lane

_BREAKING = str.maketrans({":": "：", ";": "；", "#": "＃", "\n": " ", "\r": " ", "\t": " "})


def mermaid_text(text: str) -> str:
    # "%%" starts a Mermaid comment anywhere on a line.
    return " ".join(text.translate(_BREAKING).replace("%%", "％％").split()) or "…"


def mermaid_score(emotion: dict | None) -> int:
    """−3…+3 onto Mermaid's 1…5: −3 → 1, 0 → 3, +3 → 5."""
    if emotion is None:
        return 3
    return round(1 + (emotion["score"] + 3) * 4 / 6)


def map_mermaid(document: dict[str, Any]) -> bytes:
    view = MapView(document)
    actor = mermaid_text(view.persona["name"]) if view.persona else "Customer"
    lines = ["journey", f"  title {mermaid_text(view.title)}"]
    task_lanes = [
        lane for lane in view.lanes if lane["kind"] in (Lane.Kind.ACTIONS, Lane.Kind.TOUCHPOINTS)
    ]
    for phase in view.phases:
        lines.append(f"  section {mermaid_text(phase['name'])}")
        score = mermaid_score(view.emotion(phase["key"]))
        for lane in task_lanes:
            for task in view.cell_items(phase["key"], lane):
                lines.append(f"    {mermaid_text(task)}: {score}: {actor}")
    return ("\n".join(lines) + "\n").encode("utf-8")
