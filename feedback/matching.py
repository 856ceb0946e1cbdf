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


def response_match_key(touchpoint_value: Any, channel: Any) -> str:
    """What a response named, as compared: its touchpoint value, else (naming none) its channel."""
    return match_key(touchpoint_value) or match_key(channel)


def touchpoint_keys(source) -> dict[str, tuple[int, int]]:
    """Each value a response of ``source`` may name (its match_key) → (touchpoint id, journey id),
    in the order matching tries them: the source's value table (``touchpoint_values``) first,
    then the touchpoint's code, then its name. A code or name only matches when exactly one
    touchpoint in scope has it; for a shared source the scope is every map.

    Both import paths (the row-by-row writer and the PostgreSQL fast path) join on this one
    table, so they cannot disagree on what a value stands for; the channel/phase rules come
    after it. Read inside the import's transaction, after its touchpoints are locked."""
    from touchpoints.models import Touchpoint

    touchpoints = Touchpoint.objects.order_by()
    if source.journey_id:
        touchpoints = touchpoints.filter(journey_id=source.journey_id)
    by_code: dict[str, set[tuple[int, int]]] = {}
    by_code_key: dict[str, set[tuple[int, int]]] = {}
    by_name_key: dict[str, set[tuple[int, int]]] = {}
    for pk, journey_id, code, name in touchpoints.values_list("id", "journey_id", "code", "name"):
        target = (pk, journey_id)
        by_code.setdefault(code, set()).add(target)
        by_code_key.setdefault(match_key(code), set()).add(target)
        by_name_key.setdefault(match_key(name), set()).add(target)

    def unique(found: dict[str, set[tuple[int, int]]]) -> dict[str, tuple[int, int]]:
        return {key: next(iter(ts)) for key, ts in found.items() if key and len(ts) == 1}

    codes, code_keys = unique(by_code), unique(by_code_key)
    keys = unique(by_name_key)
    keys.update(code_keys)
    for value, code in ((source.import_settings or {}).get("touchpoint_values") or {}).items():
        target = codes.get(str(code)) or code_keys.get(match_key(code))
        if target and match_key(value):
            keys[match_key(value)] = target
    return keys
