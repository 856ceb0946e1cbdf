"""Benchmark: what one card edit costs a server process, over REST and over the WebSocket.

In one process, on a throw-away database of whatever ``DATABASE_URL`` names (SQLite by
default) and the channel layer of ``REDIS_URL`` (in memory without it):

- the SQL statements of a card create and a card update, sent as the browser sends them
  (``POST /api/cards/``, ``PATCH /api/cards/<id>/``; with a token, and with the session cookie
  and CSRF header) and as WebSocket frames (``card.create``, ``card.update``), each listed;
- the CPU time of each kind of edit by layer, over ``--edits`` edits sent one at a time through
  the real ASGI application (REST) and the live map's consumer (WebSocket), with one socket on
  the map receiving each event in both cases;
- whether REST requests sent together run side by side (Django's ASGI handler gives each
  request a thread of its own) or queue behind one thread.

CPU is process time (every thread) spent inside each layer less the layers it calls; the edits
run one at a time, so the only other work meanwhile is the event loop's share of the same edit.
What no layer claims (the ASGI handler, request signals, thread hand-offs, the event loop) is
shown as such. CPU time hardly moves with the machine's load; wall times do.

    python bench/edit_cost.py [--edits 300]
"""

import argparse
import asyncio
import functools
import json
import os
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from tests.asgi_client import asgi_request  # noqa: E402

CSRF_SECRET = "b" * 32  # a CSRF cookie as the browser holds it; the header repeats it


class Layers:
    """CPU time spent in named layers of the code, each without the layers it calls."""

    def __init__(self) -> None:
        self.own: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.nested = threading.local()

    def wrap(self, owner, name: str, layer: str) -> None:
        """Time ``owner.name`` (a function or a property's getter) as ``layer``."""
        original = owner.__dict__[name]
        getter = original.fget if isinstance(original, property) else original

        @functools.wraps(getter)
        def timed(*args, **kwargs):
            stack = self.nested.__dict__.setdefault("stack", [])
            stack.append(0.0)  # the time of the layers this call makes
            start = time.process_time()
            try:
                return getter(*args, **kwargs)
            finally:
                spent = time.process_time() - start
                self.own[layer] += spent - stack.pop()
                if stack:
                    stack[-1] += spent

        setattr(owner, name, property(timed) if isinstance(original, property) else timed)

    def count(self, owner, name: str, label: str) -> None:
        """Count the calls of the coroutine function ``owner.name`` as ``label``."""
        original = owner.__dict__[name]

        @functools.wraps(original)
        async def counted(*args, **kwargs):
            self.calls[label] += 1
            return await original(*args, **kwargs)

        setattr(owner, name, counted)

    def take(self) -> tuple[dict[str, float], dict[str, int]]:
        taken = dict(self.own), dict(self.calls)
        self.own, self.calls = defaultdict(float), defaultdict(int)
        return taken


