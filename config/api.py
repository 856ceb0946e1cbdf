"""API-wide pieces: pagination, and DRF's exception hook onto ``config.errors``."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import brief, error_answer


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's hook onto ``config.errors``: the answers sockets give too, plus DRF's own (sign-in,
    method, parse errors) in the same shape."""
    view = context.get("view")
    serializer_class = (
        view.get_serializer_class() if hasattr(view, "get_serializer_class") else None
    )

    def represent(current):
        if serializer_class is None:
            return None
        return serializer_class(current, context=view.get_serializer_context()).data

    # Django's own (get_object_or_404, a view's PermissionDenied) answer in our shape too.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    answer = error_answer(exc, represent=represent if serializer_class else None)
    if answer is not None:
        status_code, body = answer
        return Response(body, status=status_code)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        response.data = {
            "code": codes if isinstance(codes, str) else exc.default_code,
            "detail": brief(str(exc.detail)),
        }
    return response


def api_not_found(request: HttpRequest) -> JsonResponse:
    """A path under /api/ that names nothing (``/api/journeys/abc/voc/``): the API's 404."""
    return JsonResponse({"code": "not_found", "detail": "Not found."}, status=404)
