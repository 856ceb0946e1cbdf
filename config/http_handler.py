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
"""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class OneThreadASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        # BaseHandler.get_response: the urlconf, the sync chain, error logging, request.close.
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


def get_asgi_application() -> OneThreadASGIHandler:
    """``django.core.asgi.get_asgi_application`` with the one-thread handler."""
    import django

    django.setup(set_prefix=False)
    return OneThreadASGIHandler()
