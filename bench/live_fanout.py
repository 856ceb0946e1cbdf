"""Benchmark: edit-to-peer latency on live maps, beside a bare Channels relay (the floor).

M maps with N WebSocket clients each, split across two uvicorn processes sharing Redis; E of
each map's clients edit it at R edits/s per map for S seconds. An edit is sent as the browser
sends it (``--via rest``: ``POST /api/cards/`` with a token, alternating between the two
processes, each edit its own request so that a slow answer does not hold back the next one) or
as a ``card.create`` frame on the editor's socket (``--via ws``); by default both are measured.
Every peer on the map must receive every edit's ``card_created`` event: latency is send → peer
receipt, and lost and unexpected (repeated, or on another map) deliveries are counted. The floor
runs the same traffic through a relay on the same Redis, one relay group per map, with messages
of the same shape, in the same run, over the same transport as the edits: REST edits are
compared with a relay that takes each edit as an HTTP POST (alternating between the two floor
processes), WebSocket edits with a relay of socket frames. Uses DATABASE_URL when set
(PostgreSQL), else a throw-away SQLite file.

    python bench/live_fanout.py [--via rest|ws] [--maps 1] [--clients-per-map 50]
                                [--editors-per-map 5] [--rate-per-map 50] [--seconds 20]
                                [--rounds 3] [--sends spread|bursts]

    # deployment-shaped: 1,000 sockets on 100 maps, 1 edit/s on each
    python bench/live_fanout.py --via rest --maps 100 --clients-per-map 10 \
                                --editors-per-map 1 --rate-per-map 1

A 20-s run's p99 rests on its ten slowest edits, so one disk flush or collector pause moves it:
the floor and the product run in alternating rounds (floor first, then product first…) and the
verdict is on the medians of their rounds; every round is printed too. The editors' sends are
spread evenly over each interval (editor k of K starts k/K of an interval late), as independent
people's edits are, rather than arriving together in bursts. ``--sends bursts`` sends every
editor's edit at the same instant instead: the harness as it was when issue #12 measured its
baseline (a floor of 91–96 ms at 50 edits/s), to compare with those figures.
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
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# An edit is named "<sending socket>:<its edit number>"; the card's text carries the name.
_EVENT = re.compile(r'"kind": "card_created".*"text": "(\d+:\d+)"')
_ACK = re.compile(r'^\{"type": "ack", "id": "(\d+:\d+)"')
# How long a delivery (or an answer) may take after the last edit before it counts as lost.
TAIL_SECONDS = 10.0


@dataclass(frozen=True)
class Shape:
    """The traffic of one run."""

    maps: int
    clients: int  # per map
    editors: int  # per map, the first sockets of each map
    rate: float  # edits/s per map
    seconds: float
    bursts: bool = False  # every editor sends at the same instant, instead of spread evenly

    @property
    def sockets(self) -> int:
        return self.maps * self.clients


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return (
        values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))] if values else float("nan")
    )


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) the processes have used so far (Linux; 0 elsewhere)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


class KeepAliveHttp:
    """HTTP/1.1 to one server as a browser speaks it: a request takes an idle kept-alive
    connection or opens a new one, so requests in flight together each have their own."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def post_json(self, path: str, body: dict, headers: dict[str, str]) -> int:
        """POST a JSON body; returns the status code once the whole answer is read."""
        while self.idle:
            reader, writer = self.idle.pop()
            if not reader.at_eof():  # not closed by the server while idle
                break
            writer.close()
        else:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        data = json.dumps(body).encode()
        head = [
            f"POST {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Content-Type: application/json",
            f"Content-Length: {len(data)}",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        status = int((await reader.readline()).split()[1])
        length, keep_alive = 0, True
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                keep_alive = False
        await reader.readexactly(length)
        if keep_alive:
            self.idle.append((reader, writer))
        else:
            writer.close()
        return status

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


class Round:
    """One round of traffic: open the sockets, let each map's editors send their edits, and
    tally what every socket receives.

    ``send_edit(map_index, socket_index, token)`` sends one edit and returns the status of its
    answer (201 for a REST create), or None when the answer comes on the socket (a WebSocket
    ack). Two checks on the figures come with them: the servers' CPU per edit, and this
    client's own lag (a late client would make every side look slow).
    """

    def __init__(self, shape: Shape, send_edit) -> None:
        self.shape, self.send_edit = shape, send_edit
        self.sent: dict[str, float] = {}
        self.answered: dict[str, float] = {}
        self.refused: list[int] = []  # status codes of answers that were not 201
        self.delivered: set[tuple[str, int]] = set()  # (edit, receiving socket)
        self.unexpected = 0  # deliveries repeated, or to a socket of another map
        self.latencies: list[tuple[float, float]] = []  # (when the edit was sent, ms to a peer)
        self.lags: list[float] = []
        self.in_flight: set[asyncio.Task] = set()

    def map_of(self, socket_index: int) -> int:
        return socket_index // self.shape.clients

    async def run(self, open_socket, server_pids: list[int]) -> dict:
        sockets = []
        for m in range(self.shape.maps):
            first = m * self.shape.clients
            sockets += await asyncio.gather(
                *(open_socket(m, s) for s in range(first, first + self.shape.clients))
            )
        background = [asyncio.create_task(self.listen(s, i)) for i, s in enumerate(sockets)]
        background.append(asyncio.create_task(self.watch_lag()))
        await asyncio.sleep(1.0)
        start, cpu_at_start = time.perf_counter(), cpu_seconds(server_pids)
        editors = [
            m * self.shape.clients + e
            for m in range(self.shape.maps)
            for e in range(self.shape.editors)
        ]
        spread = 0 if self.shape.bursts else 1 / len(editors)
        await asyncio.gather(*(self.edit(s, start, k * spread) for k, s in enumerate(editors)))
        # Let the tail arrive: a delivery still missing TAIL_SECONDS after the last edit is lost.
        expected = len(self.sent) * (self.shape.clients - 1)
        deadline = time.perf_counter() + TAIL_SECONDS
        while time.perf_counter() < deadline and (len(self.delivered) < expected or self.in_flight):
            await asyncio.sleep(0.1)
        server_cpu = cpu_seconds(server_pids) - cpu_at_start
        unanswered = len(self.in_flight)
        for task in [*self.in_flight, *background]:
            task.cancel()
        for socket in sockets:
            await socket.close()
        return self.result(start, expected, server_cpu, unanswered)

    async def edit(self, socket_index: int, start: float, offset: float) -> None:
        """One editor's edits, each ``interval`` after the last, starting ``offset`` of an
        interval late (so that the sends of all editors spread evenly)."""
        interval = self.shape.editors / self.shape.rate
        n = 0
        while start + (offset + n) * interval < start + self.shape.seconds:
            await asyncio.sleep(max(0, start + (offset + n) * interval - time.perf_counter()))
            token = f"{socket_index}:{n}"
            self.sent[token] = time.perf_counter()
            # Not awaited here: an edit waiting for its answer must not delay the next one.
            task = asyncio.create_task(self.send(socket_index, token))
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)
            n += 1

    async def send(self, socket_index: int, token: str) -> None:
        status = await self.send_edit(self.map_of(socket_index), socket_index, token)
        if status is not None:
            self.answered[token] = time.perf_counter()
            if status != 201:
                self.refused.append(status)

    async def listen(self, socket, index: int) -> None:
        async for raw in socket:
            found = _EVENT.search(raw)
            if found is None:
                ack = _ACK.match(raw)
                if ack and ack.group(1) in self.sent:
                    self.answered[ack.group(1)] = time.perf_counter()
                continue
            token = found.group(1)
            sender = int(token.split(":")[0])
            if token not in self.sent or sender == index:
                continue  # another round's edit, or an editor's own echo: not a peer delivery
            if self.map_of(sender) != self.map_of(index) or (token, index) in self.delivered:
                self.unexpected += 1
                continue
            self.delivered.add((token, index))
            self.latencies.append(
                (self.sent[token], (time.perf_counter() - self.sent[token]) * 1000)
            )

    async def watch_lag(self) -> None:
        while True:
            began = time.perf_counter()
            await asyncio.sleep(0.01)
            self.lags.append((time.perf_counter() - began - 0.01) * 1000)

    def result(self, start: float, expected: int, server_cpu: float, unanswered: int) -> dict:
        latencies = [ms for _, ms in self.latencies]
        # Whether the server keeps up: the deliveries of the last quarter's edits.
        late = [ms for sent, ms in self.latencies if sent - start >= 0.75 * self.shape.seconds]
        answers = [(self.answered[t] - self.sent[t]) * 1000 for t in self.answered]
        return {
            "edits": len(self.sent),
            "expected": expected,
            "lost": expected - len(self.delivered),
            "unexpected": self.unexpected,
            "refused": len(self.refused) + unanswered,
            "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95),
            "p99": percentile(latencies, 99),
            "last quarter p50": percentile(late, 50),
            "answer p99": percentile(answers, 99),
            "server CPU per edit": server_cpu / max(1, len(self.sent)) * 1000,
            "client lag p99": percentile(self.lags, 99),
        }


