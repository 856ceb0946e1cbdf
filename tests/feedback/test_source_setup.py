"""An editor sets up a platform source through the API, as the connector form does: each
kind's options are checked against its one table, the schedule is saved and honoured, and
Sync now runs the connector and lists the run with its counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from feedback import services
from feedback.models import ImportRun, SurveyResponse, SurveySource
from tests.feedback.fake_vendors import FakeTypeform, typeform_item, vendor_at

pytestmark = pytest.mark.django_db


def create(client, journey, **fields):
    body = {"name": "Typeform NPS", "kind": "typeform", "journey": journey.pk, **fields}
    return client.post("/api/survey-sources/", body, format="json")


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"options": {}}, {"options": ["Form id is required."]}),
        (
            {"options": {"form_id": "abc", "survey_id": "1"}},
            {"options": ["Unknown option survey_id (this kind takes: form_id)."]},
        ),
        (
            {"kind": "qualtrics", "options": {"datacenter": "iad1/evil", "survey_id": "SV_1"}},
            {
                "options": [
                    "A Qualtrics datacenter id such as iad1 (the part before .qualtrics.com)."
                ]
            },
        ),
        (
            {"kind": "json", "options": {"url": "http://feedback.example.com/feed"}},
            {
                "options": [
                    "The JSON feed: the address must use https "
                    "(http://feedback.example.com was refused)."
                ]
            },
        ),
        (
            {"options": {"form_id": "abc"}, "credentials": {"api_token": "x"}},
            {
                "credentials": [
                    "This kind takes no api_token (it takes: access_token, webhook_secret)."
                ]
            },
        ),
        (
            {"options": {"form_id": "abc"}, "sync_every_minutes": 1},
            {"sync_every_minutes": ["Sync every 5 to 10080 minutes, or never (null)."]},
        ),
        (
            {"kind": "upload", "sync_every_minutes": 60},
            {"sync_every_minutes": ["Only survey platform sources sync on a schedule."]},
        ),
    ],
    ids=[
        "required option",
        "unknown option",
        "datacenter",
        "plain http",
        "credential of another kind",
        "too often",
        "upload on a schedule",
    ],
)
def test_a_source_set_up_wrong_is_refused_with_the_reason(
    client_for, editor, five_phase_map, fields, errors
):
    answer = create(client_for(editor), five_phase_map.journey, **fields)
    assert answer.status_code == 400
    assert answer.json()["errors"] == errors
    assert not SurveySource.objects.exists()


def test_a_schedule_is_saved_and_the_due_sync_starts_it(client_for, editor, five_phase_map):
    client = client_for(editor)
    created = create(
        client,
        five_phase_map.journey,
        options={"form_id": "tfJourney"},
        credentials={"access_token": "typeform-secret-token"},
    )
    assert created.status_code == 201, created.json()
    source_id = created.json()["id"]
    assert services.sources_sync_due() == []  # manual only

    saved = client.patch(
        f"/api/survey-sources/{source_id}/", {"sync_every_minutes": 60}, format="json"
    )
    assert saved.json()["sync_every_minutes"] == 60
    started = services.sources_sync_due()
    assert [run.source_id for run in started] == [source_id]
    item = typeform_item("t1", "2024-05-01T10:00:00Z", nps=9)
    with FakeTypeform([item]) as fake, vendor_at("typeform", fake):
        assert services.import_run_execute(started[0].pk).state == "succeeded"
    # Synced a moment ago: not due again for an hour.
    assert services.sources_sync_due() == []
    SurveySource.objects.filter(pk=source_id).update(
        last_synced_at=timezone.now() - timedelta(minutes=61)
    )
    assert [run.source_id for run in services.sources_sync_due()] == [source_id]

    # Off again.
    client.patch(f"/api/survey-sources/{source_id}/", {"sync_every_minutes": None}, format="json")
    ImportRun.objects.update(state="succeeded")
    SurveySource.objects.filter(pk=source_id).update(last_synced_at=None)
    assert services.sources_sync_due() == []


def test_sync_now_runs_the_connector_and_lists_the_run_with_its_counts(
    client_for, editor, five_phase_map, django_capture_on_commit_callbacks, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    client = client_for(editor)
    source = SurveySource.objects.create(
        name="Typeform NPS",
        kind="typeform",
        journey=five_phase_map.journey,
        options={"form_id": "tfJourney"},
        credentials={"access_token": "typeform-secret-token"},
        field_mapping={"nps": "nps", "comment": "comment"},
    )
    items = [
        typeform_item("t1", "2024-05-01T10:00:00Z", nps=9, comment="Quick"),
        typeform_item("t2", "2024-05-02T10:00:00Z", nps=3, comment="Slow"),
    ]
    with (
        FakeTypeform(items) as fake,
        vendor_at("typeform", fake),
        django_capture_on_commit_callbacks(execute=True),
    ):
        answer = client.post(f"/api/survey-sources/{source.pk}/imports/")
    assert answer.status_code == 202
    runs = client.get("/api/import-runs/", {"source": source.pk}).json()["results"]
    assert [(r["id"], r["state"], r["read"], r["imported"]) for r in runs] == [
        (answer.json()["id"], "succeeded", 2, 2)
    ]
    assert runs[0]["finished_at"] is not None
    assert SurveyResponse.objects.filter(source=source).count() == 2


def test_a_maps_sources_and_the_shared_ones_are_listed_apart(
    client_for, admin_user, five_phase_map
):
    client = client_for(admin_user)
    on_map = create(client, five_phase_map.journey, options={"form_id": "a"}).json()
    shared = client.post(
        "/api/survey-sources/",
        {"name": "Shared", "kind": "typeform", "journey": None, "options": {"form_id": "b"}},
        format="json",
    ).json()
    mine = client.get("/api/survey-sources/", {"journey": five_phase_map.journey.pk}).json()
    assert [s["id"] for s in mine["results"]] == [on_map["id"]]
    everyone = client.get("/api/survey-sources/", {"journey__isnull": "true"}).json()
    assert [s["id"] for s in everyone["results"]] == [shared["id"]]


def test_the_shared_sources_page_is_for_admins_and_linked_for_them_alone(
    client, editor, viewer, admin_user
):
    for user, status in ((viewer, 404), (editor, 404), (admin_user, 200)):
        client.force_login(user)
        assert client.get("/survey-sources/shared/").status_code == status
        listed = "Shared survey sources" in client.get("/").content.decode()
        assert listed is (user is admin_user)
    client.logout()
    assert client.get("/survey-sources/shared/").status_code == 302  # to sign in
