"""The map as Mermaid ``journey`` text (https://mermaid.js.org/syntax/userJourney.html).

One section per phase; its tasks are the cards of the actions lanes and the touchpoints, each
scored from the phase's team emotion (−3…+3 → 1…5; no emotion is 3) with the persona as actor.

What Mermaid's journey lexer allows, and so what is escaped where:
- ``title`` takes its text to the end of the line, stopping only at ``#`` or ``;`` — a colon
  there is plain text and stays as it is.
- ``section`` names and task names also stop at ``:`` (the task's separator before its score),
  and an actor list is cut at ``:`` and split at ``,``.
- ``#`` starts a comment, ``%%`` too, anywhere on a line.

Each such character is written as one of Mermaid's entity codes (``#58;`` for ``:``), which
Mermaid swaps out before it parses and draws as the character itself — the diagram shows what
the person wrote. Line breaks become spaces; a task that begins with a keyword of the grammar
(``Section 2 of the form``) has its first letter written as a code so it stays a task.
"""

import re
from typing import Any

from journeys.mapfile.document import MapView
from journeys.models import Lane


def _codes(*characters: str) -> dict[int, str]:
    return {ord(c): f"#{ord(c)};" for c in characters}


_SPACES = {ord(c): " " for c in "\n\r\t\u2028\u2029"}
# ``#`` first among equals: every code written here starts with it, and ``translate`` reads
# each character once, so a code is never escaped twice.
_IN_TITLE = str.maketrans({**_SPACES, **_codes("#", ";")})
_IN_NAME = str.maketrans({**_SPACES, **_codes("#", ";", ":")})
_IN_ACTOR = str.maketrans({**_SPACES, **_codes("#", ";", ":", ",")})
# Words the lexer reads as a statement when a line starts with them.
_KEYWORD_START = re.compile(r"^(?:journey|title\s|section\s|acctitle|accdescr)", re.IGNORECASE)


def _escaped(text: str, table: dict[int, str]) -> str:
    # "%%" starts a Mermaid comment anywhere on a line; one "%" is plain text.
    text = " ".join(text.translate(table).replace("%%", "#37;#37;").split()) or "…"
    if _KEYWORD_START.match(text):
        text = f"#{ord(text[0])};{text[1:]}"
    return text


def mermaid_title(text: str) -> str:
    """A ``title`` line's text: colons kept as written."""
    return " ".join(text.translate(_IN_TITLE).replace("%%", "#37;#37;").split()) or "…"


def mermaid_text(text: str) -> str:
    """A section or task name: ``:`` (the separator) and the comment starts as entity codes."""
    return _escaped(text, _IN_NAME)


def mermaid_actor(text: str) -> str:
    """An actor's name, which also may not hold the ``,`` that separates actors."""
    return _escaped(text, _IN_ACTOR)


def mermaid_score(emotion: dict | None) -> int:
    """−3…+3 onto Mermaid's 1…5: −3 → 1, 0 → 3, +3 → 5."""
    if emotion is None:
        return 3
    return round(1 + (emotion["score"] + 3) * 4 / 6)


def map_mermaid(document: dict[str, Any]) -> bytes:
    view = MapView(document)
    actor = mermaid_actor(view.persona["name"]) if view.persona else "Customer"
    lines = ["journey", f"  title {mermaid_title(view.title)}"]
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
