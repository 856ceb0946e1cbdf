"""Every format a map leaves the tool in, drawn from one in-memory document (``document``)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ExportFormat:
    key: str
    label: str
    content_type: str
    extension: str
    render: Callable[[dict[str, Any]], bytes]


def _json(document: dict[str, Any]) -> bytes:
    import json

    return json.dumps(document, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def _lazy(module: str, name: str) -> Callable[[dict[str, Any]], bytes]:
    """Import a renderer's library (reportlab, python-pptx…) only when that format is asked for."""

    def render(document: dict[str, Any]) -> bytes:
        from importlib import import_module

        return getattr(import_module(f"journeys.mapfile.{module}"), name)(document)

    return render


FORMATS: dict[str, ExportFormat] = {
    f.key: f
    for f in (
        ExportFormat("json", "JSON (re-importable)", "application/json", "json", _json),
        ExportFormat(
            "csv", "CSV grid", "text/csv; charset=utf-8", "csv", _lazy("spreadsheet", "map_csv")
        ),
        ExportFormat(
            "xlsx",
            "Excel workbook",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
            _lazy("spreadsheet", "map_xlsx"),
        ),
        ExportFormat("svg", "SVG image", "image/svg+xml", "svg", _lazy("svg", "map_svg")),
        ExportFormat("pdf", "PDF (landscape)", "application/pdf", "pdf", _lazy("pdf", "map_pdf")),
        ExportFormat(
            "pptx",
            "PowerPoint slides",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "pptx",
            _lazy("slides", "map_pptx"),
        ),
        ExportFormat(
            "mermaid",
            "Mermaid journey",
            "text/plain; charset=utf-8",
            "mmd",
            _lazy("mermaid", "map_mermaid"),
        ),
    )
}


def export_filename(title: str, extension: str) -> str:
    """A safe ASCII file name from the map's title: ``buying-a-bike.pdf``."""
    from django.utils.text import slugify

    return f"{slugify(title)[:80].strip('-') or 'journey-map'}.{extension}"
