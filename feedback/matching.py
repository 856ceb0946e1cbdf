"""How a value a survey names (a touchpoint, a channel, a score label) is compared.

Exports carry the same value written many ways: ``PTS - Patient Transport``, ``pts - patient
transport``, ``PTS\u00a0-\u00a0Patient Transport`` (a non-breaking space pasted from a web page).
Every comparison — a code, the value table of a source, the unmatched queue, score labels —
goes through ``match_key``, so they all agree on what "the same value" is.
"""

import unicodedata
from typing import Any

MATCH_KEY_LENGTH = 80


def match_key(value: Any) -> str:
    """The value compared: NFKC-normalised (a non-breaking space becomes a space, full-width
    letters plain ones), whitespace runs collapsed to one space and trimmed, lower case;
    cut to 80 characters. Numbers from spreadsheets (``111.0``) read as written (``111``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    return " ".join(text.split()).lower()[:MATCH_KEY_LENGTH]
