"""Moved to ``journeys.mapfile.spreadsheet_cells``.

``feedback`` (rows.py, bulk.py, views.py) still imports it from here while that app is being
changed elsewhere; once those three imports name the new module, delete this file and its
(namespace) package ``journeys/exports/``.
"""

from journeys.mapfile.spreadsheet_cells import (  # noqa: F401
    CELL_IN_PATTERN,
    FORMULA_START,
    cell_in,
    cell_out,
    spreadsheet_safe,
)
