"""Edits that race on one map: every frame is answered, no socket is dropped."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator
from django.db import connection

from journeys import services
from journeys.models import Card, Lane, Phase
from journeys.permissions import Role
from journeys.realtime.routing import websocket_urlpatterns
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
application = URLRouter(websocket_urlpatterns)
ROUNDS = 40


async def answer_to(socket, request_id: str) -> dict:
    """The ack or error for ``request_id``; a closed socket fails the test."""
    while True:
        output = await socket.receive_output(timeout=10)
        assert output["type"] != "websocket.close", f"socket closed: {output}"
        frame = json.loads(output["text"])
        if frame["type"] in ("ack", "error") and frame.get("id") == request_id:
            return frame


async def test_a_card_delete_racing_a_rename_of_its_phase_is_always_answered():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and deadlock detection are PostgreSQL's")

    @database_sync_to_async
    def setting():
        editor, other = UserFactory(role=Role.EDITOR), UserFactory(role=Role.EDITOR)
        journey = services.journey_create(actor=editor, title="Race", template="five_phase")
        phase = journey.phases.order_by("position").first()
        return editor, other, journey, phase, journey.lanes.get(kind=Lane.Kind.ACTIONS)

    editor, other, journey, phase, lane = await setting()
    sockets = []
    for user in (editor, other):
        socket = WebsocketCommunicator(application, f"/ws/journeys/{journey.pk}/")
        socket.scope["user"] = user
        assert (await socket.connect())[0]
        sockets.append(socket)
    deleter, renamer = sockets
    outcomes = []
    for n in range(ROUNDS):
        card = await database_sync_to_async(services.card_create)(
            actor=editor, journey_id=journey.pk, phase_id=phase.pk, lane_id=lane.pk, text=f"{n}"
        )
        version = await database_sync_to_async(
            lambda: Phase.objects.values_list("version", flat=True).get(pk=phase.pk)
        )()
        delete = {"type": "edit", "id": f"d{n}", "action": "card.delete", "data": {"id": card.pk}}
        rename = {
            "type": "edit",
            "id": f"r{n}",
            "action": "phase.update",
            "data": {"id": phase.pk, "name": f"Aware {n}", "version": version},
        }
        # At the same instant: both frames are in flight before either is answered.
        await asyncio.gather(
            deleter.send_to(text_data=json.dumps(delete)),
            renamer.send_to(text_data=json.dumps(rename)),
        )
        deleted, renamed = await asyncio.gather(
            answer_to(deleter, f"d{n}"), answer_to(renamer, f"r{n}")
        )
        outcomes.append((deleted["type"], renamed["type"]))
        for answer in (deleted, renamed):
            # A clash the database broke up is a "try again", never a silent drop.
            assert answer["type"] == "ack" or answer["code"] == "conflict", answer

    # Nearly always both succeed; whatever happened, the map agrees with the answers.
    assert outcomes.count(("ack", "ack")) >= ROUNDS - 5, outcomes
    acked_deletes = sum(1 for d, _ in outcomes if d == "ack")
    left = await database_sync_to_async(Card.objects.filter(journey=journey).count)()
    assert left == ROUNDS - acked_deletes
    for socket in sockets:
        await socket.send_to(text_data=json.dumps({"type": "ping"}))
        while json.loads(await socket.receive_from(timeout=10))["type"] != "pong":
            pass
        await socket.disconnect()
