"""One way in for every edit: REST, a socket frame and the Django admin are doors onto the same
table of actions, so the same edit records the same event and meets the same refusals."""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator
from django.test import Client
from django.urls import reverse
from django.utils.text import slugify
from rest_framework.test import APIClient

from journeys import services
from journeys.admin import refusal_text
from journeys.models import Journey, JourneyEvent, Lane
from journeys.permissions import Role
from journeys.realtime.routing import websocket_urlpatterns
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
PLURAL = {"card": "cards", "touchpoint": "touchpoints", "emotion": "emotions", "phase": "phases"}


class Rest:
    def __init__(self, actor, journey) -> None:
        self.client = APIClient()
        self.client.force_authenticate(actor)

    def create(self, kind, data):
        return self._answer(self.client.post(f"/api/{PLURAL[kind]}/", data, format="json"))

    def update(self, kind, pk, data):
        url = f"/api/{PLURAL[kind]}/{pk}/"
        return self._answer(self.client.patch(url, data, format="json"))

    def delete(self, kind, pk):
        return self._answer(self.client.delete(f"/api/{PLURAL[kind]}/{pk}/"))

    @staticmethod
    def _answer(response):
        body = response.json() if response.content else {}
        return ("ok", body) if response.status_code < 400 else ("refused", refusal_text(body))


class Socket:
    """Frames over a live socket on the map (the consumer runs on its own event loop)."""

    def __init__(self, actor, journey) -> None:
        self.actor, self.journey = actor, journey

    def _send(self, action, data):
        async def exchange():
            socket = WebsocketCommunicator(
                URLRouter(websocket_urlpatterns), f"/ws/journeys/{self.journey.pk}/"
            )
            socket.scope["user"] = self.actor
            await socket.connect()
            frame = {"type": "edit", "id": "e", "action": action, "data": data}
            await socket.send_to(text_data=json.dumps(frame))
            while True:
                answer = json.loads(await socket.receive_from(timeout=5))
                if answer["type"] in ("ack", "error"):
                    await socket.disconnect()
                    return answer

        # A layer of this exchange's own: each runs on an event loop of its own.
        channel_layers.backends.clear()
        answer = async_to_sync(exchange)()
        return (
            ("ok", answer["object"])
            if answer["type"] == "ack"
            else ("refused", refusal_text(answer))
        )

    def create(self, kind, data):
        return self._send(f"{kind}.create", {k: v for k, v in data.items() if k != "journey"})

    def update(self, kind, pk, data):
        return self._send(f"{kind}.update", {"id": pk, **data})

    def delete(self, kind, pk):
        return self._send(f"{kind}.delete", {"id": pk})


class Admin:
    """The Django admin's add, change and delete forms, posted as an admin's browser would."""

    FORM = {
        "card": ("journey", "phase", "lane", "text", "color", "tag"),
        "touchpoint": (
            "journey",
            "phase",
            "lane",
            "name",
            "channel",
            "department",
            "description",
            "code",
        ),
        "emotion": ("journey", "phase", "score", "label", "emoji", "note"),
    }

    def __init__(self, actor, journey) -> None:
        self.client = Client()
        self.client.force_login(actor)
        self.journey = journey

    def _url(self, kind, view, *args):
        app = "touchpoints" if kind == "touchpoint" else "journeys"
        return reverse(f"admin:{app}_{kind}_{view}", args=args)

    def _form(self, kind, data, current=None):
        values = {**(current or {}), **data, "journey": self.journey.pk}
        form = {field: values.get(field, "") for field in self.FORM[kind]}
        return {k: ("" if v is None else v) for k, v in form.items()}

    def _answer(self, response, model_kind):
        # Followed to the page it leads to, which shows (and so uses up) this step's messages.
        refusals = [m.message for m in response.context["messages"] if m.level_tag == "error"]
        if refusals:
            return "refused", refusals[-1]
        return "ok", self._latest(model_kind)

    def _latest(self, kind):
        event = JourneyEvent.objects.filter(journey=self.journey).order_by("-revision").first()
        return event.payload.get(kind) if event else None

    def create(self, kind, data):
        response = self.client.post(self._url(kind, "add"), self._form(kind, data), follow=True)
        return self._answer(response, kind)

    def update(self, kind, pk, data):
        data = {k: v for k, v in data.items() if k != "version"}
        current = REST_SHAPE[kind](pk)
        form = self._form(kind, data, current)
        response = self.client.post(self._url(kind, "change", pk), form, follow=True)
        return self._answer(response, kind)

    def delete(self, kind, pk):
        response = self.client.post(self._url(kind, "delete", pk), {"post": "yes"}, follow=True)
        return self._answer(response, kind)


