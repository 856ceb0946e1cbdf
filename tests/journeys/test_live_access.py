"""An open socket has the access its user has now, not the access they had when it opened;
and whatever a frame or a failure does, the socket answers or leaves cleanly."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client

from config.ws_auth import SessionUserMiddleware
from journeys import services
from journeys.models import Card, Lane
from journeys.permissions import ROLE_GROUPS, Role
from journeys.realtime.broadcast import journey_group
from journeys.realtime.presence import presence_roster
from journeys.realtime.routing import websocket_urlpatterns
from personas.models import Persona
from tests.factories import PersonaFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
# As served: the session cookie resolves the user, and the consumer can resolve it again.
application = SessionUserMiddleware(URLRouter(websocket_urlpatterns))
PASSWORD = "a-long-enough-password"


@database_sync_to_async
def signed_in(user) -> str:
    """A real session for ``user``: the cookie its browser would send."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


async def open_socket(session: str, journey_id: int) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(
        application,
        f"/ws/journeys/{journey_id}/",
        headers=[(b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode())],
    )
    connected, _ = await socket.connect()
    assert connected
    return socket


async def frames_until(socket, wanted, timeout=5) -> dict:
    """The next frame of type ``wanted``; the close message if the socket closes first."""
    while True:
        output = await socket.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return output
        frame = json.loads(output["text"])
        if frame["type"] == wanted:
            return frame


async def closed_with(socket, timeout=5) -> int:
    while True:
        output = await socket.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return output["code"]


@database_sync_to_async
def restricted_map_with_collaborator():
    owner = UserFactory(role=Role.EDITOR)
    collaborator = UserFactory(role=Role.EDITOR)
    journey = services.journey_create(
        actor=owner,
        title="Board pack",
        template="five_phase",
        is_restricted=True,
        collaborator_ids=[collaborator.pk],
    )
    return owner, collaborator, journey


def card_frame(journey, text: str, request_id: str = "r1") -> str:
    phase = journey.phases.order_by("position").first()
    lane = journey.lanes.get(kind=Lane.Kind.ACTIONS)
    return json.dumps(
        {
            "type": "edit",
            "id": request_id,
            "action": "card.create",
            "data": {"phase": phase.pk, "lane": lane.pk, "text": text},
        }
    )


async def test_a_collaborator_removed_from_a_restricted_map_is_cut_off_at_once():
    owner, collaborator, journey = await restricted_map_with_collaborator()
    socket = await open_socket(await signed_in(collaborator), journey.pk)
    assert (await frames_until(socket, "hello"))["can_edit"] is True

    await database_sync_to_async(services.journey_update)(
        actor=owner,
        journey_id=journey.pk,
        version=journey.version,
        changes={"collaborator_ids": []},
    )
    # The journey_updated event may come first; then the socket is closed as "no access".
    assert await closed_with(socket) == 4404
    # Nothing the owner does afterwards reaches it, and it cannot replay or write.
    await database_sync_to_async(services.card_create)(
        actor=owner,
        journey_id=journey.pk,
        phase_id=(await database_sync_to_async(journey.phases.first)()).pk,
        lane_id=(await database_sync_to_async(journey.lanes.first)()).pk,
        text="Board only",
    )
    assert await socket.receive_nothing(timeout=0.5)


async def test_an_editor_demoted_to_viewer_can_no_longer_write_through_an_open_socket():
    _owner, editor, journey = await restricted_map_with_collaborator()
    socket = await open_socket(await signed_in(editor), journey.pk)
    await frames_until(socket, "hello")
    text = await sync_to_async(card_frame)(journey, "Before")
    await socket.send_to(text_data=text)
    assert (await frames_until(socket, "ack"))["object"]["text"] == "Before"

    @database_sync_to_async
    def demote():
        editor.groups.set([Group.objects.get(name=ROLE_GROUPS[Role.VIEWER])])

    await demote()
    told = await frames_until(socket, "access")
    assert told == {"type": "access", "can_edit": False}
    await socket.send_to(text_data=await sync_to_async(card_frame)(journey, "After", "r2"))
    refused = await frames_until(socket, "error")
    assert (refused["id"], refused["code"]) == ("r2", "permission_denied")
    assert await database_sync_to_async(Card.objects.filter(text="After").exists)() is False
    await socket.disconnect()


async def test_a_stale_can_edit_flag_does_not_let_a_demoted_editor_write():
    """Even when the notice of the change is lost, the edit itself checks the user as now."""
    _owner, editor, journey = await restricted_map_with_collaborator()
    socket = await open_socket(await signed_in(editor), journey.pk)
    await frames_until(socket, "hello")

    @database_sync_to_async
    def demote_silently():
        # An update that sends no signal: only the edit's own check can notice it.
        Group.objects.get(name=ROLE_GROUPS[Role.EDITOR]).user_set.through.objects.filter(
            user_id=editor.pk
        ).delete()

    await demote_silently()
    await socket.send_to(text_data=await sync_to_async(card_frame)(journey, "Sneaky"))
    refused = await frames_until(socket, "error")
    assert refused["code"] == "permission_denied"
    assert await database_sync_to_async(Card.objects.filter(text="Sneaky").exists)() is False
    await socket.disconnect()


