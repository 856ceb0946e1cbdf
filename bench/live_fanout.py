"""Benchmark: edit-to-peer latency on one live map, beside a bare Channels relay (the floor).

N WebSocket clients on one map, split across two uvicorn processes sharing Redis; E of them
send edits (card.create frames) at R edits/s in total for S seconds. Every peer must receive
every edit's event: latency is send → peer receipt, and lost / duplicated deliveries are
counted. The floor runs the same traffic through a relay consumer on the same Redis, in the
same run. Uses DATABASE_URL when set (PostgreSQL), else a throw-away SQLite file.

    python bench/live_fanout.py [--clients 50] [--editors 5] [--rate 50] [--seconds 20]
                                [--rounds 3]

A 20-s run's p99 rests on its ten slowest edits, so one disk flush or collector pause moves it:
the floor and the product run in alternating rounds (floor first, then product first…) and the
verdict is on the medians of their rounds; every round is printed too.
"""

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


_TOKEN = re.compile(r'"kind": "card_created".*"text": "(\d+:\d+)"')


def token_of(raw: str) -> str | None:
    """The edit a delivered card_created event carries (the same cheap scan for both sides)."""
    found = _TOKEN.search(raw)
    return found.group(1) if found else None


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return (
        values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))] if values else float("nan")
    )


