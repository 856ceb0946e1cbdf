"""One mapping from errors to answers, for REST responses and WebSocket error frames alike.

Every answer has a stable ``code`` and a human ``detail``; invalid input adds ``errors``
(field → messages) and a version conflict adds ``current``, the object as it now is.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, DataError, IntegrityError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import exceptions, status

from journeys.exceptions import JourneyboardError, VersionConflict

logger = logging.getLogger(__name__)

# PostgreSQL's SQLSTATEs for "two transactions got in each other's way; the same request can
# succeed if sent again": serialization failure, deadlock, lock not available.
_RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}


def _sqlstate(error: Exception) -> str | None:
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) or getattr(
        getattr(cause, "diag", None), "sqlstate", None
    )


def _retryable(error: OperationalError) -> bool:
    if _sqlstate(error) in _RETRYABLE_SQLSTATES:
        return True
    text = str(error).lower()
    # SQLite's own words for the same situation.
    return "deadlock" in text or "database is locked" in text


# An answer repeats a user's input in its messages ("[…] is too long"): each text is cut to this
# many characters and each list to this many entries, so a large body is never answered in kind.
ECHO_CHARS, ECHO_ITEMS = 300, 50


def brief(value: Any) -> Any:
    """``value`` with long texts and long lists cut short, saying how much was left out."""
    if isinstance(value, str):
        if len(value) <= ECHO_CHARS:
            return value
        return f"{value[:ECHO_CHARS]}… ({len(value):,} characters)"
    if isinstance(value, dict):
        items = list(value.items())
        kept = {str(k)[:ECHO_CHARS]: brief(v) for k, v in items[:ECHO_ITEMS]}
        if len(items) > ECHO_ITEMS:
            kept["…"] = f"and {len(items) - ECHO_ITEMS:,} more"
        return kept
    if isinstance(value, list | tuple):
        kept = [brief(v) for v in value[:ECHO_ITEMS]]
        if len(value) > ECHO_ITEMS:
            kept.append(f"… and {len(value) - ECHO_ITEMS:,} more")
        return kept
    return value


def invalid_errors(detail: Any) -> dict[str, Any]:
    return brief(detail if isinstance(detail, dict) else {"non_field_errors": detail})


def error_answer(
    error: Exception, *, represent: Callable[[Any], dict | None] | None = None
) -> tuple[int, dict[str, Any]] | None:
    """The HTTP status and body for ``error``, or None when it is not ours to answer (a bug).

    ``represent`` turns a conflicting object into its output shape (the door knows which
    serializer it answers with); without it a conflict's ``current`` is the map item's shape.
    """
    if isinstance(error, JourneyboardError):
        body = {"code": error.code, "detail": brief(error.message), **brief(error.details)}
        if isinstance(error, VersionConflict):
            body["current"] = (represent or _item_shape)(error.current)
        return error.status_code, body
    if isinstance(error, DjangoValidationError):
        messages = error.message_dict if hasattr(error, "error_dict") else error.messages
        return _invalid(messages)
    if isinstance(error, exceptions.ValidationError):
        return _invalid(error.detail)
    if isinstance(error, RecursionError):
        # Input nested deeper than Python can walk (a frame or body of 1,000+ brackets).
        return status.HTTP_400_BAD_REQUEST, {
            "code": "invalid",
            "detail": "Input nested too deeply.",
        }
    return _database_answer(error)


def _database_answer(error: Exception) -> tuple[int, dict[str, Any]] | None:
    """What the database refused, as the client should hear it."""
    if isinstance(error, OperationalError) and _retryable(error):
        return status.HTTP_409_CONFLICT, {
            "code": "conflict",
            "detail": "This clashed with a simultaneous change; try again.",
        }
    if isinstance(error, IntegrityError):
        # A uniqueness race the service's own check lost; nothing was written.
        return status.HTTP_409_CONFLICT, {
            "code": "conflict",
            "detail": "This clashes with a change saved meanwhile; reload.",
        }
    if isinstance(error, DataError | OverflowError):
        # A value the database cannot hold or compare (a NUL byte, a number out of range;
        # SQLite's driver says so with OverflowError): the input's fault, not the database's.
        return status.HTTP_400_BAD_REQUEST, {
            "code": "invalid",
            "detail": "A value in this request cannot be stored or searched for as given.",
        }
    if isinstance(error, RestrictedError | ProtectedError):
        return status.HTTP_409_CONFLICT, {
            "code": "not_empty",
            "detail": "Delete what it still holds first.",
        }
    if isinstance(error, DatabaseError):
        # The database went away or timed out: nothing was committed, and the user may retry.
        logger.warning("Database error answered as unavailable", exc_info=error)
        return status.HTTP_503_SERVICE_UNAVAILABLE, {
            "code": "unavailable",
            "detail": "The database could not answer just now; try again.",
        }
    return None


def _invalid(detail: Any) -> tuple[int, dict[str, Any]]:
    return status.HTTP_400_BAD_REQUEST, {
        "code": "invalid",
        "detail": "Some fields are invalid.",
        "errors": invalid_errors(detail),
    }


def _item_shape(item) -> dict | None:
    from journeys.actions import kind_of

    kind = kind_of(item)
    return kind.data(item) if kind else None
