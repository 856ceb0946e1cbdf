"""How the server runs one API call: one thread hand-off for the whole request."""

import asyncio
import json
import threading

import pytest
from asgiref.sync import AsyncToSync, SyncToAsync
from channels.db import database_sync_to_async
from rest_framework.authtoken.models import Token

from tests.factories import JourneyFactory, LaneFactory, PhaseFactory


def scope_for(method: str, path: str, body: bytes, token: str) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", f"Token {token}".encode()),
        ],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }


async def asgi_call(method: str, path: str, data: dict, token: str) -> tuple[int, dict]:
    """One request through the application uvicorn serves, as uvicorn hands it over."""
    from config.asgi import application

    body = json.dumps(data).encode()
    incoming = [{"type": "http.request", "body": body, "more_body": False}]
    answer: dict = {"body": b""}
    answered = asyncio.Event()

    async def receive():
        if incoming:
            return incoming.pop()
        await answered.wait()  # the client goes only once it has the whole answer
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        else:
            answer["body"] += message.get("body", b"")
            if not message.get("more_body"):
                answered.set()

    await application(scope_for(method, path, body, token), receive, send)
    return answer["status"], json.loads(answer["body"])


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
    status, card = await asgi_call("POST", "/api/cards/", body, token)

    assert status == 201, card
    assert card["text"] == "Compares plans"
    assert seen_threads and threading.get_ident() not in seen_threads  # the view ran in a thread
    # The middleware chain and the view in one hand-off, back to the loop only to broadcast the
    # edit; the other two are the request signals' (started, and finished on close).
    assert hand_offs.to_loop == ["RedisChannelLayer.group_send"] or hand_offs.to_loop == [
        "InMemoryChannelLayer.group_send"
    ]
    assert hand_offs.to_thread == 3