@dataclass
class Bench:
    """The servers, maps and credentials of a run; it runs one round at a time."""

    shape: Shape
    maps: list  # bench.common.LiveMap
    editor_id: int
    session: str  # the editors' session cookie (their sockets)
    api_token: str  # the editors' API token (their REST calls)
    card_shape: dict  # a card as events carry it, for the floor's messages
    product: list  # tests.servers.Server
    floor: list

    def round(self, via: str, side: str) -> dict:
        """The product with edits sent ``via`` REST or WS, or (``side="floor"``) the floor."""
        self.sockets: dict[int, object] = {}
        # One connection pool per editor and server, as each editor is a browser of its own.
        self.http: dict[tuple[int, int], KeepAliveHttp] = {}
        self.sends: dict[int, int] = defaultdict(int)
        if side == "floor":
            send_edit = {"rest": self.send_floor_http, "ws": self.send_floor}[via]
            open_socket, servers = self.floor_socket, self.floor
        else:
            send_edit = {"rest": self.send_rest, "ws": self.send_ws}[via]
            open_socket, servers = self.product_socket, self.product

        async def traffic() -> dict:
            async def opened(m: int, s: int):
                self.sockets[s] = await open_socket(m, s)
                return self.sockets[s]

            try:
                pids = [server.process.pid for server in servers]
                return await Round(self.shape, send_edit).run(opened, pids)
            finally:
                for connections in self.http.values():
                    connections.close()

        return asyncio.run(traffic())

    # Browsers do not ping (they answer the server's pings): no client pings, as in the product.
    async def product_socket(self, m: int, s: int):
        from websockets.asyncio.client import connect

        server = self.product[s % 2]
        socket = await connect(
            f"{server.ws_url}/ws/journeys/{self.maps[m].journey_id}/",
            additional_headers={"Cookie": f"sessionid={self.session}"},
            origin=server.url,
            max_size=None,
            ping_interval=None,
        )
        await socket.recv()  # hello
        return socket

    async def floor_socket(self, m: int, s: int):
        from websockets.asyncio.client import connect

        server = self.floor[s % 2]
        return await connect(f"{server.ws_url}/ws/floor/{m}/", max_size=None, ping_interval=None)

    def floor_event(self, m: int, token: str) -> dict:
        # The floor relays the message the product broadcasts: a card_created event.
        return {
            "type": "event",
            "kind": "card_created",
            "journey": self.maps[m].journey_id,
            "revision": 0,
            "actor": self.editor_id,
            "payload": {"card": {**self.card_shape, "text": token}, "renumbered": {}},
        }

    async def send_floor(self, m: int, s: int, token: str) -> None:
        await self.sockets[s].send(json.dumps(self.floor_event(m, token)))

    async def send_floor_http(self, m: int, s: int, token: str) -> int:
        return await self.post(self.floor, s, f"/floor/{m}/", self.floor_event(m, token), {})

    async def send_ws(self, m: int, s: int, token: str) -> None:
        data = {"phase": self.maps[m].phase_id, "lane": self.maps[m].lane_id, "text": token}
        frame = {"type": "edit", "id": token, "action": "card.create", "data": data}
        await self.sockets[s].send(json.dumps(frame))

    async def send_rest(self, m: int, s: int, token: str) -> int:
        headers = {"Authorization": f"Token {self.api_token}"}
        return await self.post(self.product, s, "/api/cards/", self.card_body(m, token), headers)

    async def post(self, servers: list, s: int, path: str, body: dict, headers: dict) -> int:
        # Each editor alternates between the two processes, as a load balancer spreads calls.
        server = servers[self.sends[s] % 2]
        self.sends[s] += 1
        if (s, server.port) not in self.http:
            self.http[s, server.port] = KeepAliveHttp("127.0.0.1", server.port)
        return await self.http[s, server.port].post_json(path, body, headers)

    def card_body(self, m: int, text: str) -> dict:
        live = self.maps[m]
        return {
            "journey": live.journey_id,
            "phase": live.phase_id,
            "lane": live.lane_id,
            "text": text,
        }

    def warm_up(self) -> None:
        """One REST edit per product process first: Django loads its URLs on the first request."""

        async def each() -> None:
            for server in self.product:
                http = KeepAliveHttp("127.0.0.1", server.port)
                status = await http.post_json(
                    "/api/cards/",
                    self.card_body(0, "warm-up"),
                    {"Authorization": f"Token {self.api_token}"},
                )
                http.close()
                if status != 201:
                    raise RuntimeError(f"The warm-up edit was answered {status}")

        asyncio.run(each())


