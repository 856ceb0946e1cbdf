"""Through the API: an editor sets up a source, uploads a file, follows the run, reads metrics;
secrets never come back, and people without access get nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from feedback import services
from feedback.models import ImportRun, SurveySource
from tests.factories import SurveySourceFactory

pytestmark = pytest.mark.django_db

CSV = (
    "response_id,submitted_at,nps,comment,touchpoint\n"
    "a1,2024-05-01,10,Great,checkout\n"
    'a2,bad date,3,"=HYPERLINK(""http://x"")",checkout\n'
)


def test_credentials_are_write_only(client_for, editor, five_phase_map):
    client = client_for(editor)
    created = client.post(
        "/api/survey-sources/",
        {
            "name": "Typeform NPS",
            "kind": "typeform",
            "journey": five_phase_map.journey.pk,
            "options": {"form_id": "abc"},
            "credentials": {"access_token": "tfp_secret_value"},
            "field_mapping": {"nps": "nps"},
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert "tfp_secret_value" not in created.content.decode()
    assert created.json()["credentials_set"] == ["access_token"]
    listed = client.get("/api/survey-sources/")
    assert "tfp_secret_value" not in listed.content.decode()
    source = SurveySource.objects.get(pk=created.json()["id"])
    assert source.credentials == {"access_token": "tfp_secret_value"}
    # A change that leaves the secret out keeps it.
    client.patch(f"/api/survey-sources/{source.pk}/", {"name": "Renamed"}, format="json")
    source.refresh_from_db()
    assert source.credentials == {"access_token": "tfp_secret_value"}


def test_an_unknown_mapped_field_is_refused(client_for, editor, five_phase_map):
    answer = client_for(editor).post(
        "/api/survey-sources/",
        {"name": "x", "journey": five_phase_map.journey.pk, "field_mapping": {"mood": "Q1"}},
        format="json",
    )
    assert answer.status_code == 400
    assert "field_mapping" in answer.json()["errors"]


def test_upload_run_errors_and_metrics(client_for, editor, viewer, five_phase_map):
    from touchpoints import services as touchpoint_services

    touchpoint = touchpoint_services.touchpoint_create(
        actor=editor,
        journey_id=five_phase_map.journey.pk,
        phase_id=five_phase_map.phases[2].pk,
        name="Checkout",
        code="checkout",
    )
    source = SurveySourceFactory(journey=five_phase_map.journey)
    client = client_for(editor)
    started = client.post(
        f"/api/survey-sources/{source.pk}/imports/",
        {"file": SimpleUploadedFile("s.csv", CSV.encode(), content_type="text/csv")},
        format="multipart",
    )
    assert started.status_code == 202, started.json()
    run_id = started.json()["id"]
    assert started.json()["state"] == "pending"
    services.import_run_execute(run_id)  # what the worker does (tested with a real one apart)

    run = client.get(f"/api/import-runs/{run_id}/").json()
    assert (run["state"], run["imported"], run["failed"], run["progress"]) == (
        "succeeded",
        1,
        1,
        1.0,
    )
    errors = client.get(f"/api/import-runs/{run_id}/errors/")
    lines = b"".join(errors.streaming_content).decode("utf-8-sig").splitlines()
    # The spreadsheet's row (the header is row 1), the response id and the refused value.
    assert lines[0] == "spreadsheet row,response id,field,value,reason"
    assert lines[1].startswith("3,a2,submitted_at,bad date,")

    metrics = client_for(viewer).get(f"/api/journeys/{five_phase_map.journey.pk}/voc/").json()
    assert metrics["touchpoints"][str(touchpoint.pk)]["nps"] == 100.0
    assert (
        client_for(viewer)
        .get(f"/api/journeys/{five_phase_map.journey.pk}/voc/?since=2025-01-01")
        .json()["journey_metrics"]["responses"]
        == 0
    )
    bad = client_for(viewer).get(f"/api/journeys/{five_phase_map.journey.pk}/voc/?since=May")
    assert bad.status_code == 400


def test_missing_columns_answer_400_naming_them(client_for, editor, five_phase_map):
    source = SurveySourceFactory(journey=five_phase_map.journey)
    answer = client_for(editor).post(
        f"/api/survey-sources/{source.pk}/imports/",
        {"file": SimpleUploadedFile("s.csv", b"id;score\n1;9\n", content_type="text/csv")},
        format="multipart",
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "missing_columns"
    assert "submitted_at" in answer.json()["detail"]
    assert not ImportRun.objects.exists()


def test_a_file_over_the_limit_is_refused(client_for, editor, five_phase_map, settings):
    settings.JOURNEYBOARD_IMPORT_MAX_BYTES = 10
    source = SurveySourceFactory(journey=five_phase_map.journey)
    answer = client_for(editor).post(
        f"/api/survey-sources/{source.pk}/imports/",
        {"file": SimpleUploadedFile("s.csv", CSV.encode(), content_type="text/csv")},
        format="multipart",
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "file_too_large"


def test_viewers_cannot_import_or_cancel(client_for, viewer, editor, five_phase_map):
    source = SurveySourceFactory(journey=five_phase_map.journey)
    answer = client_for(viewer).post(
        f"/api/survey-sources/{source.pk}/imports/",
        {"file": SimpleUploadedFile("s.csv", CSV.encode(), content_type="text/csv")},
        format="multipart",
    )
    assert answer.status_code == 403
    run = services.import_file_start(
        actor=editor,
        source=source,
        upload=SimpleUploadedFile("s.csv", CSV.encode(), content_type="text/csv"),
    )
    assert client_for(viewer).post(f"/api/import-runs/{run.pk}/cancel/").status_code == 403
    cancelled = client_for(editor).post(f"/api/import-runs/{run.pk}/cancel/")
    assert cancelled.json()["state"] == "cancelled"


def test_a_restricted_maps_sources_are_hidden_from_outsiders(client_for, other_editor, editor):
    from journeys import services as journey_services

    secret = journey_services.journey_create(actor=editor, title="Secret", template="blank")
    secret.is_restricted = True
    secret.save()
    SurveySourceFactory(journey=secret)
    assert client_for(other_editor).get("/api/survey-sources/").json()["count"] == 0
    assert client_for(other_editor).get(f"/api/journeys/{secret.pk}/voc/").status_code == 404


def test_unmatched_responses_are_listed_and_count_once_mapped(client_for, editor, five_phase_map):
    from touchpoints import services as touchpoint_services

    hotline = touchpoint_services.touchpoint_create(
        actor=editor,
        journey_id=five_phase_map.journey.pk,
        phase_id=five_phase_map.phases[4].pk,
        name="Service hotline",
        code="hotline",
    )
    source = SurveySourceFactory(journey=five_phase_map.journey)
    csv_text = (
        "response_id,submitted_at,nps,channel,touchpoint\n"
        "u1,2024-05-01,9,phone,call-centre\n"
        "u2,2024-05-02,10,phone,call-centre\n"
        "u3,2024-05-02,2,chat,\n"
    )
    run = services.import_file_start(
        actor=editor,
        source=source,
        upload=SimpleUploadedFile("s.csv", csv_text.encode(), content_type="text/csv"),
    )
    assert services.import_run_execute(run.pk).unmatched == 3
    client = client_for(editor)
    groups = client.get(f"/api/survey-sources/{source.pk}/unmatched/").json()
    assert groups[0] == {
        "touchpoint_code": "call-centre",
        "channel": "phone",
        "phase_name": "",
        "responses": 2,
    }
    mapped = client.post(
        f"/api/survey-sources/{source.pk}/unmatched/assign/",
        {"touchpoint": hotline.pk, "touchpoint_code": "call-centre", "channel": "phone"},
        format="json",
    )
    assert mapped.json() == {"mapped": 2}
    metrics = client.get(f"/api/journeys/{five_phase_map.journey.pk}/voc/").json()
    assert metrics["touchpoints"][str(hotline.pk)]["nps"] == 100.0
    assert len(client.get(f"/api/survey-sources/{source.pk}/unmatched/").json()) == 1


def test_voc_with_an_out_of_range_date_is_a_400(client_for, editor, five_phase_map):
    url = f"/api/journeys/{five_phase_map.journey.pk}/voc/"
    for window in ({"since": "0001-01-01"}, {"until": "9999-12-31"}, {"since": "yesterday"}):
        answer = client_for(editor).get(url, window)
        assert answer.status_code == 400, window
        assert answer.json()["code"] == "invalid"
        assert set(answer.json()["errors"]) <= {"since", "until"}