@pytest.mark.parametrize("how", ["deactivated", "signed out"])
async def test_an_editor_who_loses_their_account_or_session_is_disconnected(how):
    _owner, editor, journey = await restricted_map_with_collaborator()
    session = await signed_in(editor)
    socket = await open_socket(session, journey.pk)
    await frames_until(socket, "hello")

    @database_sync_to_async
    def end_access():
        if how == "deactivated":
            editor.is_active = False
            editor.save()
        else:
            client = Client()
            client.cookies[settings.SESSION_COOKIE_NAME] = session
            client.post("/accounts/logout/")

    await end_access()
    assert await closed_with(socket) == 4401
    assert await database_sync_to_async(Card.objects.filter(journey=journey).count)() == 0


async def test_a_signed_out_session_cannot_replay_or_write_even_if_the_notice_is_lost():
    _owner, editor, journey = await restricted_map_with_collaborator()
    session = await signed_in(editor)
    socket = await open_socket(session, journey.pk)
    await frames_until(socket, "hello")

    @database_sync_to_async
    def drop_session():
        from django.contrib.sessions.models import Session

        Session.objects.filter(session_key=session).delete()  # no signal, no notice

    await drop_session()
    await socket.send_to(text_data=json.dumps({"type": "resync", "after": 0}))
    assert await closed_with(socket) == 4401


async def test_a_frame_nested_thousands_deep_gets_an_error_frame():
    _owner, editor, journey = await restricted_map_with_collaborator()
    socket = await open_socket(await signed_in(editor), journey.pk)
    await frames_until(socket, "hello")
    deep = '{"type": "edit", "data": ' + "[" * 5000 + "]" * 5000 + "}"
    await socket.send_to(text_data=deep)
    refused = await frames_until(socket, "error")
    assert refused["code"] == "invalid_json"
    await socket.send_to(text_data=json.dumps({"type": "ping"}))
    assert (await frames_until(socket, "pong"))["type"] == "pong"
    await socket.disconnect()


async def test_a_snapshot_resync_works_on_a_map_whose_persona_has_a_photo(monkeypatch):
    owner, editor, journey = await restricted_map_with_collaborator()

    @database_sync_to_async
    def give_persona_a_photo():
        persona = PersonaFactory(name="Priya")
        Persona.objects.filter(pk=persona.pk).update(photo="personas/priya.png")
        services.journey_update(
            actor=owner,
            journey_id=journey.pk,
            version=journey.version,
            changes={"persona_id": persona.pk},
        )

    await give_persona_a_photo()
    monkeypatch.setattr("journeys.selectors.EVENT_REPLAY_LIMIT", 0)
    socket = await open_socket(await signed_in(editor), journey.pk)
    await frames_until(socket, "hello")
    await socket.send_to(text_data=json.dumps({"type": "resync", "after": 0}))
    snapshot = await frames_until(socket, "snapshot")
    assert snapshot["map"]["persona"]["name"] == "Priya"
    assert snapshot["map"]["persona"]["photo"].endswith("personas/priya.png")
    await socket.disconnect()


async def test_a_consumer_that_fails_leaves_the_roster_and_the_group():
    owner, editor, journey = await restricted_map_with_collaborator()
    failing = await open_socket(await signed_in(editor), journey.pk)
    hello = await frames_until(failing, "hello")
    member = hello["you"]["member"]
    assert member in [m["member"] for m in await presence_roster(journey.pk)]

    # A group message the consumer cannot handle (a fault from outside any frame) kills it.
    await get_channel_layer().send(member, {"type": "journey.presence"})
    with pytest.raises(KeyError):
        while True:
            await failing.receive_output(timeout=5)

    assert member not in [m["member"] for m in await presence_roster(journey.pk)]
    # Out of the group: a message to the map reaches the others only.
    watcher = await open_socket(await signed_in(owner), journey.pk)
    await frames_until(watcher, "hello")
    layer = get_channel_layer()
    if hasattr(layer, "groups"):  # the in-memory layer: its groups can be read directly
        assert member not in layer.groups.get(journey_group(journey.pk), {})
    else:
        members = await _redis_group_members(layer, journey_group(journey.pk))
        assert member not in members
    await watcher.disconnect()


async def _redis_group_members(layer, group: str) -> set[str]:
    connection = layer.connection(layer.consistent_hash(group))
    members = await connection.zrange(layer._group_key(group), 0, -1)
    return {m.decode() for m in members}
