"""Share links: a CX lead shares a map read-only with people who have no account, sees what is
shared, and turns a link off; a visitor with a dead link is told so plainly."""

import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import timezone

from journeys import services
from journeys.exceptions import AccessDenied, InvalidInput
from journeys.models import JourneyEvent, ShareLink
from journeys.permissions import Role
from journeys.realtime.routing import websocket_urlpatterns
from tests.factories import OpportunityFactory, PersonaFactory, UserFactory


def share(actor, journey, **fields) -> ShareLink:
    return services.share_link_create(actor=actor, journey_id=journey.pk, **fields)


def editor_data(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="editor-data" type="application/json">') + len(
        '<script id="editor-data" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


# --- Creating and listing ---------------------------------------------------------------------


def test_an_editor_shares_a_map_and_sees_the_link_listed(client_for, editor, five_phase_map):
    journey = five_phase_map.journey
    api = client_for(editor)
    created = api.post(
        f"/api/journeys/{journey.pk}/share-links/",
        {"target": "map", "label": "Board meeting"},
        format="json",
    )
    assert created.status_code == 201, created.content
    link = ShareLink.objects.get()
    assert created.json()["url"] == f"http://testserver/s/{link.token}/"
    assert created.json()["state"] == "active"
    assert len(link.token) >= 40  # 256 random bits, URL-safe
    listed = api.get(f"/api/journeys/{journey.pk}/share-links/").json()
    assert [(item["label"], item["created_by"]) for item in listed] == [
        ("Board meeting", editor.get_full_name())
    ]


def test_a_new_link_is_recorded_and_broadcast_without_its_token(
    editor, five_phase_map, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        link = share(editor, five_phase_map.journey, target="dashboard")
    event = JourneyEvent.objects.filter(kind="share_link_created").get()
    assert event.payload["share_link"]["id"] == link.pk
    assert event.payload["share_link"]["target"] == "dashboard"
    # Viewers of the map receive the same events: the token must not travel with them.
    assert link.token not in json.dumps(event.payload)
    assert len(callbacks) == 1


def test_every_link_has_its_own_token(editor, five_phase_map):
    tokens = {share(editor, five_phase_map.journey).token for _ in range(5)}
    assert len(tokens) == 5


def test_an_expiry_in_the_past_is_refused(editor, five_phase_map):
    with pytest.raises(InvalidInput):
        share(editor, five_phase_map.journey, expires_at=timezone.now() - timedelta(minutes=1))
    assert not ShareLink.objects.exists()


def test_a_share_link_expiry_beyond_90_days_is_refused(client_for, editor, five_phase_map):
    # The share dialog offers 1 to 90 days, or no expiry; the API holds to the same.
    api = client_for(editor)
    url = f"/api/journeys/{five_phase_map.journey.pk}/share-links/"
    refused = api.post(url, {"expires_at": "9999-12-31T00:00:00Z"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid"
    assert "90 days" in refused.json()["errors"]["expires_at"][0]
    assert not ShareLink.objects.exists()

    in_90_days = (timezone.now() + timedelta(days=90)).isoformat()
    assert api.post(url, {"expires_at": in_90_days}, format="json").status_code == 201
    assert api.post(url, {"expires_at": None}, format="json").status_code == 201
    assert ShareLink.objects.count() == 2


def test_viewers_do_not_read_share_link_labels_through_events(
    client_for, editor, viewer, five_phase_map
):
    journey = five_phase_map.journey
    before = journey.revision
    link = share(
        editor, journey, label="For the board", expires_at=timezone.now() + timedelta(days=7)
    )
    services.share_link_revoke(actor=editor, share_link_id=link.pk)
    url = f"/api/journeys/{journey.pk}/events/"

    for params in ({"after": before}, {"after": before, "limit": 10}):
        seen = client_for(viewer).get(url, params)
        assert seen.status_code == 200
        events = seen.json()["events"]
        # Still numbered, so the viewer's map sees no gap; nothing about the links themselves.
        assert [(e["revision"], e["kind"], e["payload"]) for e in events] == [
            (before + 1, "map_changed", {}),
            (before + 2, "map_changed", {}),
        ]
        assert "For the board" not in seen.content.decode()

    shared = client_for(editor).get(url, {"after": before}).json()["events"]
    assert [e["kind"] for e in shared] == ["share_link_created", "share_link_revoked"]
    assert shared[0]["payload"]["share_link"]["label"] == "For the board"


def test_a_viewer_can_neither_share_nor_see_the_links(client_for, viewer, editor, five_phase_map):
    journey = five_phase_map.journey
    share(editor, journey)
    api = client_for(viewer)
    assert (
        api.post(f"/api/journeys/{journey.pk}/share-links/", {}, format="json").status_code == 403
    )
    assert api.get(f"/api/journeys/{journey.pk}/share-links/").status_code == 403
    assert ShareLink.objects.count() == 1


def test_a_restricted_map_is_shared_by_its_owner_only(editor, other_editor):
    journey = services.journey_create(actor=editor, title="Confidential", is_restricted=True)
    journey.collaborators.add(other_editor)
    with pytest.raises(AccessDenied):
        share(other_editor, journey)
    assert share(editor, journey).journey_id == journey.pk


# --- Visiting ---------------------------------------------------------------------------------


def test_a_visitor_without_an_account_reads_the_map(editor, five_phase_map):
    journey = five_phase_map.journey
    five_phase_map.add_card(editor, "Compares <b>prices</b>")
    link = share(editor, journey)
    response = Client().get(f"/s/{link.token}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Buying a bike" in html and "Shared view" in html
    assert "<b>prices</b>" not in html  # user text is escaped, here inside the JSON too
    data = editor_data(response)
    assert (data["canEdit"], data["shared"], data["me"]) == (False, True, None)
    assert data["liveUrl"] == f"/ws/share/{link.token}/"
    assert [card["text"] for cell in data["map"]["cells"] for card in cell["cards"]] == [
        "Compares <b>prices</b>"
    ]
    # No edit controls, no way to re-share.
    assert 'data-action="undo"' not in html and 'data-action="share"' not in html
    # The token stays out of Referer headers and search engines.
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]
    link.refresh_from_db()
    assert link.opened_count == 1 and link.last_opened_at is not None


def test_a_visitor_is_counted_once_however_often_they_open_the_link(editor, five_phase_map):
    link = share(editor, five_phase_map.journey, target="dashboard")
    visitor = Client()
    for _ in range(3):
        assert visitor.get(f"/s/{link.token}/").status_code == 200
        # The page's own data requests (its live refresh) are no visits.
        assert visitor.get(f"/s/{link.token}/data/").status_code == 200
    link.refresh_from_db()
    assert link.opened_count == 1

    # Someone else, or a cookie that was not ours to give, is a visitor of their own.
    Client().get(f"/s/{link.token}/")
    forged = Client()
    forged.cookies["jb_opened"] = str(link.pk)
    forged.get(f"/s/{link.token}/")
    link.refresh_from_db()
    assert link.opened_count == 3


def test_a_visitor_learns_only_the_names_the_map_needs(editor, five_phase_map):
    journey = five_phase_map.journey
    owner = UserFactory(username="otto-owner", first_name="Otto", last_name="Owner")
    UserFactory(username="someone-else", first_name="Sam")
    OpportunityFactory(journey=journey, phase=five_phase_map.phases[0], owner=owner)
    persona = PersonaFactory(name="Olivia", photo="personas/olivia.png")
    services.journey_update(
        actor=editor,
        journey_id=journey.pk,
        version=journey.version,
        changes={"persona_id": persona.pk},
    )
    data = editor_data(Client().get(f"/s/{share(editor, journey).token}/"))
    assert [person["name"] for person in data["people"]] == ["Otto Owner"]
    assert data["map"]["persona"]["name"] == "Olivia"
    assert data["map"]["persona"]["photo"] is None  # photos are served to signed-in users only
    assert data["map"]["owner"]["username"] == ""
    assert "surveySources" not in data and "personas" not in data


def test_a_revoked_link_says_it_is_no_longer_valid(editor, five_phase_map):
    link = share(editor, five_phase_map.journey)
    services.share_link_revoke(actor=editor, share_link_id=link.pk)
    response = Client().get(f"/s/{link.token}/")
    assert response.status_code == 410
    assert "This link is no longer valid" in response.content.decode()
    assert "turned the link off" in response.content.decode()
    assert "Buying a bike" not in response.content.decode()


def test_an_expired_link_says_so(editor, five_phase_map):
    link = share(editor, five_phase_map.journey, expires_at=timezone.now() + timedelta(hours=1))
    ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().get(f"/s/{link.token}/")
    assert response.status_code == 410
    assert "has expired" in response.content.decode()


def test_a_made_up_token_gets_the_same_page_as_a_dead_link(db):
    response = Client().get("/s/not-a-real-token/")
    assert response.status_code == 404
    assert "This link is no longer valid" in response.content.decode()


def test_revoking_is_recorded_and_twice_is_harmless(client_for, editor, five_phase_map):
    link = share(editor, five_phase_map.journey)
    api = client_for(editor)
    first = api.post(f"/api/share-links/{link.pk}/revoke/")
    again = api.post(f"/api/share-links/{link.pk}/revoke/")
    assert (first.status_code, again.status_code) == (200, 200)
    assert (
        first.json()["state"] == "revoked"
        and first.json()["revoked_at"] == again.json()["revoked_at"]
    )
    assert JourneyEvent.objects.filter(kind="share_link_revoked").count() == 1


def test_the_shared_page_costs_the_same_queries_for_any_map_size(
    editor, five_phase_map, django_assert_num_queries
):
    link = share(editor, five_phase_map.journey)
    client = Client()
    client.get(f"/s/{link.token}/")  # warm caches (content types, sessions)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(f"/s/{link.token}/")
    for n in range(30):
        five_phase_map.add_card(editor, f"Card {n}", phase=five_phase_map.phases[n % 5])
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(f"/s/{link.token}/").status_code == 200


# --- Live, over the link's own socket ---------------------------------------------------------

application = URLRouter(websocket_urlpatterns)


async def visit(token: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, f"/ws/share/{token}/")
    communicator.scope["user"] = AnonymousUser()
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def frame(communicator, timeout=3) -> dict:
    return json.loads(await communicator.receive_from(timeout=timeout))


@database_sync_to_async
def shared_map():
    owner = UserFactory(role=Role.EDITOR)
    journey = services.journey_create(actor=owner, title="Live", template="five_phase")
    link = services.share_link_create(actor=owner, journey_id=journey.pk)
    return owner, journey, link


@pytest.mark.django_db(transaction=True)
async def test_a_visitor_sees_changes_live_but_cannot_edit_or_be_seen():
    owner, journey, link = await shared_map()
    socket = await visit(link.token)
    hello = await frame(socket)
    assert (hello["type"], hello["can_edit"], hello["presence"]) == ("hello", False, [])
    phase = await database_sync_to_async(lambda: journey.phases.order_by("position").first())()
    await database_sync_to_async(services.phase_update)(
        actor=owner, phase_id=phase.pk, version=phase.version, changes={"name": "Noticing"}
    )
    event = await frame(socket)
    assert (event["type"], event["kind"]) == ("event", "phase_updated")
    assert event["payload"]["phase"]["name"] == "Noticing"
    await socket.send_to(
        text_data=json.dumps(
            {"type": "edit", "id": "x", "action": "phase.update", "data": {"id": phase.pk}}
        )
    )
    refused = await frame(socket)
    assert (refused["type"], refused["code"]) == ("error", "permission_denied")
    await socket.send_to(text_data=json.dumps({"type": "presence", "cell": None}))
    assert (await frame(socket))["code"] == "permission_denied"
    await socket.send_to(text_data=json.dumps({"type": "resync", "after": 0}))
    assert (await frame(socket))["type"] == "events"
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_viewers_do_not_read_share_link_labels_live():
    owner, journey, _ = await shared_map()
    viewer = await database_sync_to_async(UserFactory)(role=Role.VIEWER)
    sockets = {}
    for who, user in (("owner", owner), ("viewer", viewer)):
        sockets[who] = WebsocketCommunicator(application, f"/ws/journeys/{journey.pk}/?watch=1")
        sockets[who].scope["user"] = user
        assert (await sockets[who].connect())[0]
        assert (await frame(sockets[who]))["type"] == "hello"
    await database_sync_to_async(services.share_link_create)(
        actor=owner, journey_id=journey.pk, label="For the board"
    )
    seen = {who: await frame(socket) for who, socket in sockets.items()}
    assert seen["owner"]["kind"] == "share_link_created"
    assert seen["owner"]["payload"]["share_link"]["label"] == "For the board"
    assert (seen["viewer"]["kind"], seen["viewer"]["payload"]) == ("map_changed", {})
    assert seen["viewer"]["revision"] == seen["owner"]["revision"]

    # Replayed, too: a viewer's resync is projected the same way.
    await sockets["viewer"].send_to(
        text_data=json.dumps({"type": "resync", "after": seen["viewer"]["revision"] - 1})
    )
    replay = await frame(sockets["viewer"])
    assert [(e["kind"], e["payload"]) for e in replay["events"]] == [("map_changed", {})]
    for socket in sockets.values():
        await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_revoking_a_link_disconnects_its_visitors():
    owner, _, link = await shared_map()
    socket = await visit(link.token)
    await frame(socket)  # hello
    await database_sync_to_async(services.share_link_revoke)(actor=owner, share_link_id=link.pk)
    # The revocation's own event may arrive first; then the socket closes with 4410.
    while True:
        output = await socket.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            break
    assert output["code"] == 4410


@pytest.mark.django_db(transaction=True)
async def test_a_dead_link_socket_is_closed_with_its_code():
    socket = await visit("no-such-token")
    assert await socket.receive_output(timeout=3) == {"type": "websocket.close", "code": 4410}


# --- A shared dashboard -----------------------------------------------------------------------


def test_a_visitor_reads_a_shared_dashboard_without_comments_or_links_into_the_map(
    editor, five_phase_map
):
    journey = five_phase_map.journey
    OpportunityFactory(journey=journey, phase=five_phase_map.phases[0], title="Live chat")
    link = share(editor, journey, target="dashboard")
    client = Client()
    page = client.get(f"/s/{link.token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="journey-dashboard"' in html and "Shared view" in html
    assert f'data-data-url="/s/{link.token}/data/"' in html
    assert f'data-socket-path="/ws/share/{link.token}/"' in html
    assert 'data-opportunity-url=""' in html and "Open the map" not in html
    assert "Most negative comments" not in html
    data = client.get(f"/s/{link.token}/data/", {"window": "30"})
    assert data.status_code == 200
    body = data.json()
    assert body["comments"] == [] and body["window"]["preset"] == "30"
    assert "Live chat" in json.dumps(body)


def test_a_revoked_dashboard_link_stops_its_data_too(editor, five_phase_map):
    link = share(editor, five_phase_map.journey, target="dashboard")
    services.share_link_revoke(actor=editor, share_link_id=link.pk)
    client = Client()
    assert client.get(f"/s/{link.token}/").status_code == 410
    assert client.get(f"/s/{link.token}/data/").status_code == 410


def test_a_map_link_does_not_open_the_dashboard_data(editor, five_phase_map):
    link = share(editor, five_phase_map.journey, target="map")
    assert Client().get(f"/s/{link.token}/data/").status_code == 404
