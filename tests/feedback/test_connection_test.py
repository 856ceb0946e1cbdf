"""An editor sets a platform source up and presses Test connection: one small, bounded request
to the vendor (the local fakes here) answers whether the settings work, in words a person can
act on — and never with the token in them."""

import time

import pytest

from tests.factories import JourneyFactory, SurveySourceFactory
from tests.feedback.fake_vendors import (
    FakeJsonFeed,
    FakeQualtrics,
    FakeSurveyMonkey,
    FakeTypeform,
    qualtrics_response,
    surveymonkey_response,
    typeform_item,
    vendor_at,
)

pytestmark = pytest.mark.django_db

TOKEN = "typeform-secret-token"


def typeform_source(journey, token=TOKEN, form_id="tfJourney"):
    return SurveySourceFactory(
        journey=journey,
        kind="typeform",
        options={"form_id": form_id},
        credentials={"access_token": token},
    )


def connection_tested(client, source):
    answer = client.post(f"/api/survey-sources/{source.pk}/test-connection/")
    assert answer.status_code == 200, answer.content
    return answer.json()


def two_typeform_items():
    return [
        typeform_item("t1", "2024-05-01T10:00:00Z", nps=9, comment="Fine", channel="web"),
        typeform_item("t2", "2024-05-02T10:00:00Z", nps=3, comment="Slow", channel="app"),
    ]


def test_a_typeform_source_that_works_says_so_with_its_fields(client_for, editor, five_phase_map):
    source = typeform_source(five_phase_map.journey)
    with FakeTypeform(two_typeform_items()) as fake, vendor_at("typeform", fake):
        result = connection_tested(client_for(editor), source)
    assert result["ok"] is True
    assert result["message"] == "Connected to Typeform: form tfJourney has 2 completed responses."
    # The keys its records have, for the field mapping; never a customer's answers.
    assert {"nps", "comment", "channel"} <= set(result["fields"])
    assert "Slow" not in str(result)
    # One small request: the first response only, with the token.
    assert len(fake.requests) == 1
    assert fake.requests[0].query["page_size"] == "1"
    assert fake.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_a_bad_token_is_named_as_the_problem_without_showing_it(client_for, editor, five_phase_map):
    source = typeform_source(five_phase_map.journey, token="tfp_typed_wrong")
    with FakeTypeform(two_typeform_items()) as fake, vendor_at("typeform", fake):
        result = connection_tested(client_for(editor), source)
    assert result["ok"] is False
    assert result["code"] == "credentials_refused"
    assert result["message"].startswith("Typeform refused the credentials (HTTP 401). Check the")
    assert "tfp_typed_wrong" not in str(result)


def test_a_survey_that_does_not_exist_is_a_404_naming_the_survey_id(
    client_for, editor, five_phase_map
):
    source = SurveySourceFactory(
        journey=five_phase_map.journey,
        kind="surveymonkey",
        options={"survey_id": "999"},
        credentials={"access_token": "surveymonkey-secret-token"},
    )
    with FakeSurveyMonkey([]) as fake, vendor_at("surveymonkey", fake):
        result = connection_tested(client_for(editor), source)
    assert (result["ok"], result["code"]) == (False, "not_found")
    assert result["message"] == (
        "SurveyMonkey has nothing at /v3/surveys/999/responses/bulk (HTTP 404):"
        " check the survey id."
    )


def test_a_rate_limit_answers_at_once_with_the_wait_the_vendor_asked_for(
    client_for, editor, five_phase_map
):
    source = typeform_source(five_phase_map.journey)
    with FakeTypeform(two_typeform_items()) as fake, vendor_at("typeform", fake):
        fake.rate_limit(1, retry_after="7")
        started = time.monotonic()
        result = connection_tested(client_for(editor), source)
        took = time.monotonic() - started
    assert (result["ok"], result["code"]) == (False, "rate_limited")
    assert result["message"] == "Typeform is limiting requests (HTTP 429): retry after 7 s."
    assert len(fake.requests) == 1  # not waited out, not retried: someone is waiting
    assert took < 5


def test_a_vendor_that_does_not_answer_in_time_is_a_timeout(
    client_for, editor, five_phase_map, settings
):
    settings.JOURNEYBOARD_CONNECTOR_TEST_SECONDS = 0.5
    source = typeform_source(five_phase_map.journey)
    with FakeTypeform(two_typeform_items()) as fake, vendor_at("typeform", fake):
        fake.slow_next(1, 3.0)
        started = time.monotonic()
        result = connection_tested(client_for(editor), source)
        took = time.monotonic() - started
    assert (result["ok"], result["code"]) == (False, "timeout")
    assert "within 0.5 seconds" in result["message"]
    assert took < 2.5
    assert len(fake.requests) == 1