def database_prepare(database: str) -> str:
    """A fresh database of the run's own (PostgreSQL: a throw-away test database); its URL."""
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        call_command("migrate", verbosity=0)
        return database
    # Not the tests' database, nor another bench run's.
    connection.settings_dict["TEST"]["NAME"] = f"journeyboard_bench_live_{os.getpid()}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    return database.rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--via", choices=("rest", "ws"), help="how edits are sent (default both)")
    parser.add_argument("--maps", type=int, default=1)
    parser.add_argument("--clients-per-map", "--clients", dest="clients", type=int, default=50)
    parser.add_argument("--editors-per-map", "--editors", dest="editors", type=int, default=5)
    parser.add_argument("--rate-per-map", "--rate", dest="rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--sends",
        choices=("spread", "bursts"),
        default="spread",
        help="editors' sends spread evenly over each interval, or all at once (#12's baseline)",
    )
    args = parser.parse_args()
    shape = Shape(
        args.maps, args.clients, args.editors, args.rate, args.seconds, args.sends == "bursts"
    )
    vias = [args.via] if args.via else ["rest", "ws"]

    var = Path(tempfile.mkdtemp(prefix="journeyboard-live-bench-"))
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    database = os.environ.get("DATABASE_URL") or f"sqlite:///{var / 'bench.sqlite3'}"
    os.environ.update(
        {
            "JOURNEYBOARD_VAR_DIR": str(var),
            "REDIS_URL": redis_url,
            "DATABASE_URL": database,
            # Groups and presence of this run only, whatever else shares the Redis.
            "JOURNEYBOARD_REDIS_PREFIX": f"jb-bench-{os.getpid()}",
        }
    )
    # A settings module of one's own (on PYTHONPATH) serves to compare settings, e.g. middleware.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from bench.common import build_live_maps
    from journeys.serializers import CardSerializer
    from tests.servers import Server

    original_name = connection.settings_dict["NAME"]
    os.environ["DATABASE_URL"] = database_prepare(database)
    editor, maps, sample = build_live_maps(shape.maps)
    login = Client()
    login.force_login(editor)
    servers = {"redis_url": redis_url, "database": os.environ["DATABASE_URL"]}
    bench = Bench(
        shape=shape,
        maps=maps,
        editor_id=editor.pk,
        session=login.cookies[settings.SESSION_COOKIE_NAME].value,
        api_token=Token.objects.create(user=editor).key,
        card_shape=CardSerializer(sample).data,
        product=[Server(**servers) for _ in range(2)],
        floor=[Server(**servers, app="bench.floor_asgi:application") for _ in range(2)],
    )
    connection.close()
    rounds = {via: {"floor": [], via: []} for via in vias}
    try:
        bench.warm_up()
        for via in vias:
            for n in range(args.rounds):
                for side in ("floor", via) if n % 2 == 0 else (via, "floor"):
                    rounds[via][side].append(bench.round(via, side))
    finally:
        for server in bench.product + bench.floor:
            server.stop()
        if connection.vendor == "postgresql":
            connection.creation.destroy_test_db(original_name, verbosity=0)

    print(f"database: {connection.vendor}; channel layer: Redis at {redis_url}")
    print("servers: 2 uvicorn processes for the product, 2 for the floor")
    print(
        f"{shape.maps} map(s) × {shape.clients} clients = {shape.sockets} sockets; "
        f"{shape.editors} editor(s) per map at {shape.rate:g} edits/s per map "
        f"({shape.maps * shape.rate:g} edits/s in all, sends {args.sends}), "
        f"for {shape.seconds:g} s, {args.rounds} alternating rounds"
    )
    for via in vias:
        verdict(via, rounds[via], args.rounds)