async def run_traffic(
    make_socket, encode, token_of, clients: int, editors: int, rate: float, seconds: float
):
    """Open ``clients`` sockets, let ``editors`` of them send at ``rate``/s; measure deliveries."""
    sockets = [await make_socket(i) for i in range(clients)]
    sent: dict[str, float] = {}
    received: dict[str, int] = {}
    latencies: list[float] = []

    async def listen(socket, index: int) -> None:
        async for raw in socket:
            token = token_of(raw)
            if token is None or token not in sent:
                continue
            if token.split(":")[0] == str(index):
                continue  # an editor's own echo is not a peer delivery
            latencies.append((time.perf_counter() - sent[token]) * 1000)
            received[token] = received.get(token, 0) + 1

    listeners = [asyncio.create_task(listen(s, i)) for i, s in enumerate(sockets)]
    await asyncio.sleep(1.0)

    async def edit(index: int) -> None:
        interval = editors / rate
        start = time.perf_counter()
        n = 0
        while time.perf_counter() - start < seconds:
            token = f"{index}:{n}"
            sent[token] = time.perf_counter()
            await sockets[index].send(encode(token))
            n += 1
            await asyncio.sleep(max(0, start + n * interval - time.perf_counter()))

    await asyncio.gather(*(edit(i) for i in range(editors)))
    # Let the tail arrive: a delivery still missing 10 s after the last edit counts as lost.
    expected = len(sent) * (clients - 1)
    deadline = time.perf_counter() + 10.0
    while time.perf_counter() < deadline and sum(received.values()) < expected:
        await asyncio.sleep(0.1)
    for task in listeners:
        task.cancel()
    for socket in sockets:
        await socket.close()
    delivered = sum(min(count, clients - 1) for count in received.values())
    duplicates = sum(max(0, c - (clients - 1)) for c in received.values())
    return {
        "edits": len(sent),
        "expected": expected,
        "delivered": delivered,
        "lost": expected - delivered,
        "duplicates": duplicates,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--editors", type=int, default=5)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="journeyboard-live-bench-"))
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    database = os.environ.get("DATABASE_URL") or f"sqlite:///{var / 'bench.sqlite3'}"
    os.environ.update(
        {
            "JOURNEYBOARD_VAR_DIR": str(var),
            "REDIS_URL": redis_url,
            "DATABASE_URL": database,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            # Groups and presence of this run only, whatever else shares the Redis.
            "JOURNEYBOARD_REDIS_PREFIX": f"jb-bench-{os.getpid()}",
        }
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from journeys import services
    from journeys.serializers import CardSerializer
    from tests.factories import UserFactory
    from tests.servers import Server

    # A fresh database of its own (PostgreSQL: a throw-away test database).
    original_name = connection.settings_dict["NAME"]
    if connection.vendor == "postgresql":
        connection.settings_dict["TEST"]["NAME"] = "journeyboard_bench_live"  # not the tests' DB
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
        os.environ["DATABASE_URL"] = (
            database.rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
        )
    else:
        call_command("migrate", verbosity=0)
    editor = UserFactory(username="bench-editor")
    from django.contrib.auth.models import Group

    editor.groups.add(Group.objects.get(name="Editors"))
    journey = services.journey_create(actor=editor, title="Live bench", template="five_phase")
    phase = journey.phases.order_by("position").first()
    lane = journey.lanes.order_by("position").first()
    # A card as events carry it, for the floor to relay messages of the same shape and size.
    sample = services.card_create(
        actor=editor, journey_id=journey.pk, phase_id=phase.pk, lane_id=lane.pk, text="sample"
    )
    card_shape = CardSerializer(sample).data
    client = Client()
    client.force_login(editor)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    connection.close()

    from websockets.asyncio.client import connect

    product = [Server(database=os.environ["DATABASE_URL"], redis_url=redis_url) for _ in range(2)]
    floor = [
        Server(
            database=os.environ["DATABASE_URL"],
            redis_url=redis_url,
            app="bench.floor_asgi:application",
        )
        for _ in range(2)
    ]

    async def product_socket(i: int):
        server = product[i % 2]
        socket = await connect(
            f"{server.ws_url}/ws/journeys/{journey.pk}/",
            additional_headers={"Cookie": f"sessionid={session}"},
            origin=server.url,
            max_size=None,
        )
        await socket.recv()  # hello
        return socket

    async def floor_socket(i: int):
        return await connect(f"{floor[i % 2].ws_url}/ws/floor/", max_size=None)

    def product_frame(token: str) -> str:
        return json.dumps(
            {
                "type": "edit",
                "id": token,
                "action": "card.create",
                "data": {"phase": phase.pk, "lane": lane.pk, "text": token},
            }
        )

    def floor_frame(token: str) -> str:
        # The floor relays the same message the product broadcasts: a card_created event.
        return json.dumps(
            {
                "type": "event",
                "kind": "card_created",
                "journey": journey.pk,
                "revision": 0,
                "actor": editor.pk,
                "payload": {"card": {**card_shape, "text": token}, "renumbered": {}},
            }
        )

    rounds: dict[str, list[dict]] = {"floor": [], "journeyboard": []}
    try:
        shape = (args.clients, args.editors, args.rate, args.seconds)
        runs = {
            "floor": lambda: run_traffic(floor_socket, floor_frame, token_of, *shape),
            "journeyboard": lambda: run_traffic(product_socket, product_frame, token_of, *shape),
        }
        for n in range(args.rounds):
            order = ("floor", "journeyboard") if n % 2 == 0 else ("journeyboard", "floor")
            for name in order:
                rounds[name].append(asyncio.run(runs[name]()))
    finally:
        for server in product + floor:
            server.stop()
        if connection.vendor == "postgresql":
            connection.creation.destroy_test_db(original_name, verbosity=0)

    print(f"database: {connection.vendor}; channel layer: Redis at {redis_url}")
    print("servers: 2 uvicorn processes for the product, 2 for the floor")
    print(f"{args.clients} clients on one map, {args.editors} editing at {args.rate:g} edits/s,")
    print(f"for {args.seconds:g} s, {args.rounds} alternating rounds")
    print(f"{'':16} {'p50':>8} {'p95':>8} {'p99':>8}   lost / expected   duplicated")
    for n in range(args.rounds):
        for name in ("floor", "journeyboard"):
            r = rounds[name][n]
            print(
                f"{name + f' #{n + 1}':16} {r['p50']:7.1f}ms {r['p95']:7.1f}ms {r['p99']:7.1f}ms   "
                f"{r['lost']:>5} / {r['expected']:<9} {r['duplicates']:>6}"
            )
    median = {
        name: {q: statistics.median(r[q] for r in results) for q in ("p50", "p95", "p99")}
        for name, results in rounds.items()
    }
    for name in ("floor", "journeyboard"):
        m = median[name]
        print(f"{name + ' median':16} {m['p50']:7.1f}ms {m['p95']:7.1f}ms {m['p99']:7.1f}ms")
    floor_result, product_result = median["floor"], median["journeyboard"]
    lost = sum(r["lost"] for r in rounds["journeyboard"])
    for q in ("p50", "p95", "p99"):
        print(f"  ratio {q}: {product_result[q] / floor_result[q]:.2f}×", end="")
    p99_met = product_result["p99"] <= 1.5 * floor_result["p99"]
    print(f"\n  target p99 ≤ 1.5× floor: {'met' if p99_met else 'MISSED'}; ", end="")
    print(f"zero loss: {'met' if lost == 0 else 'MISSED'} ({lost} lost in all rounds)")


if __name__ == "__main__":
    main()
