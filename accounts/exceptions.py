"""Refusals of a sign-in, mapped like every domain error (``config.errors``)."""

from journeys.exceptions import JourneyboardError


class SignInLocked(JourneyboardError):
    """Too many failed sign-ins for this account or from this address, for now."""

    status_code = 429
    code = "sign_in_locked"
