"""How large a request body may be, enforced before it is parsed: 413 in the project's shape.

A 96 MB JSON body to the map import was read, parsed and validated whole (and answered with a
400 that repeated it). Two places keep bodies bounded: the ASGI handler refuses a body over its
limit before reading it (by its Content-Length, or as it streams in without one), and the API's
parsers refuse one before parsing it — the same limits under WSGI or the test client, where no
ASGI handler runs. JSON and forms: ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (Django's own setting, which
DRF's parsers never consult); a multipart body (a file upload): ``JOURNEYBOARD_UPLOAD_MAX_BYTES``.
"""

import io

from django.conf import settings
from rest_framework import parsers

from journeys.exceptions import JourneyboardError


class BodyTooLarge(JourneyboardError):
    status_code = 413
    code = "too_large"


def body_limit(content_type: str) -> int:
    """The largest body a request of this content type may send."""
    if content_type.lower().startswith("multipart/"):
        return settings.JOURNEYBOARD_UPLOAD_MAX_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def too_large(limit: int, size: int | None = None) -> BodyTooLarge:
    told = f"is {size / 2**20:,.1f} MB" if size is not None else "is larger than that"
    return BodyTooLarge(
        f"The request body {told}; the limit is {limit / 2**20:,.1f} MB.", limit=limit
    )


def _declared_length(request) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def _read_bounded(stream, request, limit: int) -> io.BytesIO:
    declared = _declared_length(request)
    if declared is not None and declared > limit:
        raise too_large(limit, declared)
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise too_large(limit)
    return io.BytesIO(data)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {})["request"]
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return super().parse(_read_bounded(stream, request, limit), media_type, parser_context)


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {})["request"]
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return super().parse(_read_bounded(stream, request, limit), media_type, parser_context)


class MultiPartParser(parsers.MultiPartParser):
    """Django's multipart parser bounds the fields; the files (streamed to disk) by this."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {})["request"]
        limit = settings.JOURNEYBOARD_UPLOAD_MAX_BYTES
        declared = _declared_length(request)
        if declared is not None and declared > limit:
            raise too_large(limit, declared)
        return super().parse(stream, media_type, parser_context)
