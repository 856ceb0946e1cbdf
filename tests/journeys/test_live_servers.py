"""The live map across two real uvicorn processes sharing Redis: an edit on one reaches clients
on the other; concurrent, conflicting edits converge; a client that was away catches up."""

import asyncio
import os
import random

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection
from django.test import Client

from journeys import services
from journeys.models import Card, Journey, JourneyEvent
from journeys.permissions import Role
from tests.factories import UserFactory
from tests.live_client import LiveClient, map_items
from tests.servers import Server, database_url, redis_available

pytestmark = pytest.mark.django_db(transaction=True)
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def two_servers(django_db_setup, django_db_blocker):
    if not redis_available(REDIS_URL):
        message = f"Redis is not reachable at {REDIS_URL}: scale-out needs it."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    servers = [
        Server(database=database_url(connection.settings_dict), redis_url=REDIS_URL)
        for _ in range(2)
    ]
    yield servers
    for server in servers:
        server.stop()


def session_for(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def live_map(db):
    owner = UserFactory(role=Role.EDITOR)
    journey = services.journey_create(actor=owner, title="Shared map", template="five_phase")
    return journey


def db_cards(journey_id: int) -> dict[int, tuple]:
    return {
        c.pk: (c.phase_id, c.lane_id, c.position, c.text, c.version)
        for c in Card.objects.filter(journey_id=journey_id)
    }


def journey_revision(journey_id: int) -> int:
    return Journey.objects.values_list("revision", flat=True).get(pk=journey_id)


def card_events(journey_id: int) -> list[JourneyEvent]:
    return list(JourneyEvent.objects.filter(journey_id=journey_id, kind__startswith="card_"))


async def settle(clients, journey_id: int, timeout: float = 15) -> int:
    """Wait until every client has applied every committed change."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        revision = await database_sync_to_async(journey_revision)(journey_id)
        if all(c.revision == revision and not c.resyncing for c in clients):
            return revision
        if loop.time() > deadline:
            raise AssertionError(
                f"clients at {[c.revision for c in clients]}, database at {revision}"
            )
        await asyncio.sleep(0.1)


async def test_an_edit_on_one_server_reaches_a_client_on_the_other(two_servers, live_map):
    a, b = two_servers
    users = [await database_sync_to_async(UserFactory)(role=Role.EDITOR) for _ in range(2)]
    sessions = [await database_sync_to_async(session_for)(u) for u in users]
    editor = LiveClient(a, live_map.pk, sessions[0], "editor")
    watcher = LiveClient(b, live_map.pk, sessions[1], "watcher")
    await editor.connect()
    hello = await watcher.connect()
    assert {m["user"]["id"] for m in hello["presence"]} >= {users[1].pk}

    phase = next(iter(editor.items["phase"]))
    lane = next(iter(editor.items["lane"]))
    ack = await editor.edit(
        "card.create", {"phase": phase, "lane": lane, "text": "Across processes"}
    )
    assert ack["type"] == "ack", ack
    await settle([editor, watcher], live_map.pk)
    assert watcher.items["card"][ack["object"]["id"]]["text"] == "Across processes"
    await editor.close()
    await watcher.close()


def random_card_edit(
    rng: random.Random, client: LiveClient, text: str, phases: list, lanes: list
) -> tuple[str, dict]:
    """A create (30%), update (40%), move (20%) or delete (10%) of a card the client knows,
    at the version it knows: maybe already stale."""
    cards = list(client.items["card"].values())
    roll = rng.random()
    if not cards or roll < 0.3:
        return "card.create", {
            "phase": rng.choice(phases),
            "lane": rng.choice(lanes),
            "text": text,
        }
    card = rng.choice(cards)
    if roll < 0.7:
        return "card.update", {"id": card["id"], "version": card["version"], "text": text}
    if roll < 0.9:
        return "card.move", {
            "id": card["id"],
            "phase": rng.choice(phases),
            "lane": rng.choice(lanes),
            "index": rng.randint(0, 3),
        }
    return "card.delete", {"id": card["id"], "version": card["version"]}


async def test_concurrent_conflicting_edits_converge_and_no_acknowledged_edit_is_lost(
    two_servers, live_map
):
    rng = random.Random(20261123)
    users = [await database_sync_to_async(UserFactory)(role=Role.EDITOR) for _ in range(4)]
    clients = [
        LiveClient(
            two_servers[i % 2],
            live_map.pk,
            await database_sync_to_async(session_for)(user),
            f"c{i}",
        )
        for i, user in enumerate(users)
    ]
    for client in clients:
        await client.connect()
    phases = list(clients[0].items["phase"])
    lanes = list(clients[0].items["lane"])
    acks: list[dict] = []
    refusals: list[dict] = []

    # One conflict for certain, whatever the timing below: two clients on different servers
    # change the same card from the same version; one is refused.
    first = await clients[0].edit(
        "card.create", {"phase": phases[0], "lane": lanes[0], "text": "Shared"}
    )
    acks.append({"action": "card.create", **first})
    await settle(clients, live_map.pk)
    shared = first["object"]
    rivals = await asyncio.gather(
        *(
            client.edit(
                "card.update",
                {"id": shared["id"], "version": shared["version"], "text": client.name},
            )
            for client in clients[:2]
        )
    )
    for reply in rivals:
        (acks if reply["type"] == "ack" else refusals).append({"action": "card.update", **reply})
    assert sorted(reply["type"] for reply in rivals) == ["ack", "error"], rivals
    await settle(clients, live_map.pk)

    async def work(client: LiveClient) -> None:
        for step in range(25):
            action, data = random_card_edit(rng, client, f"{client.name}-{step}", phases, lanes)
            reply = await client.edit(action, data)
            (acks if reply["type"] == "ack" else refusals).append({"action": action, **reply})
            await asyncio.sleep(rng.random() * 0.02)

    await asyncio.gather(*(work(c) for c in clients))
    revision = await settle(clients, live_map.pk)

    database = await database_sync_to_async(db_cards)(live_map.pk)
    for client in clients:
        assert client.cards() == database, client.name
    assert len(acks) + len(refusals) == 3 + 100
    assert {r["code"] for r in refusals} <= {"version_conflict", "not_found"}
    assert acks and refusals  # the scenario did produce conflicts

    # Every acknowledged edit is in the log exactly as acknowledged, and versions never repeat.
    events = await database_sync_to_async(card_events)(live_map.pk)
    logged = {
        (e.payload["card"]["id"], e.payload["card"].get("version")): e.payload["card"]
        for e in events
    }
    assert len(events) == revision - 1  # every change after the map's creation is a card change
    for ack in acks:
        if ack["action"] != "card.delete":
            key = (ack["object"]["id"], ack["object"]["version"])
            assert logged[key]["text"] == ack["object"]["text"], ack
    deleted = {ack["object"]["id"] for ack in acks if ack["action"] == "card.delete"}
    created = {ack["object"]["id"] for ack in acks if ack["action"] == "card.create"}
    assert created - deleted == set(database)
    for client in clients:
        await client.close()


async def test_a_client_that_was_away_catches_up_on_reconnect(two_servers, live_map):
    users = [await database_sync_to_async(UserFactory)(role=Role.EDITOR) for _ in range(2)]
    editor = LiveClient(
        two_servers[0], live_map.pk, await database_sync_to_async(session_for)(users[0]), "e"
    )
    away = LiveClient(
        two_servers[1], live_map.pk, await database_sync_to_async(session_for)(users[1]), "away"
    )
    await editor.connect()
    await away.connect()
    phase, lane = next(iter(editor.items["phase"])), next(iter(editor.items["lane"]))
    first = await editor.edit("card.create", {"phase": phase, "lane": lane, "text": "before"})
    await settle([editor, away], live_map.pk)
    await away.close()

    for text in ("while away 1", "while away 2"):
        await editor.edit("card.create", {"phase": phase, "lane": lane, "text": text})
    await editor.edit(
        "card.update", {"id": first["object"]["id"], "version": 1, "text": "changed while away"}
    )

    await away.connect()  # keeps its items and revision: asks only for what it missed
    await settle([editor, away], live_map.pk)
    assert away.cards() == await database_sync_to_async(db_cards)(live_map.pk)
    assert away.items["card"][first["object"]["id"]]["text"] == "changed while away"
    await editor.close()
    await away.close()


def test_the_snapshot_helper_reads_every_kind(live_map):
    from journeys.selectors import journey_map_get

    items = map_items(journey_map_get(journey=live_map))
    assert len(items["phase"]) == 5 and len(items["lane"]) == 7


@pytest.mark.parametrize(
    ("cookie", "origin_ok", "expected"),
    [("none", True, 4401), ("forged", True, 4401), ("valid", False, "refused")],
    ids=["no session", "forged session", "foreign origin"],
)
async def test_the_socket_checks_the_session_cookie_and_the_origin(
    asgi_server, live_map, cookie, origin_ok, expected
):
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    user = await database_sync_to_async(UserFactory)(role=Role.EDITOR)
    session = {
        "none": None,
        "forged": "x" * 32,
        "valid": await database_sync_to_async(session_for)(user),
    }[cookie]
    headers = {"Cookie": f"sessionid={session}"} if session else {}
    origin = asgi_server.url if origin_ok else "http://evil.example"
    try:
        socket = await connect(
            f"{asgi_server.ws_url}/ws/journeys/{live_map.pk}/",
            additional_headers=headers,
            origin=origin,
        )
    except InvalidStatus as refused:
        assert expected == "refused" and refused.response.status_code == 403
        return
    with pytest.raises(ConnectionClosed) as closed:
        await socket.recv()
    assert closed.value.rcvd.code == expected
