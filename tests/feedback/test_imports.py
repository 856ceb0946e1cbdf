"""A CX analyst uploads survey exports; responses land on the map's touchpoints, once each."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from feedback import services
from feedback.exceptions import ImportRefused
from feedback.models import ImportRun, ResponseRollup, SurveyResponse
from feedback.selectors import journey_metrics, touchpoint_comments
from journeys.models import Emotion, JourneyEvent
from tests.factories import SurveySourceFactory

pytestmark = pytest.mark.django_db

HEADER = "response_id,submitted_at,nps,csat,ces,comment,channel,touchpoint\n"
ROWS = [
    "r1,2024-05-01T10:00:00Z,10,5,2,Lovely staff and quick checkout,web,checkout",
    "r2,2024-05-02,3,2,6,Slow and confusing payment page,web,checkout",
    "r3,2024-05-03 09:30,8,,,,,store-visit",
    "r4,2024-05-03,7,4,3,,,unknown-code",
    "r5,not a date,9,,,,,checkout",
    "r6,2024-05-04,11,,,,,checkout",
    ",,,,,,,",
]


def _upload(content: str | bytes, name: str = "survey.csv") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")


def _import(survey_map, editor, content, name="survey.csv") -> ImportRun:
    run = services.import_file_start(
        actor=editor, source=survey_map.source, upload=_upload(content, name)
    )
    return services.import_run_execute(run.pk)


def test_an_upload_imports_good_rows_and_reports_each_bad_one(survey_map, editor):
    run = _import(survey_map, editor, HEADER + "\n".join(ROWS) + "\n")

    assert run.state == ImportRun.State.SUCCEEDED
    assert (run.read, run.imported, run.failed, run.unmatched) == (7, 4, 3, 1)
    errors = {(e.row, e.field) for e in run.row_errors.all()}
    assert errors == {(5, "submitted_at"), (6, "nps"), (7, "")}
    matched = SurveyResponse.objects.filter(touchpoint=survey_map.checkout)
    assert set(matched.values_list("external_id", flat=True)) == {"r1", "r2"}
    assert SurveyResponse.objects.get(external_id="r3").touchpoint == survey_map.store
    assert SurveyResponse.objects.get(external_id="r4").touchpoint is None


def test_metrics_come_from_rollups_with_their_margin_of_error(survey_map, editor):
    _import(survey_map, editor, HEADER + "\n".join(ROWS) + "\n")
    assert ResponseRollup.objects.filter(touchpoint=survey_map.checkout).count() == 2

    metrics = journey_metrics(journey_id=survey_map.journey.pk)
    checkout = metrics["touchpoints"][str(survey_map.checkout.pk)]
    # r1 promoter (10), r2 detractor (3): NPS 0; CSAT 5 and 2 → 50%; CES (2 + 6) / 2 = 4.
    assert (checkout["responses"], checkout["nps"], checkout["csat"], checkout["ces"]) == (
        2,
        0.0,
        50.0,
        4.0,
    )
    assert checkout["nps_margin"] == pytest.approx(1.96 * 100 * (1 / 2) ** 0.5, abs=0.1)
    whole = metrics["journey_metrics"]
    assert whole["responses"] == 3  # r4 is unmatched: it counts once someone maps it
    assert metrics["trend"][0]["month"] == "2024-05-01"


def test_comments_are_scored_and_the_extremes_shown(survey_map, editor):
    _import(survey_map, editor, HEADER + "\n".join(ROWS) + "\n")
    # What the sentiment task does once the import has committed.
    assert services.responses_sentiment_update(source_id=survey_map.source.pk) == 2
    assert services.responses_sentiment_update(source_id=survey_map.source.pk) == 0
    metrics = journey_metrics(journey_id=survey_map.journey.pk)
    assert metrics["touchpoints"][str(survey_map.checkout.pk)]["sentiment_count"] == 2
    comments = touchpoint_comments(touchpoint_id=survey_map.checkout.pk)
    assert [c["external_id"] for c in comments["positive"]] == ["r1"]
    assert [c["external_id"] for c in comments["negative"]] == ["r2"]


def test_the_map_gets_a_voc_emotion_per_phase_as_a_change(survey_map, editor):
    _import(survey_map, editor, HEADER + "\n".join(ROWS) + "\n")
    store_phase = survey_map.store.phase
    emotion = Emotion.objects.get(phase=store_phase, source=Emotion.Source.VOC)
    assert emotion.score == 0  # a passive (NPS 8) only: NPS 0
    assert emotion.label == "n = 1"
    event = JourneyEvent.objects.filter(journey=survey_map.journey).latest("revision")
    assert event.kind == "voc_updated"
    assert str(store_phase.pk) in event.payload["metrics"]["phases"]


def test_importing_the_same_file_again_duplicates_nothing(survey_map, editor):
    content = HEADER + "\n".join(ROWS) + "\n"
    _import(survey_map, editor, content)
    again = _import(survey_map, editor, content)
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 4)
    assert SurveyResponse.objects.count() == 4


def test_a_changed_row_updates_its_response(survey_map, editor):
    _import(survey_map, editor, HEADER + ROWS[0] + "\n")
    changed = _import(survey_map, editor, HEADER + ROWS[0].replace(",10,5,", ",6,5,") + "\n")
    assert (changed.imported, changed.updated) == (0, 1)
    assert SurveyResponse.objects.get(external_id="r1").nps == 6


def test_a_file_missing_required_columns_is_refused_before_anything_is_written(survey_map, editor):
    with pytest.raises(ImportRefused) as refused:
        services.import_file_start(
            actor=editor, source=survey_map.source, upload=_upload("id,score\n1,9\n")
        )
    assert "submitted_at" in refused.value.message
    assert "at least one of nps" in refused.value.message
    assert not ImportRun.objects.exists()


def test_latin1_semicolon_files_and_utf8_with_bom_both_import(survey_map, editor):
    latin = "response_id;submitted_at;nps;comment\nl1;2024-05-01;9;Très bien, merci\n"
    run = _import(survey_map, editor, latin.encode("latin-1"))
    assert run.imported == 1
    assert SurveyResponse.objects.get(external_id="l1").comment == "Très bien, merci"
    bom = "\ufeffresponse_id,submitted_at,csat\nb1,2024-05-01,4\n"
    assert _import(survey_map, editor, bom.encode("utf-8")).imported == 1


def test_an_xlsx_export_imports_like_a_csv(survey_map, editor):
    book = Workbook()
    sheet = book.active
    sheet.append(["response_id", "submitted_at", "nps", "touchpoint"])
    sheet.append([101, "2024-06-01T08:00:00Z", 9, "checkout"])
    sheet.append([102, "2024-06-02", 12, "checkout"])
    data = io.BytesIO()
    book.save(data)
    run = _import(survey_map, editor, data.getvalue(), name="export.xlsx")
    assert (run.imported, run.failed) == (1, 1)
    assert SurveyResponse.objects.get(external_id="101").touchpoint == survey_map.checkout


def test_a_formula_in_a_comment_is_kept_as_plain_text(survey_map, editor):
    content = HEADER + 'f1,2024-05-01,9,,,"=HYPERLINK(""http://x"")",,checkout\n'
    _import(survey_map, editor, content)
    assert SurveyResponse.objects.get(external_id="f1").comment == '=HYPERLINK("http://x")'


def test_a_viewer_cannot_import(survey_map, viewer):
    from journeys.exceptions import AccessDenied

    with pytest.raises(AccessDenied):
        services.import_file_start(
            actor=viewer, source=survey_map.source, upload=_upload(HEADER + ROWS[0])
        )


def test_a_run_taken_over_after_its_worker_died_skips_what_was_written(survey_map, editor):
    from datetime import timedelta

    from django.utils import timezone

    content = HEADER + "\n".join(ROWS[:3]) + "\n"
    run = services.import_file_start(
        actor=editor, source=survey_map.source, upload=_upload(content)
    )
    services.import_run_execute(run.pk)
    # As if the worker had died after committing two rows: running, stale, two rows done, and
    # still naming its file (the finished run forgot it; the file goes only on commit).
    SurveyResponse.objects.filter(external_id="r3").delete()
    ImportRun.objects.filter(pk=run.pk).update(
        state="running",
        upload=run.upload.name,
        rows_committed=2,
        read=2,
        imported=2,
        heartbeat_at=timezone.now() - timedelta(minutes=5),
    )
    resumed = services.import_run_execute(run.pk)
    assert resumed.state == ImportRun.State.SUCCEEDED
    assert (resumed.read, resumed.imported) == (3, 3)
    assert SurveyResponse.objects.count() == 3


def test_a_redelivered_task_leaves_a_live_run_alone(survey_map, editor):
    from django.utils import timezone

    run = services.import_file_start(
        actor=editor, source=survey_map.source, upload=_upload(HEADER + ROWS[0] + "\n")
    )
    ImportRun.objects.filter(pk=run.pk).update(state="running", heartbeat_at=timezone.now())
    with pytest.raises(services.RunBusy):
        services.import_run_execute(run.pk)
    assert not SurveyResponse.objects.exists()


def test_only_one_import_of_a_source_runs_at_a_time(survey_map, editor):
    services.import_file_start(
        actor=editor, source=survey_map.source, upload=_upload(HEADER + ROWS[0] + "\n")
    )
    with pytest.raises(ImportRefused) as refused:
        services.import_file_start(
            actor=editor, source=survey_map.source, upload=_upload(HEADER + ROWS[1] + "\n")
        )
    assert refused.value.code == "import_running"


def test_a_run_whose_worker_stopped_renewing_its_lease_is_found_for_resuming(survey_map, editor):
    from datetime import timedelta

    from django.utils import timezone

    live, dead = (
        services.import_file_start(
            actor=editor,
            source=SurveySourceFactory(journey=survey_map.journey),
            upload=_upload(HEADER + ROWS[0] + "\n"),
        )
        for _ in range(2)
    )
    ImportRun.objects.filter(pk=live.pk).update(state="running", heartbeat_at=timezone.now())
    ImportRun.objects.filter(pk=dead.pk).update(
        state="running", heartbeat_at=timezone.now() - timedelta(minutes=5)
    )
    assert services.import_runs_stalled() == [dead.pk]


def test_scheduled_platform_sources_are_synced_when_due(survey_map):
    from datetime import timedelta

    from django.utils import timezone

    due = SurveySourceFactory(kind="json", sync_every_minutes=15, journey=survey_map.journey)
    recent = SurveySourceFactory(
        kind="json",
        sync_every_minutes=15,
        journey=survey_map.journey,
        last_synced_at=timezone.now() - timedelta(minutes=5),
    )
    SurveySourceFactory(kind="json", journey=survey_map.journey)  # manual only
    started = services.sources_sync_due()
    assert [run.source_id for run in started] == [due.pk]
    assert services.sources_sync_due() == []  # still running: not started twice
    assert not ImportRun.objects.filter(source=recent).exists()


@pytest.mark.postgres
def test_on_postgresql_a_csv_goes_through_copy_and_agrees_with_the_row_path(
    survey_map, editor, caplog
):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's")
    content = HEADER + "\n".join(ROWS[:4]) + "\n"
    with caplog.at_level("INFO", logger="feedback.services"):
        # A blank line is more than COPY takes: this file goes row by row …
        slow = _import(survey_map, editor, content.replace("\nr2", "\n\nr2"))
        assert "goes row by row" in caplog.text
        caplog.clear()
        # … and the same responses through COPY are found unchanged (the same content hash).
        fast = _import(survey_map, editor, content)
        assert "goes row by row" not in caplog.text
    assert (slow.imported, slow.failed) == (4, 1)  # the blank line: an empty row
    assert (fast.read, fast.imported, fast.updated, fast.unchanged) == (4, 0, 0, 4)


def test_a_later_row_with_the_same_id_replaces_the_earlier_one(survey_map, editor):
    twice = HEADER + ROWS[0] + "\n" + ROWS[0].replace(",10,5,", ",6,5,") + "\n" + ROWS[2] + "\n"
    first = _import(survey_map, editor, twice)
    assert (first.read, first.imported, first.updated, first.unchanged) == (3, 2, 1, 0)
    assert SurveyResponse.objects.get(external_id="r1").nps == 6

    # Against existing responses too: r1 changes back, r3 is given again unchanged, twice.
    again = _import(survey_map, editor, HEADER + "\n".join([ROWS[0], ROWS[2], ROWS[2]]) + "\n")
    assert (again.read, again.imported, again.updated, again.unchanged) == (3, 0, 2, 1)
    assert SurveyResponse.objects.get(external_id="r1").nps == 10
    assert SurveyResponse.objects.count() == 2


def test_a_new_row_beside_existing_ones_is_imported_and_the_rest_left_alone(survey_map, editor):
    _import(survey_map, editor, HEADER + "\n".join(ROWS[:2]) + "\n")
    run = _import(survey_map, editor, HEADER + "\n".join(ROWS) + "\n")
    assert (run.read, run.imported, run.updated, run.unchanged, run.failed) == (7, 2, 0, 2, 3)
    assert run.unmatched == 1  # r4, new and unmatched
    assert {(e.row, e.field) for e in run.row_errors.all()} == {
        (5, "submitted_at"),
        (6, "nps"),
        (7, ""),
    }


def test_a_person_s_match_survives_a_reimport_that_cannot_match(survey_map, editor):
    _import(survey_map, editor, HEADER + ROWS[3] + "\n")  # r4 names an unknown code
    group = {"touchpoint_code": "unknown-code", "channel": "", "phase_name": ""}
    services.unmatched_assign(
        actor=editor, source=survey_map.source, touchpoint_id=survey_map.store.pk, group=group
    )
    changed = _import(survey_map, editor, HEADER + ROWS[3].replace(",7,4,", ",9,4,") + "\n")
    assert (changed.updated, changed.unmatched) == (1, 0)
    response = SurveyResponse.objects.get(external_id="r4")
    assert (response.nps, response.touchpoint) == (9, survey_map.store)
    assert ResponseRollup.objects.get(touchpoint=survey_map.store, day="2024-05-03").promoters == 1


def test_a_response_moved_to_another_touchpoint_leaves_the_old_one_s_numbers(survey_map, editor):
    _import(survey_map, editor, HEADER + ROWS[0] + "\n")
    moved = _import(survey_map, editor, HEADER + ROWS[0].replace("checkout", "store-visit") + "\n")
    assert moved.updated == 1
    assert SurveyResponse.objects.get(external_id="r1").touchpoint == survey_map.store
    assert not ResponseRollup.objects.filter(touchpoint=survey_map.checkout).exists()
    assert ResponseRollup.objects.get(touchpoint=survey_map.store).responses == 1


def test_matching_rules_place_responses_that_name_no_code(survey_map, editor):
    source = survey_map.source
    source.matching_rules = [
        {"channel": "chat", "phase": "Nowhere", "touchpoint": "checkout"},
        {"channel": "chat", "touchpoint": "store-visit"},
    ]
    source.save()
    content = (
        HEADER
        + "c1,2024-05-01,9,,,,Chat,\nc2,2024-05-01,9,,,,web,\nc3,2024-05-01,9,,,,chat,checkout\n"
    )
    run = _import(survey_map, editor, content)
    assert (run.imported, run.unmatched) == (3, 1)
    placed = dict(SurveyResponse.objects.values_list("external_id", "touchpoint__code"))
    assert placed == {"c1": "store-visit", "c2": None, "c3": "checkout"}


def test_deleting_a_touchpoint_leaves_its_responses_unmatched(survey_map, editor):
    from feedback.selectors import unmatched_groups
    from touchpoints import services as touchpoint_services

    _import(survey_map, editor, HEADER + "\n".join(ROWS) + "\n")
    touchpoint_services.touchpoint_delete(
        actor=editor, touchpoint_id=survey_map.checkout.pk, confirm=True
    )

    assert SurveyResponse.objects.count() == 4
    assert SurveyResponse.objects.filter(touchpoint__isnull=True).count() == 3
    groups = unmatched_groups(source_id=survey_map.source.pk)
    assert sum(g["responses"] for g in groups if g["touchpoint_code"] == "checkout") == 2
    assert journey_metrics(journey_id=survey_map.journey.pk)["journey_metrics"]["responses"] == 1


def test_deleting_a_source_deletes_its_responses(survey_map, editor):
    other = SurveySourceFactory(journey=survey_map.journey)
    _import(survey_map, editor, HEADER + "\n".join(ROWS) + "\n")
    services.import_run_execute(
        services.import_file_start(
            actor=editor, source=other, upload=_upload(HEADER + ROWS[0] + "\n")
        ).pk
    )
    services.survey_source_delete(actor=editor, source=survey_map.source, confirm=True)
    assert list(SurveyResponse.objects.values_list("source_id", flat=True)) == [other.pk]
