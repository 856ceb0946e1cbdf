"""WebSocket authentication from the Django session cookie.

Channels' AuthMiddlewareStack also wraps every outgoing message, to save a session changed
mid-connection — a check (and a thread hop) paid for each event delivered to each socket. A live
map never changes the session, so this middleware finds the user when the socket opens and then
steps out of the way. It leaves the session key in the scope: a consumer resolves the user
again (``user_for_session``) before every write and replay, so signing out, deactivation or a
lost role take effect on sockets already open.
"""

from importlib import import_module
from types import SimpleNamespace

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.http.cookie import parse_cookie


def user_for_session(session_key: str | None):
    """The session's user as they are now (AnonymousUser once signed out or deactivated)."""
    if not session_key:
        return AnonymousUser()
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    # get_user checks the session's auth hash and backend, exactly as for an HTTP request.
    return auth.get_user(SimpleNamespace(session=session))


class SessionUserMiddleware:
    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.inner(scope, receive, send)
        cookie_header = dict(scope.get("headers", [])).get(b"cookie", b"").decode("latin-1")
        session_key = parse_cookie(cookie_header).get(settings.SESSION_COOKIE_NAME)
        user = await database_sync_to_async(user_for_session)(session_key)
        scope = {**scope, "user": user, "session_key": session_key}
        return await self.inner(scope, receive, send)
