"""Gapped integer positions: moving an item writes one row until a gap runs out.

Items of one scope (a cell, or a journey's phases) sit at multiples of ``GAP``. An item moved
between two neighbours takes the midpoint; when two neighbours are adjacent the scope is
renumbered, which is rare and reported so clients can apply it.
"""

from collections.abc import Sequence

GAP = 1 << 16


def position_at(sibling_positions: Sequence[int], index: int) -> int | None:
    """The position that puts an item at ``index`` among the (sorted) siblings, or None if full.

    ``index`` is clamped to ``0…len(siblings)``; the siblings must not include the item itself.
    """
    index = max(0, min(index, len(sibling_positions)))
    before = sibling_positions[index - 1] if index > 0 else None
    after = sibling_positions[index] if index < len(sibling_positions) else None
    if before is None and after is None:
        return GAP
    if after is None:
        return before + GAP
    if before is None:
        # Keep positions positive so a renumber never has to cross zero.
        return after // 2 if after > 1 else None
    if after - before < 2:
        return None
    return before + (after - before) // 2


def renumbered(count: int) -> list[int]:
    """Fresh, evenly gapped positions for ``count`` items in their current order."""
    return [GAP * (i + 1) for i in range(count)]
