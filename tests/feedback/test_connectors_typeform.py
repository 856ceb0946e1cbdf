"""Typeform syncs, against a fake Responses API on a local port."""

from datetime import UTC, datetime, timedelta

import pytest

from feedback.connectors import ConnectorError, connector_for
from tests.feedback.fake_vendors import FakeTypeform, Waits, typeform_item, vendor_at

TOKEN = "typeform-secret-token"
RESPONSES = "/forms/tfJourney/responses"


def connect(fake: FakeTypeform, token: str = TOKEN, waits: Waits | None = None):
    with vendor_at("typeform", fake):
        return connector_for(
            "typeform",
            {"form_id": "tfJourney"},
            {"access_token": token, "webhook_secret": "not-used-for-syncs"},
            sleep=waits or Waits(),
        )


def at(minute: int) -> str:
    start = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    return (start + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")


def items(count: int) -> list[dict]:
    return [typeform_item(f"tok{i:03d}", at(i), nps=i % 11) for i in range(count)]


def test_typeform_responses_are_read_oldest_first_page_by_page():
    with FakeTypeform(items(5), max_page_size=2) as fake:
        batches = list(connect(fake).batches({}))

    assert fake.paths() == [RESPONSES] * 4  # 3 pages, then an empty one ends the sync
    first, *rest = fake.requests
    # Typeform's default order is newest first: the first page asks for the oldest.
    assert first.query == {"page_size": "1000", "completed": "true", "sort": "submitted_at,asc"}
    assert first.headers["authorization"] == f"Bearer {TOKEN}"
    assert [r.query.get("after") for r in rest] == ["tok001", "tok003", "tok004"]
    assert all("sort" not in r.query for r in rest)  # Typeform refuses after with sort

    assert [len(b.records) for b in batches] == [2, 2, 1]
    ids = [r["response_id"] for b in batches for r in b.records]
    assert ids == ["tok000", "tok001", "tok002", "tok003", "tok004"]
    assert [b.cursor for b in batches] == [
        {"after": "tok001"},
        {"after": "tok003"},
        {"after": "tok004"},
    ]
    assert all(b.total == 5 for b in batches)


def test_answers_are_keyed_by_ref_and_by_field_id():
    item = typeform_item(
        "tokABC",
        "2024-05-01T10:00:00Z",
        nps=9,
        comment="Loved the onboarding call",
        channel="Phone",
        recommend=True,
        hidden={"touchpoint": "onboarding-call", "customer": "c-42"},
    )
    with FakeTypeform([item]) as fake:
        ((record,),) = [b.records for b in connect(fake).batches({})]

    assert record == {
        "response_id": "tokABC",
        "submitted_at": "2024-05-01T10:00:00Z",
        "nps": 9,
        "fNps01": 9,
        "comment": "Loved the onboarding call",
        "fCom02": "Loved the onboarding call",
        "channel": "Phone",
        "fChn03": "Phone",
        "recommend": True,
        "fRec04": True,
        "hidden.touchpoint": "onboarding-call",
        "hidden.customer": "c-42",
    }


def test_a_sync_resumes_from_its_saved_cursor():
    given = items(5)
    with FakeTypeform(given, max_page_size=2) as fake:
        first = next(iter(connect(fake).batches({})))
        assert first.cursor == {"after": "tok001"}
        given.append(typeform_item("tok005", at(5), nps=10))  # arrives between syncs

        resumed = list(connect(fake).batches(first.cursor))

    restart = fake.requests[-(len(resumed) + 1)]
    assert restart.query == {"page_size": "1000", "completed": "true", "after": "tok001"}
    again = [r["response_id"] for b in resumed for r in b.records]
    assert again == ["tok002", "tok003", "tok004", "tok005"]  # none missing, none repeated
    assert resumed[-1].cursor == {"after": "tok005"}


def test_a_sync_with_nothing_new_yields_nothing():
    with FakeTypeform(items(3)) as fake:
        batches = list(connect(fake).batches({"after": "tok002"}))

    assert batches == []
    assert [r.query.get("after") for r in fake.requests] == ["tok002"]


def test_wrong_credentials_are_a_clear_error_without_the_token():
    wrong = "tfp_WRONG_token_789"
    with FakeTypeform(items(2)) as fake, pytest.raises(ConnectorError) as caught:
        list(connect(fake, token=wrong).batches({}))

    assert caught.value.code == "credentials_refused"
    assert str(caught.value) == "Typeform refused the credentials (HTTP 401)."
    assert wrong not in repr(caught.value)


def test_a_vendor_refusal_carries_typeforms_own_description():
    with FakeTypeform(items(2)) as fake, pytest.raises(ConnectorError) as caught:
        list(connect(fake).batches({"after": "tok-that-never-was"}))

    assert caught.value.code == "vendor_error"
    assert str(caught.value) == "Typeform refused the request (HTTP 400): unknown after token."


def test_an_unknown_form_is_not_found():
    with FakeTypeform(items(1)) as fake, vendor_at("typeform", fake):
        connector = connector_for("typeform", {"form_id": "nope"}, {"access_token": TOKEN})
        with pytest.raises(ConnectorError) as caught:
            list(connector.batches({}))

    assert caught.value.code == "not_found"
    assert "check the form id" in str(caught.value)
