"""A share-link visitor's socket hears only what the visitor projection lets through: no
usernames, full names, share-link labels or comments in any frame, replays and snapshots too;
and a dashboard link never opens the map."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from journeys import services
from journeys.models import Lane, ShareLink
from journeys.permissions import Role
from journeys.realtime.routing import websocket_urlpatterns
from tests.factories import OpportunityFactory, PersonaFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
application = URLRouter(websocket_urlpatterns)

SECRETS = ("ollie-owner", "Ollie", "Oakhart", "carla-collab", "Carla", "Board of Acme", "Ms Knox")


@database_sync_to_async
def shared_map(target: str):
    owner = UserFactory(
        username="ollie-owner", first_name="Ollie", last_name="Oakhart", role=Role.EDITOR
    )
    collaborator = UserFactory(username="carla-collab", first_name="Carla", role=Role.EDITOR)
    journey = services.journey_create(
        actor=owner, title="Renewing a policy", template="five_phase", collaborator_ids=[]
    )
    services.journey_update(
        actor=owner,
        journey_id=journey.pk,
        version=journey.version,
        changes={
            "collaborator_ids": [collaborator.pk],
            "persona_id": PersonaFactory(name="Pat", photo="personas/pat.png").pk,
        },
    )
    link = services.share_link_create(
        actor=owner, journey_id=journey.pk, target=target, label="Board of Acme"
    )
    return owner, collaborator, journey, link


@database_sync_to_async
def team_edits(owner, collaborator, journey) -> None:
    """What a busy team does: cards, a rename, an opportunity, another link, a revocation."""
    phase = journey.phases.order_by("position").first()
    lane = journey.lanes.get(kind=Lane.Kind.ACTIONS)
    card = services.card_create(
        actor=collaborator, journey_id=journey.pk, phase_id=phase.pk, lane_id=lane.pk, text="Calls"
    )
    services.card_update(
        actor=owner, card_id=card.pk, version=card.version, changes={"text": "Calls twice"}
    )
    services.phase_update(
        actor=owner, phase_id=phase.pk, version=phase.version, changes={"name": "Noticing"}
    )
    OpportunityFactory(journey=journey, phase=phase, owner=collaborator)
    other = services.share_link_create(actor=owner, journey_id=journey.pk, label="Ms Knox")
    services.share_link_revoke(actor=owner, share_link_id=other.pk)
    services.journey_update(
        actor=owner,
        journey_id=journey.pk,
        version=journey.__class__.objects.get(pk=journey.pk).version,
        changes={"title": "Renewing a policy, 2027"},
    )


async def visit(token: str) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, f"/ws/share/{token}/")
    socket.scope["user"] = AnonymousUser()
    connected, _ = await socket.connect()
    assert connected
    return socket


async def all_frames(socket, *, until, timeout=5) -> list[str]:
    """Raw frames up to and including the first whose JSON satisfies ``until``."""
    seen = []
    while True:
        raw = await socket.receive_from(timeout=timeout)
        seen.append(raw)
        if until(json.loads(raw)):
            return seen


def assert_tells_nothing_private(raw_frames: list[str]) -> None:
    for raw in raw_frames:
        for secret in SECRETS:
            assert secret not in raw, f"{secret!r} reached a visitor in {raw[:300]}"
        assert "photo" not in raw or '"photo": null' in raw


async def test_a_map_link_visitor_hears_every_change_but_no_names_labels_or_photos():
    owner, collaborator, journey, link = await shared_map(ShareLink.Target.MAP)
    socket = await visit(link.token)
    hello = json.loads(await socket.receive_from(timeout=5))
    await team_edits(owner, collaborator, journey)
    live = await all_frames(socket, until=lambda f: f.get("kind") == "journey_updated", timeout=5)
    kinds = [json.loads(raw).get("kind") for raw in live]
    assert "card_updated" in kinds and "phase_updated" in kinds
    assert_tells_nothing_private(live)

    # A replay of everything since the page loaded, and a snapshot, are projected alike.
    await socket.send_to(text_data=json.dumps({"type": "resync", "after": hello["revision"]}))
    replay = await all_frames(socket, until=lambda f: f["type"] == "events")
    events = json.loads(replay[-1])["events"]
    assert [e["revision"] for e in events] == list(
        range(hello["revision"] + 1, json.loads(replay[-1])["revision"] + 1)
    )
    assert_tells_nothing_private(replay)

    await socket.send_to(text_data=json.dumps({"type": "resync", "after": 0}))
    replay_all = await all_frames(socket, until=lambda f: f["type"] in ("events", "snapshot"))
    assert_tells_nothing_private(replay_all)
    await socket.disconnect()


async def test_a_snapshot_for_a_visitor_is_projected_too(monkeypatch):
    owner, collaborator, journey, link = await shared_map(ShareLink.Target.MAP)
    await team_edits(owner, collaborator, journey)
    monkeypatch.setattr("journeys.selectors.EVENT_REPLAY_LIMIT", 0)
    socket = await visit(link.token)
    await socket.receive_from(timeout=5)  # hello
    await socket.send_to(text_data=json.dumps({"type": "resync", "after": 0}))
    frames = await all_frames(socket, until=lambda f: f["type"] == "snapshot")
    snapshot = json.loads(frames[-1])["map"]
    assert snapshot["title"] == "Renewing a policy, 2027"
    assert [c["text"] for cell in snapshot["cells"] for c in cell["cards"]] == ["Calls twice"]
    assert (snapshot["owner"]["name"], snapshot["collaborators"]) == ("", [])
    assert snapshot["persona"]["photo"] is None
    assert_tells_nothing_private(frames)
    await socket.disconnect()


async def test_a_dashboard_link_hears_only_that_the_map_changed_and_cannot_replay_it():
    owner, collaborator, journey, link = await shared_map(ShareLink.Target.DASHBOARD)
    socket = await visit(link.token)
    hello = json.loads(await socket.receive_from(timeout=5))
    await team_edits(owner, collaborator, journey)
    final = await database_sync_to_async(lambda: journey.__class__.objects.get(pk=journey.pk))()
    frames = await all_frames(
        socket, until=lambda f: f.get("revision") == final.revision, timeout=5
    )
    for raw in frames:
        assert set(json.loads(raw)) == {"type", "revision"}  # no kind, no payload: no card text
    assert json.loads(frames[0])["revision"] > hello["revision"]

    await socket.send_to(text_data=json.dumps({"type": "resync", "after": 0}))
    refused = json.loads(await socket.receive_from(timeout=5))
    assert (refused["type"], refused["code"]) == ("error", "permission_denied")
    await socket.disconnect()
