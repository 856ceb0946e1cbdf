"""API-wide pieces: pagination and one mapping from errors to HTTP answers.

Every error body has a stable ``code`` and a human ``detail``; invalid input adds ``errors``
(field → messages) and a version conflict adds ``current``, the object as it now is.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, OperationalError
from django.db.models import RestrictedError
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from journeys.exceptions import JourneyboardError, VersionConflict


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, JourneyboardError):
        body = {"code": exc.code, "detail": exc.message, **exc.details}
        if isinstance(exc, VersionConflict):
            view = context.get("view")
            serializer_class = view.get_serializer_class() if view else None
            if serializer_class is not None:
                body["current"] = serializer_class(
                    exc.current, context=view.get_serializer_context()
                ).data
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    if isinstance(exc, OperationalError) and "deadlock" in str(exc).lower():
        return Response(
            {"code": "conflict", "detail": "This clashed with a simultaneous change; try again."},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, IntegrityError):
        # A uniqueness race the service's own check lost; nothing was written.
        return Response(
            {"code": "conflict", "detail": "This clashes with a change saved meanwhile; reload."},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, RestrictedError):
        return Response(
            {"code": "not_empty", "detail": "Delete what it still holds first."},
            status=status.HTTP_409_CONFLICT,
        )

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = (
            response.data
            if isinstance(response.data, dict)
            else {"non_field_errors": response.data}
        )
        response.data = {"code": "invalid", "detail": "Some fields are invalid.", "errors": errors}
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        response.data = {
            "code": codes if isinstance(codes, str) else exc.default_code,
            "detail": str(exc.detail),
        }
    return response
