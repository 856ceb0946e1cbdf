"""How the server runs one API call: one thread hand-off for the whole request."""

import threading

import pytest
from asgiref.sync import AsyncToSync, SyncToAsync
from channels.db import database_sync_to_async
from rest_framework.authtoken.models import Token

from tests.asgi_client import asgi_request
from tests.factories import JourneyFactory, LaneFactory, PhaseFactory


class HandOffs:
    """Counts hand-offs between the event loop and threads while it is installed."""

    def __init__(self, monkeypatch) -> None:
        self.to_thread = 0
        self.to_loop: list[str] = []  # what each hand-back to the loop ran
        to_thread, to_loop = SyncToAsync.__call__, AsyncToSync.__call__

        async def counted_to_thread(adapter, *args, **kwargs):
            self.to_thread += 1
            return await to_thread(adapter, *args, **kwargs)

        def counted_to_loop(adapter, *args, **kwargs):
            self.to_loop.append(getattr(adapter.awaitable, "__qualname__", repr(adapter.awaitable)))
            return to_loop(adapter, *args, **kwargs)

        monkeypatch.setattr(SyncToAsync, "__call__", counted_to_thread)
        monkeypatch.setattr(AsyncToSync, "__call__", counted_to_loop)


@pytest.mark.django_db(transaction=True)
async def test_an_api_edit_runs_its_middleware_and_view_in_one_hand_off(editor, monkeypatch):
    @database_sync_to_async
    def a_map_and_a_token():
        journey = JourneyFactory(owner=editor)
        cell = {"phase": PhaseFactory(journey=journey).pk, "lane": LaneFactory(journey=journey).pk}
        return journey, cell, Token.objects.create(user=editor).key

    journey, cell, token = await a_map_and_a_token()
    seen_threads: set[int] = set()

    from journeys.api import items

    create = items.CardViewSet.create

    def watched_create(view, request, *args, **kwargs):
        seen_threads.add(threading.get_ident())
        return create(view, request, *args, **kwargs)

    monkeypatch.setattr(items.CardViewSet, "create", watched_create)
    hand_offs = HandOffs(monkeypatch)
    body = {"journey": journey.pk, **cell, "text": "Compares plans"}
    from config.asgi import application

    status, card = await asgi_request(
        application, "POST", "/api/cards/", body, {"Authorization": f"Token {token}"}
    )

    assert status == 201, card
    assert card["text"] == "Compares plans"
    assert seen_threads and threading.get_ident() not in seen_threads  # the view ran in a thread
    # The middleware chain and the view in one hand-off, back to the loop only to broadcast the
    # edit; the other two are the request signals' (started, and finished on close).
    assert hand_offs.to_loop == ["RedisChannelLayer.group_send"] or hand_offs.to_loop == [
        "InMemoryChannelLayer.group_send"
    ]
    assert hand_offs.to_thread == 3
