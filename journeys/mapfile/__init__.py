"""A map as a file: the portable document, every format drawn from it, and imports back.

- ``document`` — the map as a ``journeyboard.map`` document (and ``MapView``, its lookups).
- ``exports`` — the table of export formats (``FORMATS``) and the download's file name.
- ``spreadsheet`` (CSV, XLSX, both ways), ``svg``, ``pdf``, ``slides`` (PowerPoint), ``mermaid``.
- ``spreadsheet_cells`` — the formula guard every CSV and XLSX of the product goes through.
- ``imports`` — a map file (JSON, CSV, XLSX) checked and written as a new journey.

The HTTP views are in ``journeys.api.mapfile``.
"""