def _card_shape(pk):
    from journeys.models import Card

    card = Card.objects.get(pk=pk)
    return {"phase": card.phase_id, "lane": card.lane_id, "text": card.text}


REST_SHAPE = {"card": _card_shape}
DOORS = {"rest": Rest, "socket": Socket, "admin": Admin}


@pytest.fixture
def setting(db):
    actor = UserFactory(username="ada", role=Role.ADMIN, is_staff=True, is_superuser=True)
    journey = services.journey_create(actor=actor, title="Claiming", template="five_phase")
    phases = list(journey.phases.order_by("position"))
    lanes = {lane.kind: lane for lane in journey.lanes.all()}
    return actor, journey, phases, lanes


def _events_since(journey, revision):
    events = JourneyEvent.objects.filter(journey=journey, revision__gt=revision)
    return [(e.kind, e.payload) for e in events.order_by("revision")]


def _without_ids(payload: dict) -> dict:
    """An event's payload with what differs from run to run (ids, versions, times) left out."""
    volatile = {"id", "journey", "phase", "lane", "created_at", "updated_at", "updated_by"}
    volatile |= {"created_by", "version", "renumbered"}
    return {
        key: _without_ids(value) if isinstance(value, dict) else value
        for key, value in payload.items()
        if key not in volatile
    }


def _story(door_name, setting):
    """One editing session through one door: what it recorded and how each step was answered."""
    actor, journey, phases, lanes = setting
    door = DOORS[door_name](actor, journey)
    start = Journey.objects.get(pk=journey.pk).revision
    answers = {}
    answers["card"] = door.create(
        "card",
        {
            "journey": journey.pk,
            "phase": phases[0].pk,
            "lane": lanes[Lane.Kind.ACTIONS].pk,
            "text": "  Calls the helpline  ",
        },
    )
    card = answers["card"][1]
    answers["card edit"] = door.update(
        "card", card["id"], {"text": "Calls twice", "version": card["version"]}
    )
    answers["touchpoint"] = door.create(
        "touchpoint",
        {
            "journey": journey.pk,
            "phase": phases[1].pk,
            "lane": lanes[Lane.Kind.TOUCHPOINTS].pk,
            "name": "Live chat",
            "channel": "website",
            "department": "service",
        },
    )
    emotion = {"journey": journey.pk, "phase": phases[2].pk, "score": -2, "label": "Anxious"}
    answers["emotion"] = door.create("emotion", emotion)
    answers["second emotion"] = door.create("emotion", {**emotion, "score": 1})
    answers["phase with cards"] = door.delete("phase", phases[0].pk)
    return answers, _events_since(journey, start)


@pytest.mark.parametrize("door", ["socket", "admin"])
def test_the_same_edits_through_every_door_record_the_same_events(door, setting, db):
    rest_answers, rest_events = _story("rest", setting)
    # The same story again on a fresh map of the same shape, through the other door.
    actor = setting[0]
    journey = services.journey_create(actor=actor, title="Claiming", template="five_phase")
    other = (
        actor,
        journey,
        list(journey.phases.order_by("position")),
        {lane.kind: lane for lane in journey.lanes.all()},
    )
    answers, events = _story(door, other)

    assert (
        [kind for kind, _ in events]
        == [kind for kind, _ in rest_events]
        == [
            "card_created",
            "card_updated",
            "touchpoint_created",
            "emotion_created",
        ]
    )
    assert [_without_ids(p) for _, p in events] == [_without_ids(p) for _, p in rest_events]
    # The text is trimmed and the touchpoint's code derived whichever door it came through.
    assert events[0][1]["card"]["text"] == "Calls the helpline"
    assert events[2][1]["touchpoint"]["code"] == slugify(f"{other[2][1].name} Live chat")
    # The same refusals, in the same words.
    for step in ("second emotion", "phase with cards"):
        assert answers[step][0] == rest_answers[step][0] == "refused", step
        assert rest_answers[step][1] in answers[step][1], step
