"""Django's ASGI handler, with each request's middleware chain and view run in one thread.

Every view of Journeyboard is synchronous (DRF has no async views) and so is WhiteNoise, the
innermost middleware. Django's own ASGI handler builds an *async* chain regardless: the sync
middleware run in a worker thread, hand the request back to the event loop for the async base
handler, which hands it to a thread again for the view — two loop ↔ thread round trips per
request beyond the signals', each waiting for a turn of the loop that also delivers every live
event to the process's sockets. Here the chain is built synchronously, as under WSGI, and the
whole of it runs in the request's thread with one hand-off.

Measured with ``bench/edit_cost.py`` on PostgreSQL + Redis (REST ``POST /api/cards/``, token):
loop → thread hand-offs per request 6 → 3 and CPU per edit 9.1 → 7.8 ms. Nothing else differs:
the same middleware in the same order, the same signals, one thread per request
(``ThreadSensitiveContext``) as before. ``tests/test_serving.py`` holds it to one hand-off.

It also refuses a request body over its limit (``config.body_limits``) before reading it.
"""

import json

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler

from config.body_limits import BodyTooLarge, body_limit, too_large


def _header(scope: dict, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


class OneThreadASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def handle(self, scope, receive, send):
        """Django's handling, but a body over its limit is refused before it is read (by its
        Content-Length) or while it is (a chunked one): 413, nothing spooled or parsed."""
        limit = body_limit(_header(scope, b"content-type"))
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > limit:
            return await _refuse(send, too_large(limit, int(declared)))
        received = 0

        async def bounded_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise too_large(limit)
            return message

        try:
            await super().handle(scope, bounded_receive, send)
        except BodyTooLarge as error:
            # Raised only while the body is read, before any answer was started.
            await _refuse(send, error)

    async def get_response_async(self, request):
        # BaseHandler.get_response: the urlconf, the sync chain, error logging, request.close.
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


def get_asgi_application() -> OneThreadASGIHandler:
    """``django.core.asgi.get_asgi_application`` with the one-thread handler."""
    import django

    django.setup(set_prefix=False)
    return OneThreadASGIHandler()


async def _refuse(send, error: BodyTooLarge) -> None:
    body = json.dumps({"code": error.code, "detail": error.message, **error.details}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status_code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The client may still be sending the body it was refused: start afresh.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
