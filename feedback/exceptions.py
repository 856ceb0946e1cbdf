"""Refusals of the voice-of-the-customer app, in the journeys app's error shape."""

from journeys.exceptions import JourneyboardError


class ImportRefused(JourneyboardError):
    """A file or source that cannot be imported at all; nothing of it is written."""

    def __init__(self, code: str, message: str, **details) -> None:
        super().__init__(message, code=code, **details)