def layers_install() -> Layers:
    """Every layer an edit passes through, outermost first."""
    from asgiref.sync import SyncToAsync
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.utils import CursorWrapper
    from django.db.models.sql import compiler
    from rest_framework import generics, serializers
    from rest_framework.authentication import SessionAuthentication, TokenAuthentication
    from rest_framework.renderers import JSONRenderer
    from rest_framework.request import Request
    from rest_framework.views import APIView
    from whitenoise.middleware import WhiteNoiseMiddleware

    from journeys import actions, changes, services
    from journeys import serializers as journey_serializers
    from journeys.realtime import consumers

    layers = Layers()
    # WhiteNoise only runs synchronously, so Django runs it (and SecurityMiddleware before it)
    # in the request's thread, which hands the rest of the chain back to the event loop; the
    # async-capable middleware then hop to that thread for each process_request/response, and
    # the view and rendering run there too. Its own time is the chain, its hops and routing.
    layers.wrap(WhiteNoiseMiddleware, "__call__", "middleware chain, its thread hops, routing")
    layers.wrap(APIView, "dispatch", "DRF view (dispatch, negotiation, throttles)")
    layers.wrap(Request, "_parse", "DRF request parsing (JSON body)")
    layers.wrap(TokenAuthentication, "authenticate", "authentication (token → user)")
    layers.wrap(SessionAuthentication, "authenticate", "authentication (session → user, CSRF)")
    layers.wrap(APIView, "check_permissions", "permission (the user's role: groups)")
    layers.wrap(generics.GenericAPIView, "get_object", "get_object (visible item query)")
    layers.wrap(serializers.BaseSerializer, "is_valid", "input validation (serializer)")
    layers.wrap(consumers.JourneyConsumer, "_apply", "WS frame → edit (frames.edit_apply)")
    for verb in ("card_create", "card_update"):
        layers.wrap(services, verb, "service (transaction, checks, event row)")
    layers.wrap(journey_serializers, "represent", "item serialization (event, WS ack)")
    layers.wrap(actions.Action, "represent", "item serialization (event, WS ack)")
    layers.wrap(consumers.JourneyConsumer, "_user_now", "WS: the session's user, again")
    layers.wrap(serializers.Serializer, "data", "response serialization (REST .data)")
    layers.wrap(JSONRenderer, "render", "response rendering (JSON)")
    layers.wrap(changes, "broadcast_journey_event", "broadcast (group_send after commit)")
    for sql_compiler in (compiler.SQLCompiler, compiler.SQLInsertCompiler):
        layers.wrap(sql_compiler, "execute_sql", "ORM: building and running queries")
    layers.wrap(compiler.SQLUpdateCompiler, "execute_sql", "ORM: building and running queries")
    for name in ("execute", "executemany"):
        layers.wrap(CursorWrapper, name, "SQL: driver round trips (client side)")
    layers.wrap(BaseDatabaseWrapper, "connect", "DB connection from the pool, and back")
    layers.wrap(BaseDatabaseWrapper, "close", "DB connection from the pool, and back")
    # Every hand-over of work from the event loop to a thread (Channels' database_sync_to_async
    # is one too): each waits its turn on the loop, which is also delivering events.
    layers.count(SyncToAsync, "__call__", "loop → thread hand-offs (sync_to_async)")
    return layers


# --- SQL statements, in the main thread with Django's test client ------------------------------


def statements_listed(label: str, send) -> int:
    with CaptureQueriesContext(connection) as captured:
        send()
    print(f"\n{label}: {len(captured.captured_queries)} SQL statements")
    for n, query in enumerate(captured.captured_queries, 1):
        print(f"  {n:2}. {query['sql']}")
    return len(captured.captured_queries)


def statements(editor, api_token: str, live) -> dict[str, int]:
    from django.test import Client

    from journeys.realtime.frames import edit_apply

    by_token = Client(HTTP_AUTHORIZATION=f"Token {api_token}")
    by_session = Client(enforce_csrf_checks=True)
    by_session.force_login(editor)
    by_session.cookies["csrftoken"] = CSRF_SECRET
    body = {"journey": live.journey_id, "phase": live.phase_id, "lane": live.lane_id}
    card = by_token.post("/api/cards/", {**body, "text": "warm-up"}, "application/json").json()
    url = f"/api/cards/{card['id']}/"

    def ws(action: str, data: dict):
        return lambda: edit_apply(
            actor=editor, journey_id=live.journey_id, action=action, data=data
        )

    counts = {}
    counts["REST create (token)"] = statements_listed(
        "REST POST /api/cards/ (token)",
        lambda: by_token.post("/api/cards/", {**body, "text": "a"}, "application/json"),
    )
    counts["REST create (session)"] = statements_listed(
        "REST POST /api/cards/ (session cookie + CSRF header, as the editor sends it)",
        lambda: by_session.post(
            "/api/cards/",
            {**body, "text": "b"},
            "application/json",
            headers={"X-CSRFToken": CSRF_SECRET},
        ),
    )
    counts["REST update (token)"] = statements_listed(
        f"REST PATCH {url} (token)",
        lambda: by_token.patch(url, {"text": "c", "version": 1}, "application/json"),
    )
    counts["WS create"] = statements_listed(
        "WS card.create frame (frames.edit_apply)",
        ws("card.create", {"phase": live.phase_id, "lane": live.lane_id, "text": "d"}),
    )
    counts["WS update"] = statements_listed(
        "WS card.update frame (frames.edit_apply)",
        ws("card.update", {"id": card["id"], "text": "e", "version": 2}),
    )
    return counts


