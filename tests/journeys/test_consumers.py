"""The live map's WebSocket, driven with Channels' WebsocketCommunicator."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator

from journeys import services
from journeys.models import Card, Lane
from journeys.permissions import Role
from journeys.realtime import consumers
from journeys.realtime.routing import websocket_urlpatterns
from tests.factories import CardFactory, JourneyFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
application = URLRouter(websocket_urlpatterns)


async def connect(user, journey_id):
    communicator = WebsocketCommunicator(application, f"/ws/journeys/{journey_id}/")
    if user is not None:
        communicator.scope["user"] = user
    else:
        from django.contrib.auth.models import AnonymousUser

        communicator.scope["user"] = AnonymousUser()
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def receive(communicator, timeout=3):
    return json.loads(await communicator.receive_from(timeout=timeout))


async def receive_until(communicator, frame_type, timeout=3):
    while True:
        frame = await receive(communicator, timeout)
        if frame["type"] == frame_type:
            return frame


@database_sync_to_async
def make_map(**journey):
    owner = UserFactory(role=Role.EDITOR)
    journey = services.journey_create(
        actor=owner, title="Live map", template="five_phase", **journey
    )
    phases = list(journey.phases.order_by("position"))
    actions = journey.lanes.get(kind=Lane.Kind.ACTIONS)
    return journey, phases, actions, owner


@database_sync_to_async
def make_user(role):
    return UserFactory(role=role)


async def test_a_viewer_is_welcomed_with_the_revision_and_who_is_here():
    journey, *_ = await make_map()
    viewer = await make_user(Role.VIEWER)
    socket = await connect(viewer, journey.pk)
    hello = await receive(socket)
    assert hello["type"] == "hello"
    assert (hello["revision"], hello["can_edit"]) == (journey.revision, False)
    assert viewer.pk in [member["user"]["id"] for member in hello["presence"]]
    await socket.disconnect()


@pytest.mark.parametrize(
    ("who", "code"), [("anonymous", 4401), ("outsider", 4404), ("nobody", 4404)]
)
async def test_who_may_not_see_the_map_is_closed_with_a_documented_code(who, code):
    journey, *_ = await make_map(is_restricted=True)
    user = None if who == "anonymous" else await make_user(Role.EDITOR)
    socket = await connect(user, journey.pk if who != "nobody" else 999999)
    assert await socket.receive_output(timeout=3) == {"type": "websocket.close", "code": code}


async def test_every_applied_change_reaches_the_viewers_socket():
    journey, phases, actions, owner = await make_map()
    viewer = await make_user(Role.VIEWER)
    socket = await connect(viewer, journey.pk)
    hello = await receive(socket)
    card = await database_sync_to_async(services.card_create)(
        actor=owner,
        journey_id=journey.pk,
        phase_id=phases[0].pk,
        lane_id=actions.pk,
        text="Asks a friend",
    )
    event = await receive_until(socket, "event")
    assert (event["kind"], event["revision"]) == ("card_created", hello["revision"] + 1)
    assert event["payload"]["card"]["id"] == card.pk
    await socket.disconnect()


async def test_an_editor_edits_over_the_socket_and_peers_hear_it():
    journey, phases, actions, owner = await make_map()
    editor_socket = await connect(owner, journey.pk)
    await receive(editor_socket)
    peer = await connect(await make_user(Role.VIEWER), journey.pk)
    await receive(peer)

    await editor_socket.send_to(
        text_data=json.dumps(
            {
                "type": "edit",
                "id": "r1",
                "action": "card.create",
                "data": {"phase": phases[1].pk, "lane": actions.pk, "text": "Downloads a PDF"},
            }
        )
    )
    ack = await receive_until(editor_socket, "ack")
    assert (ack["id"], ack["object"]["text"], ack["object"]["version"]) == (
        "r1",
        "Downloads a PDF",
        1,
    )
    event = await receive_until(peer, "event")
    assert event["payload"]["card"]["id"] == ack["object"]["id"]

    await editor_socket.send_to(
        text_data=json.dumps(
            {
                "type": "edit",
                "id": "r2",
                "action": "card.update",
                "data": {"id": ack["object"]["id"], "text": "x", "version": 9},
            }
        )
    )
    refused = await receive_until(editor_socket, "error")
    assert (refused["id"], refused["code"]) == ("r2", "version_conflict")
    assert refused["current"]["text"] == "Downloads a PDF"
    assert refused["changed_by"]["id"] == owner.pk
    await editor_socket.disconnect()
    await peer.disconnect()


BAD_FRAMES = [
    ("not json", "{nope", "invalid_json"),
    ("not an object", "[1, 2]", "invalid_frame"),
    ("no type", json.dumps({"action": "card.create"}), "invalid_frame"),
    ("unknown type", json.dumps({"type": "launch"}), "unknown_type"),
    (
        "unknown action",
        json.dumps({"type": "edit", "action": "card.explode", "data": {}}),
        "invalid",
    ),
    (
        "data not an object",
        json.dumps({"type": "edit", "action": "card.create", "data": [1]}),
        "invalid",
    ),
    (
        "missing fields",
        json.dumps({"type": "edit", "action": "card.create", "data": {"text": "x"}}),
        "invalid",
    ),
    (
        "wrong types",
        json.dumps(
            {
                "type": "edit",
                "action": "card.create",
                "data": {"phase": "one", "lane": [], "text": 5},
            }
        ),
        "invalid",
    ),
    (
        "id not an integer",
        json.dumps({"type": "edit", "action": "card.delete", "data": {"id": "7"}}),
        "invalid",
    ),
    ("bad resync", json.dumps({"type": "resync", "after": "yesterday"}), "invalid_frame"),
    ("bad presence", json.dumps({"type": "presence", "cell": "A1"}), "invalid_frame"),
    ("too large", json.dumps({"type": "ping", "pad": "x" * 70_000}), "too_large"),
]


@pytest.mark.parametrize(("frame", "code"), [pytest.param(f, c, id=n) for n, f, c in BAD_FRAMES])
async def test_a_bad_frame_gets_an_error_and_the_connection_stays_usable(frame, code):
    journey, *_ = await make_map()
    socket = await connect(await make_user(Role.EDITOR), journey.pk)
    await receive(socket)
    await socket.send_to(text_data=frame)
    error = await receive_until(socket, "error")
    assert error["code"] == code, error
    await socket.send_to(text_data=json.dumps({"type": "ping"}))
    assert (await receive_until(socket, "pong"))["type"] == "pong"
    assert not await database_sync_to_async(Card.objects.exists)()
    await socket.disconnect()


async def test_another_journeys_card_is_not_found_from_this_map():
    journey, *_ = await make_map()
    foreign = await database_sync_to_async(CardFactory)(
        journey=await database_sync_to_async(JourneyFactory)()
    )
    socket = await connect(await make_user(Role.EDITOR), journey.pk)
    await receive(socket)
    await socket.send_to(
        text_data=json.dumps(
            {
                "type": "edit",
                "action": "card.update",
                "data": {"id": foreign.pk, "text": "x", "version": 1},
            }
        )
    )
    assert (await receive_until(socket, "error"))["code"] == "not_found"
    await database_sync_to_async(foreign.refresh_from_db)()
    assert foreign.text != "x"
    await socket.disconnect()


async def test_a_viewer_cannot_write_over_the_socket():
    journey, phases, actions, _ = await make_map()
    socket = await connect(await make_user(Role.VIEWER), journey.pk)
    await receive(socket)
    await socket.send_to(
        text_data=json.dumps(
            {
                "type": "edit",
                "action": "card.create",
                "data": {"phase": phases[0].pk, "lane": actions.pk, "text": "x"},
            }
        )
    )
    assert (await receive_until(socket, "error"))["code"] == "permission_denied"
    assert not await database_sync_to_async(Card.objects.exists)()
    await socket.disconnect()


async def test_a_flood_is_rate_limited_and_the_connection_survives(monkeypatch):
    journey, *_ = await make_map()
    socket = await connect(await make_user(Role.VIEWER), journey.pk)
    await receive(socket)
    for _ in range(consumers.RATE_BURST + 20):
        await socket.send_to(text_data=json.dumps({"type": "ping"}))
    frames = [await receive(socket) for _ in range(consumers.RATE_BURST + 20)]
    kinds = [f.get("code") or f["type"] for f in frames]
    assert kinds.count("rate_limited") >= 15
    assert kinds.count("pong") >= consumers.RATE_BURST
    await socket.disconnect()


async def test_a_client_that_missed_events_gets_them_replayed():
    journey, phases, actions, owner = await make_map()
    socket = await connect(owner, journey.pk)
    hello = await receive(socket)
    for text in ("one", "two", "three"):
        await database_sync_to_async(services.card_create)(
            actor=owner, journey_id=journey.pk, phase_id=phases[0].pk, lane_id=actions.pk, text=text
        )
    await socket.send_to(text_data=json.dumps({"type": "resync", "after": hello["revision"] + 1}))
    replay = await receive_until(socket, "events")
    assert [e["payload"]["card"]["text"] for e in replay["events"]] == ["two", "three"]
    assert replay["revision"] == hello["revision"] + 3
    await socket.disconnect()


async def test_a_client_too_far_behind_gets_a_snapshot(monkeypatch):
    monkeypatch.setattr("journeys.selectors.EVENT_REPLAY_LIMIT", 1)
    journey, phases, actions, owner = await make_map()
    socket = await connect(owner, journey.pk)
    await receive(socket)
    for text in ("one", "two"):
        await database_sync_to_async(services.card_create)(
            actor=owner, journey_id=journey.pk, phase_id=phases[0].pk, lane_id=actions.pk, text=text
        )
    await socket.send_to(text_data=json.dumps({"type": "resync", "after": 0}))
    snapshot = await receive_until(socket, "snapshot")
    assert sorted(c["text"] for cell in snapshot["map"]["cells"] for c in cell["cards"]) == [
        "one",
        "two",
    ]
    await socket.disconnect()


async def test_presence_shows_who_edits_which_cell_and_clears_on_leaving():
    journey, phases, actions, owner = await make_map()
    first = await connect(owner, journey.pk)
    await receive(first)
    second_user = await make_user(Role.EDITOR)
    second = await connect(second_user, journey.pk)
    hello = await receive(second)
    assert {m["user"]["id"] for m in hello["presence"]} == {owner.pk, second_user.pk}

    cell = {"phase": phases[0].pk, "lane": actions.pk}
    await second.send_to(text_data=json.dumps({"type": "presence", "cell": cell, "editing": True}))
    while True:
        update = await receive_until(first, "presence")
        if update["state"]["user"]["id"] == second_user.pk and update["state"]["cell"]:
            break
    assert (update["state"]["cell"], update["state"]["editing"]) == (cell, True)

    await second.disconnect()
    while True:
        left = await receive_until(first, "presence")
        if left["action"] == "leave":
            break
    assert left["state"]["member"] == update["state"]["member"]
    await first.disconnect()


async def test_a_dashboard_watching_the_map_is_not_shown_as_someone_on_it():
    journey, *_ = await make_map()
    viewer, editor = await make_user(Role.VIEWER), await make_user(Role.EDITOR)
    on_map = await connect(editor, journey.pk)
    await receive(on_map)  # hello
    await receive_until(on_map, "presence")  # the editor's own arrival
    watcher = WebsocketCommunicator(application, f"/ws/journeys/{journey.pk}/?watch=1")
    watcher.scope["user"] = viewer
    assert (await watcher.connect())[0]
    hello = await receive(watcher)
    assert (hello["type"], hello["presence"]) == ("hello", [])
    # The editor hears of nobody new; a later joiner's roster holds the editor alone.
    assert await on_map.receive_nothing(timeout=0.5)
    late = await connect(await make_user(Role.VIEWER), journey.pk)
    roster = (await receive(late))["presence"]
    assert viewer.pk not in [member["user"]["id"] for member in roster]
    await watcher.send_to(text_data=json.dumps({"type": "presence", "cell": None}))
    assert (await receive(watcher))["code"] == "invalid_frame"
    for socket in (watcher, on_map, late):
        await socket.disconnect()
