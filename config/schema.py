"""The OpenAPI schema's view of errors: every operation lists the answers ``config.errors`` gives.

drf-spectacular documents only the success of each operation; a client (or the fuzzer in
``tests/test_api_fuzz.py``) then meets 400s, 404s and 409s the schema never mentioned. The
error answers have one shape, so they are added here, once, by what an operation can meet.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorSerializer(serializers.Serializer):
    """Every error answer: a stable code and a human detail (``config.errors``)."""

    code = serializers.CharField()
    detail = serializers.CharField()
    errors = serializers.DictField(
        required=False, help_text="Invalid input: each field's messages (400 only)."
    )
    current = serializers.DictField(
        required=False, allow_null=True, help_text="A version conflict: the object as it is now."
    )


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class JourneyboardAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status_code, error in self._errors().items():
            responses.setdefault(
                status_code,
                self._get_response_for_code(error, status_code, ["application/json"], direction),
            )
        return responses

    def _errors(self) -> dict[str, OpenApiResponse]:
        """The error answers this operation can give, by status code."""
        errors = {
            "400": _error("Invalid input (a parameter or the body)."),
            "503": _error("The database could not answer; try again."),
        }
        if not any(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            errors["401"] = _error("Not signed in.")
            errors["403"] = _error("Signed in, but this needs another role or access.")
        # A named object (in the path or the body) that cannot be seen, a page past the last.
        errors["404"] = _error("Not found (or not visible to you).")
        if self.method in _WRITES:
            errors["409"] = _error("A conflict: a stale version, or content still in the way.")
        if self.method in {"POST", "PUT", "PATCH"}:
            errors["413"] = _error("The request body is too large.")
            errors["415"] = _error("The body's content type is not accepted here.")
        if self.view.get_throttles():
            errors["429"] = _error("Too many requests; wait and try again.")
        return errors
