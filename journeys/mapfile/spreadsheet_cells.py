"""What a spreadsheet would run as a formula, and the one quote that stops it.

Every CSV and XLSX Journeyboard writes (map grids, survey responses, import errors) puts a
leading ``'`` before text a spreadsheet would run; every import of such a file takes exactly
that quote off again, so a download uploaded again is equal to what was stored.
"""

# ``|`` too: older Excel runs ``|cmd`` as a DDE command (``=cmd|' /C calc'!A0`` without the =).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|")


def spreadsheet_safe(value: object) -> object:
    """A cell a spreadsheet will show as text, never run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _looks_neutralised(text: str) -> bool:
    """Text the import would take a quote off: a formula start, or quotes before one."""
    stripped = text.lstrip("'")
    return stripped != text and stripped.startswith(FORMULA_START)


def cell_out(value: object) -> object:
    """Formula-safe; text that already starts with a neutralising quote keeps its own."""
    if isinstance(value, str) and _looks_neutralised(value):
        return "'" + value
    return spreadsheet_safe(value)


def cell_in(text: str) -> str:
    """Exactly the quote ``cell_out`` added, taken off."""
    if text.startswith("'") and (
        text[1:].startswith(FORMULA_START) or _looks_neutralised(text[1:])
    ):
        return text[1:]
    return text


# ``cell_in`` in SQL (PostgreSQL regular expressions), for imports that never leave the
# database: one or more quotes before a formula start lose the first.
CELL_IN_PATTERN = r"^'+[=+@\t\r|-]"
