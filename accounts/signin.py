"""Signing in, behind a limiter: every door that checks a password (the sign-in page, the admin's,
``POST /api/auth/token/``) goes through ``sign_in``.

Failed attempts are counted in the cache per account and per client address. Past the limit,
attempts are refused *before* the password is hashed (each check costs real CPU), with one
message whether or not the account exists, until the lockout has passed or an admin unlocks the
account (``sign_in_unlock``). With ``REDIS_URL`` the counts are shared by every server process;
embedded, they live in the one web process's memory.
"""

import hashlib

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle

from accounts.exceptions import SignInLocked

LOCKED_MESSAGE = (
    "Too many failed sign-ins. Wait {minutes} minutes and try again, "
    "or ask an admin to unlock your account."
)


def _account_key(username: str) -> str:
    # Hashed: the cache key stays short and safe whatever was typed; folded, so "Ada" and "ada"
    # share one count.
    digest = hashlib.sha256(username.strip().casefold().encode()).hexdigest()
    return f"sign-in:account:{digest}"


def client_address(request: HttpRequest) -> str:
    """The caller's address, trusting only the ``JOURNEYBOARD_PROXIES`` proxies in front (the
    same rule as the API's throttles, DRF's ``NUM_PROXIES``)."""
    return BaseThrottle().get_ident(request)


def _client_key(request: HttpRequest) -> str:
    return f"sign-in:client:{client_address(request)}"


def _lockout_seconds() -> int:
    return settings.JOURNEYBOARD_SIGNIN_LOCKOUT_MINUTES * 60


def _locked(request: HttpRequest, username: str) -> bool:
    counts = cache.get_many([_account_key(username), _client_key(request)])
    return (
        counts.get(_account_key(username), 0) >= settings.JOURNEYBOARD_SIGNIN_ACCOUNT_FAILURES
        or counts.get(_client_key(request), 0) >= settings.JOURNEYBOARD_SIGNIN_CLIENT_FAILURES
    )


def _count_failure(key: str) -> None:
    # The window starts at the first failure (``add``); incr is atomic on Redis.
    if cache.add(key, 1, timeout=_lockout_seconds()):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout=_lockout_seconds())


def sign_in(request: HttpRequest, *, username: str, password: str):
    """The user these credentials name, None for wrong ones; ``SignInLocked`` past the limit."""
    if _locked(request, username):
        raise SignInLocked(
            LOCKED_MESSAGE.format(minutes=settings.JOURNEYBOARD_SIGNIN_LOCKOUT_MINUTES)
        )
    user = authenticate(request, username=username, password=password)
    if user is None:
        _count_failure(_account_key(username))
        _count_failure(_client_key(request))
        return None
    # The account's count starts again; the address's does not, or one good account would let
    # a client try every other one's password without end.
    cache.delete(_account_key(username))
    return user


def sign_in_unlock(*, username: str) -> None:
    """An admin lets the account sign in again at once."""
    cache.delete(_account_key(username))