# --- CPU by layer, through the ASGI application and the consumer -------------------------------


async def socket_open(app, journey_id: int, session_key: str):
    from channels.testing import WebsocketCommunicator

    socket = WebsocketCommunicator(
        app,
        f"/ws/journeys/{journey_id}/",
        headers=[
            (b"origin", b"http://127.0.0.1"),
            (b"cookie", f"sessionid={session_key}".encode()),
        ],
    )
    connected, _ = await socket.connect()
    assert connected
    await socket.receive_from()  # hello
    return socket


async def received(socket, *markers: str) -> None:
    """Wait until a frame with each marker has come (presence frames pass by); an error
    frame fails the run."""
    missing = set(markers)
    while missing:
        raw = await socket.receive_from(timeout=10)
        assert '"type": "error"' not in raw, raw
        missing = {marker for marker in missing if marker not in raw}


async def cpu_by_layer(layers: Layers, editor, api_token: str, session_key: str, live, edits):
    """Each kind of edit ``edits`` times, one at a time: CPU ms per edit, by layer."""
    from config.asgi import application
    from journeys.realtime import consumers

    # Edits here follow each other as fast as they are answered, past a person's frame rate.
    consumers.RATE_PER_SECOND = consumers.RATE_BURST = 1_000_000
    http = application.application_mapping["http"]
    listener = await socket_open(application, live.journey_id, session_key)
    editor_socket = await socket_open(application, live.journey_id, session_key)
    body = {"journey": live.journey_id, "phase": live.phase_id, "lane": live.lane_id}
    token = {"Authorization": f"Token {api_token}"}
    session = {"Cookie": f"sessionid={session_key}; csrftoken={CSRF_SECRET}"}
    status, card = await asgi_request(http, "POST", "/api/cards/", {**body, "text": "x"}, token)
    assert status == 201, card
    version = {"version": card["version"]}

    # Both ways, the event reaches the other socket and the editor's own (its echo).
    async def rest_create(n, headers):
        status, answer = await asgi_request(
            http, "POST", "/api/cards/", {**body, "text": f"r{n}"}, headers
        )
        assert status == 201, answer
        await received(listener, '"card_created"')
        await received(editor_socket, '"card_created"')

    async def rest_update(n):
        data = {"text": f"u{n}", **version}
        status, answer = await asgi_request(http, "PATCH", f"/api/cards/{card['id']}/", data, token)
        assert status == 200, answer
        version["version"] = answer["version"]
        await received(listener, '"card_updated"')
        await received(editor_socket, '"card_updated"')

    async def ws_edit(n, action, data, kind):
        await editor_socket.send_to(
            text_data=json.dumps({"type": "edit", "id": n, "action": action, "data": data})
        )
        await received(editor_socket, '"type": "ack"', f'"{kind}"')
        await received(listener, f'"{kind}"')

    async def ws_create(n):
        data = {"phase": live.phase_id, "lane": live.lane_id, "text": "w"}
        await ws_edit(n, "card.create", data, "card_created")

    async def ws_update(n):
        await ws_edit(
            n, "card.update", {"id": card["id"], "text": f"v{n}", **version}, "card_updated"
        )
        version["version"] += 1

    kinds = {
        "REST create (token)": lambda n: rest_create(n, token),
        "REST create (session)": lambda n: rest_create(n, {**session, "X-CSRFToken": CSRF_SECRET}),
        "REST update (token)": rest_update,
        "WS create": ws_create,
        "WS update": ws_update,
    }
    results = {}
    for name, edit in kinds.items():
        for n in range(20):  # warm up: first-use imports and caches are not an edit's cost
            await edit(n)
        layers.take()
        wall = []
        start = time.process_time()
        for n in range(edits):
            began = time.perf_counter()
            await edit(n)
            wall.append((time.perf_counter() - began) * 1000)
        total = (time.process_time() - start) / edits * 1000
        own, calls = layers.take()
        by_layer = {layer: seconds / edits * 1000 for layer, seconds in own.items()}
        by_layer["ASGI handler, signals, socket frames, event loop (unclaimed)"] = total - sum(
            by_layer.values()
        )
        results[name] = {
            "total": total,
            "wall": statistics.median(wall),
            "layers": by_layer,
            "calls": {label: count / edits for label, count in calls.items()},
        }
    for socket in (listener, editor_socket):
        await socket.disconnect()
    return results


