"""Typeform pushes each new response to the webhook: only a correctly signed delivery is taken,
and a delivery Typeform retries is counted once."""

import base64
import hashlib
import hmac
import json

import pytest
from django.test import Client

from feedback.models import SurveyResponse
from tests.factories import SurveySourceFactory
from touchpoints import services as touchpoint_services

pytestmark = pytest.mark.django_db

SECRET = "whsec-test-secret"


def _delivery(
    token: str = "tok-1", nps: int = 9, submitted_at: str = "2024-06-01T12:00:00Z"
) -> bytes:
    return json.dumps(
        {
            "event_id": f"evt-{token}-{submitted_at}",
            "event_type": "form_response",
            "form_response": {
                "form_id": "FORM1",
                "token": token,
                "landed_at": submitted_at,
                "submitted_at": submitted_at,
                "hidden": {"touchpoint": "delivery"},
                "answers": [
                    {"type": "number", "number": nps, "field": {"id": "f1", "ref": "nps"}},
                    {
                        "type": "text",
                        "text": "Arrived early, well packed",
                        "field": {"id": "f2", "ref": "comment"},
                    },
                ],
            },
        }
    ).encode()


def _signature(body: bytes, secret: str = SECRET) -> str:
    # As Typeform documents it: base64 of the HMAC-SHA256 of the raw body, prefixed "sha256=".
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


@pytest.fixture
def typeform_source(five_phase_map, editor):
    touchpoint = touchpoint_services.touchpoint_create(
        actor=editor,
        journey_id=five_phase_map.journey.pk,
        phase_id=five_phase_map.phases[3].pk,
        name="Home delivery",
        code="delivery",
    )
    source = SurveySourceFactory(
        journey=five_phase_map.journey,
        kind="typeform",
        credentials={"access_token": "tfp_x", "webhook_secret": SECRET},
        field_mapping={"nps": "nps", "comment": "comment", "touchpoint": "hidden.touchpoint"},
    )
    source.touchpoint = touchpoint
    return source


def _post(source, body: bytes, signature: str | None):
    headers = {"HTTP_TYPEFORM_SIGNATURE": signature} if signature else {}
    # No session and no CSRF token: Typeform is not a signed-in browser.
    return Client(enforce_csrf_checks=True).post(
        f"/api/webhooks/typeform/{source.pk}/", body, content_type="application/json", **headers
    )


def test_a_signed_delivery_lands_on_its_touchpoint_once(typeform_source):
    body = _delivery()
    first = _post(typeform_source, body, _signature(body))
    assert first.status_code == 200, first.content
    assert first.json() == {"imported": 1, "updated": 0}
    again = _post(typeform_source, body, _signature(body))  # Typeform retries a delivery
    assert again.json() == {"imported": 0, "updated": 0}
    response = SurveyResponse.objects.get()
    assert (response.external_id, response.nps) == ("tok-1", 9)
    assert response.touchpoint == typeform_source.touchpoint


def test_a_wrong_or_missing_signature_writes_nothing(typeform_source):
    body = _delivery()
    assert _post(typeform_source, body, _signature(body, "another-secret")).status_code == 403
    assert _post(typeform_source, body, None).status_code == 403
    tampered = _delivery(nps=0)
    assert _post(typeform_source, tampered, _signature(body)).status_code == 403
    assert not SurveyResponse.objects.exists()


def test_an_unknown_source_answers_like_a_bad_signature(typeform_source):
    body = _delivery()
    typeform_source.pk += 1000
    assert _post(typeform_source, body, _signature(body)).status_code == 403


def test_a_response_out_of_scale_is_refused_with_its_reason(typeform_source):
    body = _delivery(nps=12)
    answer = _post(typeform_source, body, _signature(body))
    assert answer.status_code == 400
    assert "NPS scale" in json.dumps(answer.json())
    assert not SurveyResponse.objects.exists()


def test_an_older_webhook_delivery_does_not_overwrite_a_newer_one(typeform_source):
    older = _delivery(nps=9, submitted_at="2024-06-01T12:00:00Z")
    newer = _delivery(nps=3, submitted_at="2024-06-02T08:30:00Z")
    assert _post(typeform_source, older, _signature(older)).json() == {"imported": 1, "updated": 0}
    assert _post(typeform_source, newer, _signature(newer)).json() == {"imported": 0, "updated": 1}

    replayed = _post(typeform_source, older, _signature(older))  # signed, but stale

    assert replayed.status_code == 200
    assert replayed.json() == {"imported": 0, "updated": 0}
    response = SurveyResponse.objects.get()
    assert (response.nps, response.submitted_at.isoformat()) == (3, "2024-06-02T08:30:00+00:00")


def test_a_signed_body_of_the_wrong_shape_is_a_400(typeform_source):
    delivery = json.loads(_delivery())
    for answers in (5, "nine", {"nps": 9}):
        delivery["form_response"]["answers"] = answers
        body = json.dumps(delivery).encode()
        answer = _post(typeform_source, body, _signature(body))
        assert answer.status_code == 400, (answers, answer.content)
        assert answer.json()["errors"] == {
            "form_response": ["A Typeform response's answers is not a list."]
        }
    delivery["form_response"]["answers"] = [{"type": "choice", "choice": 5}, 7]
    delivery["form_response"]["variables"] = [{"key": "score", "type": ["number"]}]
    body = json.dumps(delivery).encode()
    # Values of the wrong type inside the lists read as absent, and the row says what is missing.
    answer = _post(typeform_source, body, _signature(body))
    assert answer.status_code == 400
    assert answer.json()["errors"] == {
        "form_response": [
            "The response cannot be imported (row: The row has no score and no comment.)."
        ]
    }
    assert not SurveyResponse.objects.exists()


def test_a_delivery_is_read_with_the_sources_saved_value_map_and_time_zone(typeform_source):
    # The form's 0–10 question was built 1–12 by mistake; the team mapped the top two down,
    # and "12" (a "not sure" button) to no answer.
    typeform_source.import_settings = {
        "score_values": {"nps": {"11": 10, "12": None}},
        "time_zone": "Europe/Paris",
        "attribute_columns": ["hidden.touchpoint"],
    }
    typeform_source.save()
    body = _delivery(token="tok-11", nps=11, submitted_at="2024-06-01T12:00:00")
    assert _post(typeform_source, body, _signature(body)).json() == {"imported": 1, "updated": 0}
    unsure = _delivery(token="tok-12", nps=12)
    assert _post(typeform_source, unsure, _signature(unsure)).status_code == 200

    eleven = SurveyResponse.objects.get(external_id="tok-11")
    assert eleven.nps == 10
    # Typeform's times are UTC (its connector says so): the zone is for times without one.
    assert eleven.submitted_at.isoformat() == "2024-06-01T12:00:00+00:00"
    assert eleven.attributes == {"hidden.touchpoint": "delivery"}
    twelve = SurveyResponse.objects.get(external_id="tok-12")
    assert (twelve.nps, twelve.comment) == (None, "Arrived early, well packed")
