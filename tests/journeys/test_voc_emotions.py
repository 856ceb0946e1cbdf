"""The emotion measured from survey responses (VoC) is the customers' word: no editor overwrites
or deletes it, through any door — the service, REST, a socket frame or the admin."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator
from django.urls import reverse

from journeys import services
from journeys.exceptions import AccessDenied, NotFound
from journeys.models import Emotion, Journey, JourneyEvent
from journeys.permissions import Role
from journeys.realtime.routing import websocket_urlpatterns
from tests.factories import UserFactory


def _voc_emotion(journey, phase) -> Emotion:
    # As a VoC refresh leaves it (feedback.voc); how it got there is not what is tested here.
    return Emotion.objects.create(
        journey=journey, phase=phase, source=Emotion.Source.VOC, score=-2, label="n = 40"
    )


def _unchanged(emotion: Emotion, revision: int) -> None:
    current = Emotion.objects.get(pk=emotion.pk)
    assert (current.score, current.label, current.version) == (-2, "n = 40", 1)
    assert Journey.objects.get(pk=emotion.journey_id).revision == revision


@pytest.mark.django_db
def test_an_editor_cannot_update_or_delete_a_voc_emotion_through_the_service(
    five_phase_map, editor
):
    emotion = _voc_emotion(five_phase_map.journey, five_phase_map.phases[1])
    revision = Journey.objects.get(pk=five_phase_map.journey.pk).revision

    with pytest.raises(AccessDenied) as refused:
        services.emotion_update(
            actor=editor, emotion_id=emotion.pk, version=1, changes={"score": 3}
        )
    assert refused.value.code == "voc_emotion_read_only"
    with pytest.raises(AccessDenied) as refused:
        services.emotion_delete(actor=editor, emotion_id=emotion.pk, version=1)
    assert refused.value.code == "voc_emotion_read_only"

    _unchanged(emotion, revision)
    assert not JourneyEvent.objects.filter(kind__startswith="emotion_").exists()


@pytest.mark.django_db
def test_whoever_cannot_see_the_map_still_gets_not_found(five_phase_map):
    five_phase_map.journey.is_restricted = True
    five_phase_map.journey.save(update_fields=["is_restricted"])
    emotion = _voc_emotion(five_phase_map.journey, five_phase_map.phases[1])
    outsider = UserFactory(role=Role.EDITOR)
    with pytest.raises(NotFound):
        services.emotion_delete(actor=outsider, emotion_id=emotion.pk)


@pytest.mark.django_db
def test_the_api_refuses_an_edit_or_delete_of_a_voc_emotion(client_for, editor, five_phase_map):
    emotion = _voc_emotion(five_phase_map.journey, five_phase_map.phases[1])
    revision = Journey.objects.get(pk=five_phase_map.journey.pk).revision
    api = client_for(editor)

    patched = api.patch(f"/api/emotions/{emotion.pk}/", {"score": 3, "version": 1})
    assert patched.status_code == 403
    assert patched.json()["code"] == "voc_emotion_read_only"
    deleted = api.delete(f"/api/emotions/{emotion.pk}/?version=1")
    assert deleted.status_code == 403
    assert deleted.json()["code"] == "voc_emotion_read_only"

    _unchanged(emotion, revision)
    # The team's own estimate beside it stays the team's to change.
    team = api.post(
        "/api/emotions/",
        {"journey": five_phase_map.journey.pk, "phase": five_phase_map.phases[1].pk, "score": 1},
    ).json()
    assert api.delete(f"/api/emotions/{team['id']}/?version=1").status_code == 204


@pytest.mark.django_db(transaction=True)
async def test_a_socket_frame_editing_a_voc_emotion_gets_an_error_frame():
    @database_sync_to_async
    def make():
        editor = UserFactory(role=Role.EDITOR)
        journey = services.journey_create(actor=editor, title="Live", template="five_phase")
        emotion = _voc_emotion(journey, journey.phases.order_by("position")[1])
        return editor, journey, emotion

    editor, journey, emotion = await make()
    socket = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/journeys/{journey.pk}/")
    socket.scope["user"] = editor
    assert (await socket.connect())[0]
    assert json.loads(await socket.receive_from(timeout=5))["type"] == "hello"
    frames = [
        ("u", "emotion.update", {"id": emotion.pk, "version": 1, "score": 3}),
        ("d", "emotion.delete", {"id": emotion.pk, "version": 1}),
    ]
    for request_id, action, data in frames:
        await socket.send_to(
            text_data=json.dumps({"type": "edit", "id": request_id, "action": action, "data": data})
        )
        while (frame := json.loads(await socket.receive_from(timeout=5)))["type"] != "error":
            assert frame["type"] not in ("ack", "event"), frame
        assert (frame["id"], frame["code"]) == (request_id, "voc_emotion_read_only")
    await socket.disconnect()
    await database_sync_to_async(_unchanged)(emotion, journey.revision)


@pytest.mark.django_db
def test_the_admin_shows_a_voc_emotion_but_neither_changes_nor_deletes_it(
    client, admin_user, five_phase_map
):
    emotion = _voc_emotion(five_phase_map.journey, five_phase_map.phases[1])
    revision = Journey.objects.get(pk=five_phase_map.journey.pk).revision
    admin_user.is_staff = admin_user.is_superuser = True  # as seed_demo's admin
    admin_user.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(admin_user)
    change_url = reverse("admin:journeys_emotion_change", args=[emotion.pk])

    assert client.get(change_url).status_code == 200  # shown, read-only
    form = {
        "journey": emotion.journey_id,
        "phase": emotion.phase_id,
        "source": "voc",
        "score": 3,
        "label": "edited",
        "emoji": "",
        "note": "",
    }
    assert client.post(change_url, form).status_code == 403
    delete_url = reverse("admin:journeys_emotion_delete", args=[emotion.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    bulk = client.post(
        reverse("admin:journeys_emotion_changelist"),
        {"action": "delete_selected", "_selected_action": [emotion.pk], "post": "yes"},
    )
    assert bulk.status_code == 403  # the bulk action asks each object's delete permission

    _unchanged(emotion, revision)