async def side_by_side(api_token: str, live, requests: int = 8) -> tuple[int, int]:
    """Send ``requests`` REST creates at once: on how many threads, and how many at a time?"""
    from rest_framework.views import APIView

    from config.asgi import application

    http = application.application_mapping["http"]
    threads, running, most = set(), [0], [0]
    dispatch = APIView.dispatch

    def watched(view, request, *args, **kwargs):
        threads.add(threading.get_ident())
        running[0] += 1
        most[0] = max(most[0], running[0])
        try:
            time.sleep(0.05)  # as if waiting on the database: does another request get in?
            return dispatch(view, request, *args, **kwargs)
        finally:
            running[0] -= 1

    APIView.dispatch = watched
    body = {"journey": live.journey_id, "phase": live.phase_id, "lane": live.lane_id, "text": "t"}
    try:
        await asyncio.gather(
            *(
                asgi_request(
                    http, "POST", "/api/cards/", body, {"Authorization": f"Token {api_token}"}
                )
                for _ in range(requests)
            )
        )
    finally:
        APIView.dispatch = dispatch
    return len(threads), most[0]


def report(counts: dict[str, int], results: dict[str, dict], edits: int) -> None:
    names = list(results)
    print(f"\nCPU ms per edit by layer ({edits} edits of each kind, one at a time, in process)")
    print(f"{'':55}" + "".join(f"{name:>23}" for name in names))
    layers = sorted(
        {layer for r in results.values() for layer in r["layers"]},
        key=lambda layer: -max(r["layers"].get(layer, 0) for r in results.values()),
    )
    for layer in layers:
        row = "".join(f"{results[n]['layers'].get(layer, 0):23.2f}" for n in names)
        print(f"{layer:55}{row}")
    print(f"{'total CPU':55}" + "".join(f"{results[n]['total']:23.2f}" for n in names))
    print(f"{'wall, median (noisy)':55}" + "".join(f"{results[n]['wall']:23.2f}" for n in names))
    print(f"{'SQL statements':55}" + "".join(f"{counts[n]:23}" for n in names))
    for label in sorted({label for r in results.values() for label in r["calls"]}):
        row = "".join(f"{results[n]['calls'].get(label, 0):23.1f}" for n in names)
        print(f"{label:55}{row}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=300)
    args = parser.parse_args()
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = f"journeyboard_bench_edit_cost_{os.getpid()}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from django.conf import settings
        from django.test import Client
        from rest_framework.authtoken.models import Token

        from bench.common import build_live_maps

        editor, (live,), _ = build_live_maps(1)
        api_token = Token.objects.create(user=editor).key
        login = Client()
        login.force_login(editor)
        session_key = login.cookies[settings.SESSION_COOKIE_NAME].value

        print(f"database: {connection.vendor}; channel layer: {settings.CHANNEL_LAYERS}")
        counts = statements(editor, api_token, live)
        connection.close()
        layers = layers_install()
        results = asyncio.run(
            cpu_by_layer(layers, editor, api_token, session_key, live, args.edits)
        )
        report(counts, results, args.edits)
        threads, most = asyncio.run(side_by_side(api_token, live))
        print(
            f"\n8 REST creates sent at once ran on {threads} threads, up to {most} at a time "
            "(Django's ASGI handler gives each request a thread of its own)"
        )
    finally:
        connection.close()
        if hasattr(connection, "close_pool"):  # the request threads' connections too
            connection.close_pool()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
