"""When an API token stops working: ``JOURNEYBOARD_TOKEN_TTL_DAYS`` after it was made (never,
when the setting is 0). A user has one token at a time (DRF's ``Token``)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone


def token_expires_at(created: datetime) -> datetime | None:
    days = settings.JOURNEYBOARD_TOKEN_TTL_DAYS
    return created + timedelta(days=days) if days else None


def token_expired(created: datetime, *, now: datetime | None = None) -> bool:
    expires_at = token_expires_at(created)
    return expires_at is not None and expires_at <= (now or timezone.now())
