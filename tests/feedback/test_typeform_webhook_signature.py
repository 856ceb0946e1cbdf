"""Typeform webhooks: only correctly signed deliveries are trusted, and they become the same
records as a sync brings."""

import base64
import hashlib
import hmac
import json

from feedback.connectors import connector_for
from feedback.connectors.typeform import typeform_webhook_records, verify_typeform_signature
from tests.feedback.fake_vendors import FakeTypeform, typeform_item, vendor_at

SECRET = "whsec-journeyboard-test"


def signed(secret: str, body: bytes) -> str:
    """The header as Typeform documents it, computed here independently of the code."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode("ascii")


def delivery(response: dict) -> dict:
    return {
        "event_id": "01HXYZEVENT",
        "event_type": "form_response",
        "form_response": {
            "form_id": "tfJourney",
            "definition": {"id": "tfJourney", "title": "Journey feedback", "fields": []},
            **response,
        },
    }


def test_typeform_signature_accepts_only_the_right_hmac():
    body = json.dumps(delivery(typeform_item("tok1", "2024-05-01T10:00:00Z", nps=9))).encode()
    header = signed(SECRET, body)

    assert verify_typeform_signature(SECRET, body, header) is True
    assert verify_typeform_signature("another-secret", body, header) is False
    assert verify_typeform_signature(SECRET, body + b" ", header) is False  # body tampered
    assert verify_typeform_signature(SECRET, body, signed(SECRET, b"{}")) is False


def test_a_missing_or_malformed_signature_is_refused():
    body = b'{"event_type": "form_response"}'
    good = signed(SECRET, body)
    digest_hex = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()

    for header in (
        None,
        "",
        "sha256=",
        good.removeprefix("sha256="),  # no scheme
        "sha1=" + good.removeprefix("sha256="),
        "sha256=" + digest_hex,  # hex, not base64
        good + "x",
        "sha256=ä" + good.removeprefix("sha256="),
    ):
        assert verify_typeform_signature(SECRET, body, header) is False, header
    assert verify_typeform_signature("", body, signed("", body)) is False  # no secret set


def test_a_webhook_payload_becomes_the_same_record_as_the_api():
    item = typeform_item(
        "tokW1",
        "2024-05-01T10:00:00Z",
        nps=3,
        comment="Waited 40 minutes on hold",
        channel="Phone",
        hidden={"touchpoint": "support-call"},
    )
    with FakeTypeform([item]) as fake, vendor_at("typeform", fake):
        connector = connector_for(
            "typeform",
            {"form_id": "tfJourney"},
            {"access_token": "typeform-secret-token"},
        )
        (from_api,) = [r for b in connector.batches({}) for r in b.records]

    records = typeform_webhook_records(delivery(item))

    assert records == [from_api]
    assert records[0]["response_id"] == "tokW1"
    assert records[0]["nps"] == 3
    assert records[0]["hidden.touchpoint"] == "support-call"


def test_other_webhook_events_give_no_records():
    partial = {**delivery(typeform_item("tokP", "2024-05-01T10:00:00Z")), "event_type": "x"}

    assert typeform_webhook_records(partial) == []
    assert typeform_webhook_records({"event_type": "form_response"}) == []
