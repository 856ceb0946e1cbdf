"""SurveyMonkey syncs, against a fake API v3 bulk responses endpoint on a local port."""

from datetime import UTC, datetime, timedelta

import pytest

from feedback.connectors import ConnectorError, connector_for
from feedback.connectors.base import iso_time
from tests.feedback.fake_vendors import (
    FakeSurveyMonkey,
    Waits,
    surveymonkey_response,
    vendor_at,
)

TOKEN = "surveymonkey-secret-token"
BULK = "/v3/surveys/412345678/responses/bulk"


def connect(fake: FakeSurveyMonkey, waits: Waits | None = None, token: str = TOKEN):
    with vendor_at("surveymonkey", fake):
        return connector_for(
            "surveymonkey",
            {"survey_id": "412345678"},
            {"access_token": token},
            sleep=waits or Waits(),
        )


def at(minute: int) -> str:
    start = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    return (start + timedelta(minutes=minute)).isoformat()


def responses(count: int) -> list[dict]:
    # Listed newest first: the connector must ask for the oldest first itself.
    return [
        surveymonkey_response(f"11400{i:04d}", at(i), {"101": i % 11, "102": f"comment {i}"})
        for i in reversed(range(count))
    ]


def test_surveymonkey_pages_are_followed_until_the_last():
    with FakeSurveyMonkey(responses(7), max_per_page=3) as fake:
        batches = list(connect(fake).batches({}))

    assert fake.paths() == [BULK] * 3
    first, second, third = fake.requests
    assert first.query == {
        "per_page": "100",
        "page": "1",
        "sort_by": "date_modified",
        "sort_order": "ASC",
        "simple": "true",
    }
    assert first.headers["authorization"] == f"Bearer {TOKEN}"
    assert (second.query["page"], third.query["page"]) == ("2", "3")  # from links.next
    assert third.query["sort_order"] == "ASC"  # the links keep the query

    assert [len(b.records) for b in batches] == [3, 3, 1]
    assert all(b.total == 7 for b in batches)
    ids = [r["response_id"] for b in batches for r in b.records]
    assert ids == [f"11400{i:04d}" for i in range(7)]  # oldest first, none twice
    assert [b.cursor for b in batches] == [{"since": at(2)}, {"since": at(5)}, {"since": at(6)}]


def test_answers_become_flat_records_keyed_by_question_id():
    response = surveymonkey_response(
        "114009999",
        "2024-05-01T10:00:00+00:00",
        {
            "201": 9,  # NPS
            "202": "The app kept logging me out",
            "203": ["Phone", "Chat"],  # several choices
            "204": {"r1": 4, "r2": 5},  # a matrix: one rating per row
        },
        custom={"touchpoint": "app-login", "segment": "b2c"},
    )
    with FakeSurveyMonkey([response]) as fake:
        (batch,) = list(connect(fake).batches({}))

    assert batch.records == [
        {
            "response_id": "114009999",
            "submitted_at": "2024-05-01T10:00:00+00:00",
            "modified_at": "2024-05-01T10:00:00+00:00",
            "201": 9,
            "202": "The app kept logging me out",
            "203": "Phone, Chat",
            "204": "4, 5",
            "204.r1": 4,
            "204.r2": 5,
            "custom.touchpoint": "app-login",
            "custom.segment": "b2c",
            "collector_id": "300000001",
            "response_status": "completed",
        }
    ]


def test_a_sync_resumes_from_its_saved_cursor():
    answers = {"101": 8}
    # Two responses modified in the same minute straddle the end of the first page.
    given = [
        surveymonkey_response("a1", at(1), answers),
        surveymonkey_response("a2", at(2), answers),
        surveymonkey_response("a3", at(3), answers),
        surveymonkey_response("a4", at(3), answers),
        surveymonkey_response("a5", at(4), answers),
        surveymonkey_response("a6", at(5), answers),
    ]
    with FakeSurveyMonkey(given, max_per_page=3) as fake:
        first = next(iter(connect(fake).batches({})))
        assert first.cursor == {"since": at(3)}
        resumed = list(connect(fake).batches(first.cursor))

    restart = next(seen for seen in fake.requests if "start_modified_at" in seen.query)
    # A second before the cursor (SurveyMonkey's filter is "modified after", to the second).
    assert restart.query["start_modified_at"] == "2024-05-01T10:02:59"
    again = [r["response_id"] for b in resumed for r in b.records]
    first_ids = {r["response_id"] for r in first.records}
    assert {"a4", "a5", "a6"} <= set(again)  # a4 shares the cursor's second: not missed
    assert "a1" not in again and "a2" not in again  # the server filtered the older ones
    assert first_ids | set(again) == {f"a{i}" for i in range(1, 7)}


def test_an_edited_response_comes_back_on_the_next_sync():
    given = responses(4)
    with FakeSurveyMonkey(given) as fake:
        (batch,) = list(connect(fake).batches({}))
        oldest = next(r for r in given if r["id"] == "114000000")
        oldest["date_modified"] = at(30)  # the respondent edited their answer
        (later,) = list(connect(fake).batches(batch.cursor))

    assert [r["response_id"] for r in later.records] == ["114000003", "114000000"]
    assert later.cursor == {"since": at(30)}
    # It still counts on the day the customer answered, not the day they edited it.
    edited = next(r for r in later.records if r["response_id"] == "114000000")
    assert edited["submitted_at"] == iso_time(oldest["date_created"]) != edited["modified_at"]


def test_next_links_naming_another_host_keep_the_token_on_the_configured_one():
    # SurveyMonkey's links may name api.surveymonkey.net; the token must not go elsewhere.
    with FakeSurveyMonkey(
        responses(5), max_per_page=2, link_host="https://elsewhere.example"
    ) as fake:
        batches = list(connect(fake).batches({}))

    assert [len(b.records) for b in batches] == [2, 2, 1]
    assert fake.paths() == [BULK] * 3


def test_wrong_credentials_are_a_clear_error_without_the_token():
    wrong = "sm-WRONG-token-456"
    with FakeSurveyMonkey(responses(2)) as fake, pytest.raises(ConnectorError) as caught:
        list(connect(fake, token=wrong).batches({}))

    assert caught.value.code == "credentials_refused"
    assert str(caught.value) == "SurveyMonkey refused the credentials (HTTP 401)."
    assert wrong not in repr(caught.value)
    assert len(fake.requests) == 1


def test_five_server_errors_give_up_with_a_clear_error():
    waits = Waits()
    with FakeSurveyMonkey(responses(2)) as fake:
        fake.fail_next(5)
        with pytest.raises(ConnectorError) as caught:
            list(connect(fake, waits).batches({}))

    assert caught.value.code == "unavailable"
    assert str(caught.value) == "SurveyMonkey did not answer after 5 attempts (last: HTTP 500)."
    assert len(fake.requests) == 5
    assert waits.seconds == [0.5, 1, 2, 4]


def test_a_few_server_errors_are_retried_and_the_sync_completes():
    waits = Waits()
    with FakeSurveyMonkey(responses(5), max_per_page=2) as fake:
        fake.fail_next(1)  # the first page
        batches = list(connect(fake, waits).batches({}))
        assert len(fake.requests) == 4

    assert sum(len(b.records) for b in batches) == 5
    assert waits.seconds == [0.5]