def verdict(via: str, rounds: dict[str, list[dict]], count: int) -> None:
    """Print every round, the medians and the verdict for edits sent ``via`` REST or WS."""
    name = {"rest": "REST edits", "ws": "WS edits"}[via]
    print(f"\n{name} (POST /api/cards/)" if via == "rest" else f"\n{name} (card.create frames)")
    # last¼ p50: the deliveries of the last quarter's edits (growing: the server falls behind);
    # answer p99: send → the REST answer or WS ack; CPU/edit: both server processes' CPU time
    # per edit, fan-out included; lag p99: how late this client's own event loop ran.
    print(
        f"{'':16} {'p50':>8} {'p95':>8} {'p99':>8} {'last¼ p50':>10} {'answer p99':>10} "
        f"{'CPU/edit':>8} {'lag p99':>8}   lost / expected   unexpected  refused"
    )
    for n in range(count):
        for side in ("floor", via):
            r = rounds[side][n]
            label = "floor" if side == "floor" else name
            answered = r["answer p99"] == r["answer p99"]  # not NaN: the floor's WS relay has none
            answer = f"{r['answer p99']:8.1f}ms" if answered else ""
            print(
                f"{label + f' #{n + 1}':16} {r['p50']:7.1f}ms {r['p95']:7.1f}ms {r['p99']:7.1f}ms "
                f"{r['last quarter p50']:8.1f}ms {answer:>10} "
                f"{r['server CPU per edit']:6.1f}ms {r['client lag p99']:6.1f}ms   "
                f"{r['lost']:>5} / {r['expected']:<9} {r['unexpected']:>6} {r['refused']:>8}"
            )
    median = {
        side: {q: statistics.median(r[q] for r in results) for q in ("p50", "p95", "p99")}
        for side, results in rounds.items()
    }
    for side in ("floor", via):
        m = median[side]
        label = ("floor" if side == "floor" else name) + " median"
        print(f"{label:16} {m['p50']:7.1f}ms {m['p95']:7.1f}ms {m['p99']:7.1f}ms")
    floor_result, product_result = median["floor"], median[via]
    lost = sum(r["lost"] for r in rounds[via])
    unexpected = sum(r["unexpected"] for r in rounds[via])
    for q in ("p50", "p95", "p99"):
        print(f"  ratio {q}: {product_result[q] / floor_result[q]:.2f}×", end="")
    p99_met = product_result["p99"] <= 1.5 * floor_result["p99"]
    print(f"\n  {name}: target p99 ≤ 1.5× floor: {'met' if p99_met else 'MISSED'}; ", end="")
    print(f"zero loss: {'met' if lost == 0 else 'MISSED'} ({lost} lost in all rounds); ", end="")
    print(f"no duplicates: {'met' if unexpected == 0 else 'MISSED'} ({unexpected} unexpected)")


if __name__ == "__main__":
    main()
