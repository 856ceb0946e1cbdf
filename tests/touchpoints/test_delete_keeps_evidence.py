"""Evidence is never lost by a slip: a touchpoint holding survey responses is deleted only when
the editor confirms, knowing how many responses and opportunities it holds; undo (a touchpoint
created again with its code) brings back every match, the opportunity links and the metrics."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile

from feedback import services as feedback_services
from feedback.models import ResponseRollup, SurveyResponse
from feedback.selectors import journey_metrics
from journeys import services
from journeys.models import Emotion, Journey, JourneyEvent, Lane, Opportunity
from journeys.permissions import Role
from journeys.realtime.routing import websocket_urlpatterns
from tests.factories import SurveySourceFactory, UserFactory
from touchpoints import services as touchpoint_services
from touchpoints.models import Touchpoint

HEADER = "response_id,submitted_at,nps,csat,ces,comment,channel,touchpoint\n"
# Three name the checkout by its code; one names a code no touchpoint has (matched by hand).
ROWS = [
    "c1,2026-03-01,10,5,2,Quick and easy,web,checkout",
    "c2,2026-03-02,9,5,1,,web,checkout",
    "c3,2026-03-03,10,4,2,,web,checkout",
    "h1,2026-03-04,8,4,3,,web,PAY-DESK",
]


def survey_map(editor):
    """A five-phase map whose checkout touchpoint holds four responses (one matched by hand)
    and has an opportunity linked to it."""
    journey = services.journey_create(actor=editor, title="Buying a bike", template="five_phase")
    phases = list(journey.phases.order_by("position"))
    checkout = touchpoint_services.touchpoint_create(
        actor=editor, journey_id=journey.pk, phase_id=phases[2].pk, name="Checkout", code="checkout"
    )
    source = SurveySourceFactory(journey=journey)
    upload = SimpleUploadedFile("survey.csv", (HEADER + "\n".join(ROWS) + "\n").encode())
    run = feedback_services.import_file_start(actor=editor, source=source, upload=upload)
    feedback_services.import_run_execute(run.pk)
    mapped = feedback_services.unmatched_assign(
        actor=editor,
        source=source,
        touchpoint_id=checkout.pk,
        group={"touchpoint_code": "PAY-DESK", "channel": "web", "phase_name": ""},
    )
    assert mapped == 1
    opportunity = services.opportunity_create(
        actor=editor,
        journey_id=journey.pk,
        phase_id=phases[2].pk,
        title="One-click checkout",
        touchpoint_id=checkout.pk,
    )
    return journey, phases, checkout, opportunity


def matched_to(touchpoint_id) -> list[str]:
    rows = SurveyResponse.objects.filter(touchpoint_id=touchpoint_id)
    return sorted(rows.values_list("external_id", flat=True))


def voc_emotions(journey) -> list[tuple[int, int]]:
    rows = Emotion.objects.filter(journey=journey, source=Emotion.Source.VOC)
    return list(rows.values_list("phase_id", "score"))


@pytest.mark.django_db
def test_a_touchpoint_holding_responses_is_not_deleted_without_confirming(client_for, editor):
    journey, _, checkout, opportunity = survey_map(editor)
    revision = Journey.objects.get(pk=journey.pk).revision

    answer = client_for(editor).delete(f"/api/touchpoints/{checkout.pk}/?version=1")

    assert answer.status_code == 409
    body = answer.json()
    assert body["code"] == "confirm_required"
    assert body["counts"] == {"responses": 4, "opportunities": 1}
    assert "4 survey responses and 1 linked opportunity" in body["detail"]
    # Nothing changed: still there, still matched, still linked, no revision spent.
    assert Touchpoint.objects.filter(pk=checkout.pk).exists()
    assert matched_to(checkout.pk) == ["c1", "c2", "c3", "h1"]
    assert Opportunity.objects.get(pk=opportunity.pk).touchpoint_id == checkout.pk
    assert Journey.objects.get(pk=journey.pk).revision == revision


@pytest.mark.django_db
def test_a_touchpoint_without_evidence_is_deleted_without_asking(client_for, editor):
    journey = services.journey_create(actor=editor, title="Empty", template="five_phase")
    lonely = touchpoint_services.touchpoint_create(
        actor=editor, journey_id=journey.pk, phase_id=journey.phases.first().pk, name="Kiosk"
    )
    answer = client_for(editor).delete(f"/api/touchpoints/{lonely.pk}/")
    assert answer.status_code == 204
    assert not Touchpoint.objects.filter(pk=lonely.pk).exists()


@pytest.mark.django_db
def test_a_confirmed_delete_then_undo_brings_back_every_match_link_and_metric(
    client_for, editor, django_capture_on_commit_callbacks
):
    journey, phases, checkout, opportunity = survey_map(editor)
    before = journey_metrics(journey_id=journey.pk)
    emotions_before = voc_emotions(journey)
    assert emotions_before, "the responses measure the checkout's phase"
    api = client_for(editor)

    with django_capture_on_commit_callbacks(execute=True) as sent:
        answer = api.delete(f"/api/touchpoints/{checkout.pk}/?version=1&confirm=true")
    assert answer.status_code == 204
    assert sent, "the delete is broadcast after commit"

    # Unmatched, not deleted: each remembers the touchpoint it lost, hand-matched one too.
    kept = SurveyResponse.objects.filter(source__journey=journey).order_by("external_id")
    assert [(r.external_id, r.touchpoint_id, r.unmatched_from) for r in kept] == [
        ("c1", None, "checkout"),
        ("c2", None, "checkout"),
        ("c3", None, "checkout"),
        ("h1", None, "checkout"),
    ]
    unlinked = Opportunity.objects.get(pk=opportunity.pk)
    assert (unlinked.touchpoint_id, unlinked.unlinked_from) == (None, "checkout")
    assert unlinked.version == opportunity.version + 1
    assert not ResponseRollup.objects.filter(journey=journey).exists()
    assert voc_emotions(journey) == []  # the map's customer curve is recounted without it
    deleted = JourneyEvent.objects.get(journey=journey, kind="touchpoint_deleted")
    assert deleted.payload["responses_unmatched"] == 4
    assert deleted.payload["changed"]["opportunity"][0]["touchpoint"] is None

    # The editor's undo: the same touchpoint created again, with its code.
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(
            "/api/touchpoints/",
            {
                "journey": journey.pk,
                "phase": phases[2].pk,
                "lane": journey.lanes.get(kind=Lane.Kind.TOUCHPOINTS).pk,
                "name": "Checkout",
                "code": "checkout",
            },
        )
    assert created.status_code == 201, created.json()
    again = created.json()["id"]
    assert matched_to(again) == ["c1", "c2", "c3", "h1"]
    assert not SurveyResponse.objects.exclude(unmatched_from="").exists()
    relinked = Opportunity.objects.get(pk=opportunity.pk)
    assert (relinked.touchpoint_id, relinked.unlinked_from) == (again, "")
    after = journey_metrics(journey_id=journey.pk)
    assert after["touchpoints"][str(again)] == before["touchpoints"][str(checkout.pk)]
    assert after["journey_metrics"] == before["journey_metrics"]
    assert voc_emotions(journey) == emotions_before
    # Open maps hear it all: the metrics (voc_updated) and the opportunity linked back.
    kinds = list(
        JourneyEvent.objects.filter(journey=journey, revision__gt=deleted.revision)
        .order_by("revision")
        .values_list("kind", flat=True)
    )
    assert kinds == ["touchpoint_created", "voc_updated", "evidence_restored"]
    restored = JourneyEvent.objects.get(journey=journey, kind="evidence_restored")
    assert restored.payload["responses_rematched"] == 4
    assert restored.payload["changed"]["opportunity"][0]["touchpoint"] == again


@pytest.mark.django_db
def test_a_touchpoint_created_with_another_code_takes_nothing_back(editor):
    journey, phases, checkout, opportunity = survey_map(editor)
    touchpoint_services.touchpoint_delete(actor=editor, touchpoint_id=checkout.pk, confirm=True)
    other = touchpoint_services.touchpoint_create(
        actor=editor, journey_id=journey.pk, phase_id=phases[2].pk, name="Till", code="till"
    )
    assert matched_to(other.pk) == []
    assert Opportunity.objects.get(pk=opportunity.pk).touchpoint_id is None


@pytest.mark.django_db
def test_a_phase_with_touchpoints_names_their_responses_and_keeps_them_unmatched(
    client_for, editor
):
    journey, phases, _, _ = survey_map(editor)
    api = client_for(editor)

    refused = api.delete(f"/api/phases/{phases[2].pk}/")
    assert refused.status_code == 409
    assert refused.json()["counts"]["survey_responses"] == 4
    assert "4 survey responses" in refused.json()["detail"]

    assert api.delete(f"/api/phases/{phases[2].pk}/?cascade=true").status_code == 204
    assert set(SurveyResponse.objects.values_list("unmatched_from", flat=True)) == {"checkout"}
    assert SurveyResponse.objects.filter(touchpoint__isnull=True).count() == 4
    assert voc_emotions(journey) == []


@pytest.mark.django_db
def test_a_map_or_survey_source_with_responses_is_deleted_only_when_confirmed(client_for, editor):
    journey, _, _, _ = survey_map(editor)
    api = client_for(editor)
    source = journey.survey_sources.get()

    refused = api.delete(f"/api/survey-sources/{source.pk}/")
    assert refused.status_code == 409
    assert refused.json()["counts"] == {"responses": 4}
    refused = api.delete(f"/api/journeys/{journey.pk}/")
    assert refused.status_code == 409
    assert refused.json()["counts"] == {"survey_sources": 1, "responses": 4}
    assert SurveyResponse.objects.count() == 4

    assert api.delete(f"/api/survey-sources/{source.pk}/?confirm=true").status_code == 204
    assert SurveyResponse.objects.count() == 0
    # Its responses' rollups and the curve they drew went with them.
    assert not ResponseRollup.objects.filter(journey=journey).exists()
    assert voc_emotions(journey) == []
    # With no survey data left, the map goes without asking.
    assert api.delete(f"/api/journeys/{journey.pk}/").status_code == 204


@pytest.mark.django_db
def test_a_viewer_cannot_delete_a_touchpoint_even_confirming(client_for, editor):
    _, _, checkout, _ = survey_map(editor)
    viewer = UserFactory(role=Role.VIEWER)
    answer = client_for(viewer).delete(f"/api/touchpoints/{checkout.pk}/?confirm=true")
    assert answer.status_code == 403
    assert matched_to(checkout.pk) == ["c1", "c2", "c3", "h1"]


# --- Over the socket, the same ---------------------------------------------------------------


async def _connect(user, journey_id):
    socket = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/journeys/{journey_id}/")
    socket.scope["user"] = user
    connected, _ = await socket.connect()
    assert connected
    return socket


async def _until(socket, frame_type):
    while True:
        frame = json.loads(await socket.receive_from(timeout=5))
        if frame["type"] == frame_type:
            return frame


@pytest.mark.django_db(transaction=True)
async def test_a_socket_delete_asks_first_and_a_confirmed_one_unmatches():
    editor = await database_sync_to_async(UserFactory)(role=Role.EDITOR)
    journey, _, checkout, _ = await database_sync_to_async(survey_map)(editor)
    socket = await _connect(editor, journey.pk)
    frame = {"type": "edit", "id": "d1", "action": "touchpoint.delete", "data": {"id": checkout.pk}}

    await socket.send_to(text_data=json.dumps(frame))
    refused = await _until(socket, "error")
    assert (refused["id"], refused["code"]) == ("d1", "confirm_required")
    assert refused["counts"] == {"responses": 4, "opportunities": 1}

    frame["id"], frame["data"]["confirm"] = "d2", True
    await socket.send_to(text_data=json.dumps(frame))
    ack = await _until(socket, "ack")
    assert ack["id"] == "d2"
    unmatched = await database_sync_to_async(
        lambda: SurveyResponse.objects.filter(unmatched_from="checkout").count()
    )()
    assert unmatched == 4
    await socket.disconnect()