def test_a_server_error_is_reported_after_one_try(client_for, editor, five_phase_map):
    source = typeform_source(five_phase_map.journey)
    with FakeTypeform(two_typeform_items()) as fake, vendor_at("typeform", fake):
        fake.fail_next(3, status=503)
        result = connection_tested(client_for(editor), source)
    assert (result["ok"], result["code"]) == (False, "unavailable")
    assert result["message"].startswith("Typeform answered with a server error (HTTP 503)")
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:{port}/feed",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::ffff:10.0.0.8]/feed",
    ],
)
def test_a_feed_at_an_internal_address_is_refused_before_connecting(
    client_for, editor, five_phase_map, settings, url
):
    settings.JOURNEYBOARD_OUTBOUND_ALLOW = []  # a deployment that allows no internal feeds
    with FakeJsonFeed([{"id": "a", "submitted_at": "2024-05-01"}]) as feed:
        port = feed.url.rsplit(":", 1)[1]
        client = client_for(editor)
        created = client.post(
            "/api/survey-sources/",
            {
                "name": "Internal feed",
                "kind": "json",
                "journey": five_phase_map.journey.pk,
                "options": {"url": url.format(port=port)},
            },
            format="json",
        )
        assert created.status_code == 201, created.json()
        source = SurveySourceFactory._meta.model.objects.get(pk=created.json()["id"])
        result = connection_tested(client, source)
    assert (result["ok"], result["code"]) == (False, "address_refused")
    assert "is a local, private or reserved address" in result["message"]
    assert feed.requests == []


def test_a_json_feed_and_a_qualtrics_survey_that_work_say_so(client_for, editor, five_phase_map):
    client = client_for(editor)
    items = [{"id": "a", "submitted_at": "2024-05-01", "scores": {"nps": 9}}] * 3
    with FakeJsonFeed(items, token="feed-token", page_size=2) as feed:
        source = SurveySourceFactory(
            journey=five_phase_map.journey,
            kind="json",
            options={"url": feed.feed_url},
            credentials={"token": "feed-token"},
        )
        result = connection_tested(client, source)
    assert result["ok"] is True
    assert result["message"] == (
        "Connected to the JSON feed: its first page has 2 items (and more pages)."
    )
    assert "scores.nps" in result["fields"]

    responses = [qualtrics_response("R_1", "2024-05-01T10:00:00Z", QID1=9)]
    with FakeQualtrics(responses) as fake, vendor_at("qualtrics", fake):
        source = SurveySourceFactory(
            journey=five_phase_map.journey,
            kind="qualtrics",
            options={"datacenter": "iad1", "survey_id": "SV_journey"},
            credentials={"api_token": "qualtrics-secret-token"},
        )
        result = connection_tested(client, source)
    assert result["ok"] is True
    assert result["message"] == (
        "Connected to Qualtrics: survey “Journey feedback” (SV_journey) has 1 responses."
    )
    assert result["fields"] == ["QID1", "QID3"]
    assert [seen.path for seen in fake.requests] == ["/API/v3/surveys/SV_journey"]


def test_surveymonkey_that_works_counts_its_responses(client_for, editor, five_phase_map):
    answers = [surveymonkey_response("1", "2024-05-01T10:00:00+00:00", {"q1": 9})]
    with FakeSurveyMonkey(answers) as fake, vendor_at("surveymonkey", fake):
        source = SurveySourceFactory(
            journey=five_phase_map.journey,
            kind="surveymonkey",
            options={"survey_id": "412345678"},
            credentials={"access_token": "surveymonkey-secret-token"},
        )
        result = connection_tested(client_for(editor), source)
    assert result == {
        "ok": True,
        "code": "ok",
        "message": "Connected to SurveyMonkey: survey 412345678 has 1 responses.",
        "fields": ["collector_id", "modified_at", "q1", "response_status"],
    }


def test_only_those_who_manage_the_source_may_test_it(
    client_for, editor, viewer, other_editor, admin_user, five_phase_map
):
    source = typeform_source(five_phase_map.journey)
    url = f"/api/survey-sources/{source.pk}/test-connection/"
    assert client_for(viewer).post(url).status_code == 403
    assert client_for(None).post(url).status_code == 401
    restricted = typeform_source(JourneyFactory(owner=editor, is_restricted=True))
    hidden = f"/api/survey-sources/{restricted.pk}/test-connection/"
    assert client_for(other_editor).post(hidden).status_code == 404
    # Shared sources are the admins'.
    shared = typeform_source(None)
    shared_url = f"/api/survey-sources/{shared.pk}/test-connection/"
    assert client_for(editor).post(shared_url).status_code == 404  # not even listed to editors
    with FakeTypeform(two_typeform_items()) as fake, vendor_at("typeform", fake):
        assert client_for(admin_user).post(shared_url).json()["ok"] is True


def test_an_upload_source_has_no_connection_to_test(client_for, editor, five_phase_map):
    source = SurveySourceFactory(journey=five_phase_map.journey)
    answer = client_for(editor).post(f"/api/survey-sources/{source.pk}/test-connection/")
    assert answer.status_code == 400
    assert answer.json()["errors"]["source"] == ["A file upload source has no connection to test."]


def test_the_kinds_table_describes_every_platform_form(client_for, viewer):
    kinds = client_for(viewer).get("/api/survey-sources/kinds/").json()
    by_kind = {kind["kind"]: kind for kind in kinds}
    assert list(by_kind) == ["qualtrics", "surveymonkey", "typeform", "json"]
    assert [o["key"] for o in by_kind["typeform"]["options"]] == ["form_id"]
    assert [c["key"] for c in by_kind["typeform"]["credentials"]] == [
        "access_token",
        "webhook_secret",
    ]
    assert by_kind["qualtrics"]["options"][0]["key"] == "datacenter"
    assert by_kind["json"]["options"][0] == {
        "key": "url",
        "label": "Feed URL",
        "required": True,
        "number": False,
        "help": "https; an internal address only when the deployment allows it.",
        "placeholder": "https://feedback.example.com/responses",
    }
