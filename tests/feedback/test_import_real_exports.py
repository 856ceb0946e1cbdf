"""A CX team brings in survey exports as they really come out of survey tools: the import
wizard's upload shows the file, guesses its columns and its date format (and says when a file
mixes two), the team maps values, saves, dry-runs — counts equal to the real import's — and
imports; the next upload, and a scheduled sync, reuse what was saved."""

import asyncio
import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone

from feedback import services
from feedback.models import ImportRun, SurveyResponse, SurveySource
from tests.factories import SurveySourceFactory
from tests.feedback import real_exports
from tests.feedback.fake_vendors import FakeJsonFeed
from touchpoints import services as touchpoint_services

pytestmark = pytest.mark.django_db

COUNTS_FILE = Path("/tmp/h/read-counts.txt")


def _counts_note(name: str, run: ImportRun) -> None:
    """The figures of each generated file, for the closing note (printed and kept)."""
    line = (
        f"{name} [{connection.vendor}]: read {run.read} / imported {run.imported} / "
        f"refused {run.failed} / unmatched {run.unmatched}"
    )
    print(line)
    if COUNTS_FILE.parent.is_dir():
        with COUNTS_FILE.open("a") as note:
            note.write(line + "\n")


def _touchpoint(survey_map, editor, name: str, code: str):
    return touchpoint_services.touchpoint_create(
        actor=editor,
        journey_id=survey_map.journey.pk,
        phase_id=survey_map.phases[0].pk,
        name=name,
        code=code,
    )


def _draft(client, source, data: bytes, name: str) -> dict:
    answer = client.post(
        f"/api/survey-sources/{source.pk}/imports/",
        {"file": SimpleUploadedFile(name, data), "draft": "true"},
        format="multipart",
    )
    assert answer.status_code == 201, answer.json()
    return answer.json()


def _save(client, source, **changes) -> dict:
    answer = client.patch(f"/api/survey-sources/{source.pk}/", changes, format="json")
    assert answer.status_code == 200, answer.json()
    return answer.json()


def _dry_run(client, run_id: int) -> dict:
    answer = client.post(f"/api/import-runs/{run_id}/dry-run/")
    assert answer.status_code == 202, answer.json()
    assert answer.json()["dry_run"] == {"state": "running"}
    services.import_dry_run_execute(run_id)  # what the worker does
    return client.get(f"/api/import-runs/{run_id}/").json()["dry_run"]


def _start(client, run_id: int) -> ImportRun:
    answer = client.post(f"/api/import-runs/{run_id}/start/")
    assert answer.status_code == 202, answer.json()
    assert answer.json()["state"] == "pending"
    return services.import_run_execute(run_id)


def _errors_csv(client, run_id: int) -> list[list[str]]:
    answer = client.get(f"/api/import-runs/{run_id}/errors/")
    text = b"".join(answer.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def _csat_on(code: str, source) -> list[int]:
    return sorted(
        SurveyResponse.objects.filter(source=source, touchpoint__code=code)
        .exclude(csat=None)
        .values_list("csat", flat=True)
    )


def test_a_patient_feedback_export_with_mixed_dates_and_a_reversed_scale_imports_through_the_wizard(
    survey_map, editor, client_for
):
    _touchpoint(survey_map, editor, "NHS 111", "111")
    source = survey_map.source
    client = client_for(editor)
    data, expected = real_exports.patient_feedback_csv()

    draft = _draft(client, source, data, "patient-feedback.csv")

    assert draft["state"] == "draft"
    preview = draft["preview"]
    assert preview["columns"] == ["Comment ID", "Trust", "Date", "Service", "Q1", "Answer"]
    assert preview["rows"][0][:4] == [
        "C00001",
        "RX1",
        "14/02/2021 01:05",
        "PTS\u00a0- Patient Transport",
    ]
    assert preview["sheet_rows"][:3] == [2, 3, 4] and len(preview["rows"]) == 20
    assert preview["mapping"] == {
        "response_id": "Comment ID",
        "submitted_at": "Date",
        "touchpoint": "Service",
        "comment": "Answer",
    }
    dates = preview["dates"]
    # 1,200 dates: every 20th month-first only, every 20th (from the 10th) both ways.
    assert (dates["column"], dates["sample"], dates["day_first"], dates["month_first"]) == (
        "Date",
        1200,
        1080,
        60,
    )
    assert (dates["ambiguous"], dates["iso"], dates["unreadable"]) == (60, 0, 0)
    assert (dates["suggested"], dates["mixed"]) == ("day_first", True)
    assert dates["message"].startswith("1,080 dates can only be day-first and 60 only month-first")
    assert preview["settings"] == {"date_format": "day_first", "time_zone": "UTC"}
    # The service column's values, NBSP and all, grouped as they are compared.
    assert sorted(preview["values"]["Service"]) == [
        ["111", 400],
        ["PTS\u00a0- Patient Transport", 400],
        ["Walk-in clinic", 400],
    ]
    assert dict(map(tuple, preview["values"]["Q1"])) == {str(n): n_ for n, n_ in _q1_counts()}

    saved = _save(
        client,
        source,
        field_mapping={**preview["mapping"], "csat": "Q1"},
        import_settings={
            **preview["settings"],
            "score_values": {"csat": real_exports.REVERSED_CSAT},
            "attribute_columns": ["Trust"],
        },
    )
    assert saved["import_settings"]["score_values"]["csat"]["6"] is None
    assert saved["field_mapping"]["csat"] == "Q1"

    dry = _dry_run(client, draft["id"])
    assert dry["state"] == "done"
    assert (dry["read"], dry["imported"], dry["refused"], dry["unmatched"]) == (
        expected.read,
        expected.imported,
        expected.refused,
        expected.unmatched,
    )
    assert not SurveyResponse.objects.exists()  # a dry run leaves nothing behind
    first = dry["reasons"][0]
    assert first == {
        "sheet_row": 6,
        "response_id": "C00005",
        "field": "",
        "value": "",
        "reason": "The row has no score and no comment.",
    }
    month_first = next(r for r in dry["reasons"] if r["field"] == "submitted_at")
    assert month_first["sheet_row"] == 21 and month_first["response_id"] == "C00020"
    assert month_first["value"] == "3/17/2022"
    assert month_first["reason"] == (
        "3/17/2022 is not day-first (there is no month 17): it reads only month-first, "
        "so the file mixes formats"
    )
    unmatched = dict(map(tuple, dry["unmatched_values"]))
    assert set(unmatched) == {"PTS\u00a0- Patient Transport", "Walk-in clinic"}
    assert sum(unmatched.values()) == expected.unmatched

    run = _start(client, draft["id"])

    assert run.state == ImportRun.State.SUCCEEDED
    assert (run.read, run.imported, run.failed, run.unmatched) == (
        dry["read"],
        dry["imported"],
        dry["refused"],
        dry["unmatched"],
    )
    _counts_note("patient-feedback.csv (day-first, reversed 1-5, 6/7 don't know)", run)
    assert _csat_on("111", source) == sorted(expected.csat["111"])
    response = SurveyResponse.objects.get(source=source, external_id="C00001")
    assert response.submitted_at.isoformat() == expected.moments["C00001"]
    assert response.attributes == {"Trust": "RX1"}
    assert response.csat == 4  # "2" on the reversed scale
    dont_know = SurveyResponse.objects.get(source=source, external_id="C00012")  # answer 6
    assert dont_know.csat is None and dont_know.comment.startswith('Said "thank you"')
    report = _errors_csv(client, run.pk)
    assert report[0] == ["spreadsheet row", "response id", "field", "value", "reason"]
    assert len(report) - 1 == expected.refused
    assert {int(row[0]): row[2] for row in report[1:]} == expected.refusals


PATIENT_MAPPING = {
    "response_id": "Comment ID",
    "submitted_at": "Date",
    "touchpoint": "Service",
    "comment": "Answer",
    "csat": "Q1",
}
PATIENT_SETTINGS = {
    "date_format": "day_first",
    "score_values": {"csat": real_exports.REVERSED_CSAT},
    "attribute_columns": ["Trust"],
}


def test_the_saved_mapping_is_reused_by_the_next_upload_without_the_wizard(
    survey_map, editor, client_for
):
    _touchpoint(survey_map, editor, "NHS 111", "111")
    client = client_for(editor)
    _save(
        client, survey_map.source, field_mapping=PATIENT_MAPPING, import_settings=PATIENT_SETTINGS
    )
    data, expected = real_exports.patient_feedback_csv()

    answer = client.post(
        f"/api/survey-sources/{survey_map.source.pk}/imports/",
        {"file": SimpleUploadedFile("patient-feedback.csv", data)},
        format="multipart",
    )
    assert answer.status_code == 202 and answer.json()["state"] == "pending"
    run = services.import_run_execute(answer.json()["id"])

    assert (run.read, run.imported, run.failed, run.unmatched) == (
        expected.read,
        expected.imported,
        expected.refused,
        expected.unmatched,
    )
    assert _csat_on("111", survey_map.source) == sorted(expected.csat["111"])
    # And the preview of a later draft shows the saved mapping and settings, not guesses.
    preview = _draft(client, survey_map.source, data, "again.csv")["preview"]
    assert preview["mapping"] == PATIENT_MAPPING
    assert preview["settings"] == {"time_zone": "UTC", **PATIENT_SETTINGS}
    # Imported again with the same settings: nothing changes.
    survey_map.source.refresh_from_db()
    again = services.import_run_execute(
        services.import_file_start(
            actor=editor, source=survey_map.source, upload=SimpleUploadedFile("b.csv", data)
        ).pk
    )
    assert (again.imported, again.updated, again.unchanged) == (0, 0, expected.imported)


def _q1_counts():
    counts = {}
    for n in range(1, 1201):
        counts[n % 7 + 1] = counts.get(n % 7 + 1, 0) + 1
    return counts.items()


def test_a_latin1_semicolon_file_of_labelled_answers_in_new_york_time(
    survey_map, editor, client_for
):
    _touchpoint(survey_map, editor, "Phone line", "phone")
    source = survey_map.source
    client = client_for(editor)
    data, expected = real_exports.labelled_latin1_csv()

    draft = _draft(client, source, data, "labelled.csv")

    preview = draft["preview"]
    assert preview["columns"][3] == "Commentaire"
    assert preview["rows"][0][3] == "Très bien, café 1 à l'accueil"
    assert preview["mapping"]["response_id"] == "Respondent ID"
    assert preview["mapping"]["csat"] == "Satisfaction"
    assert (preview["dates"]["suggested"], preview["dates"]["mixed"]) == ("month_first", False)
    assert ["Meh", 12] in preview["values"]["Satisfaction"]
    _save(
        client,
        source,
        field_mapping={**preview["mapping"], "comment": "Commentaire", "touchpoint": "Channel"},
        import_settings={
            "date_format": "month_first",
            "time_zone": "America/New_York",
            "score_values": {"csat": real_exports.SATISFACTION_LABELS},
        },
    )
    dry = _dry_run(client, draft["id"])
    run = _start(client, draft["id"])

    assert (run.read, run.imported, run.failed, run.unmatched) == (
        expected.read,
        expected.imported,
        expected.refused,
        expected.unmatched,
    )
    assert (dry["read"], dry["imported"], dry["refused"], dry["unmatched"]) == (
        run.read,
        run.imported,
        run.failed,
        run.unmatched,
    )
    _counts_note("labelled.csv (Latin-1, semicolons, labels, month-first, New York)", run)
    assert dry["reasons"][0]["value"] == "Meh"
    assert dry["reasons"][0]["reason"] == "Meh is not on the CSAT scale (1–5)"
    assert _csat_on("phone", source) == sorted(expected.csat["phone"])
    r1 = SurveyResponse.objects.get(source=source, external_id="R1")
    assert r1.submitted_at.isoformat() == expected.moments["R1"]
    assert r1.comment == "Très bien, café 1 à l'accueil"


@pytest.mark.parametrize(
    ("make", "date_format"),
    [(real_exports.serial_dates_xlsx, "excel_serial"), (real_exports.date_cells_xlsx, "iso")],
    ids=["excel-serial-numbers", "real-date-cells"],
)
def test_workbooks_with_serial_numbers_or_date_cells_read_their_dates(
    survey_map, editor, client_for, make, date_format
):
    source = survey_map.source
    client = client_for(editor)
    data, expected = make()

    draft = _draft(client, source, data, "export.xlsx")

    preview = draft["preview"]
    assert preview["dates"]["suggested"] == date_format
    assert preview["settings"]["date_format"] == date_format
    _save(client, source, field_mapping=preview["mapping"], import_settings=preview["settings"])
    dry = _dry_run(client, draft["id"])
    run = _start(client, draft["id"])

    assert (run.read, run.imported, run.failed, run.unmatched) == (
        expected.read,
        expected.imported,
        expected.refused,
        expected.unmatched,
    )
    assert (dry["read"], dry["imported"], dry["refused"]) == (run.read, run.imported, run.failed)
    _counts_note(f"export.xlsx ({make.__name__})", run)
    external_id, moment = next(iter(expected.moments.items()))
    stored = SurveyResponse.objects.get(source=source, external_id=external_id)
    assert stored.submitted_at.isoformat() == moment
    if expected.refusals:
        reasons = {r["sheet_row"]: r for r in dry["reasons"]}
        assert reasons[51]["reason"] == "“12” is not an Excel serial date (e.g. 44469.25)"
    else:
        assert _csat_on("checkout", source) == sorted(expected.csat["checkout"])


def test_a_ten_point_csat_is_mapped_down_to_five(survey_map, editor, client_for):
    source = survey_map.source
    client = client_for(editor)
    data, expected = real_exports.ten_point_csat_csv()
    draft = _draft(client, source, data, "ten-point.csv")
    # Without a value map, 6 to 10 are off the CSAT scale: the dry run says so.
    _save(client, source, field_mapping=draft["preview"]["mapping"])
    unmapped = _dry_run(client, draft["id"])
    assert unmapped["refused"] == 100
    assert unmapped["reasons"][0]["reason"] == "6 is not on the CSAT scale (1–5)"

    _save(client, source, import_settings={"score_values": {"csat": real_exports.TEN_TO_FIVE}})
    dry = _dry_run(client, draft["id"])
    run = _start(client, draft["id"])

    assert (run.read, run.imported, run.failed) == (expected.read, expected.imported, 0)
    assert (dry["read"], dry["imported"], dry["refused"]) == (run.read, run.imported, run.failed)
    _counts_note("ten-point.csv (1-10 CSAT mapped to 1-5)", run)
    assert _csat_on("checkout", source) == sorted(expected.csat["checkout"])


PLAIN = (
    "response_id,submitted_at,nps,csat,comment,touchpoint\n"
    "p1,2024-05-01T10:00:00Z,10,5,Great,checkout\n"
    "p2,2024-05-02,3,,Slow,store-visit\n"
    "p3,30/09/2021,9,,,checkout\n"
    "p4,2024-05-03,11,,,checkout\n"
    "p5,2024-05-04,,,,nowhere\n"
    "p6,2024-05-05,7,,,nowhere\n"
)


def test_a_dry_run_of_a_plain_file_counts_what_its_import_then_does(survey_map, editor, client_for):
    """On PostgreSQL the plain file goes through the set-based path in both (the dry run rolls
    that back too); elsewhere row by row. The refused rows report their id and value either
    way."""
    client = client_for(editor)
    draft = _draft(client, survey_map.source, PLAIN.encode(), "plain.csv")
    assert draft["preview"]["settings"] == {"date_format": "iso", "time_zone": "UTC"}

    dry = _dry_run(client, draft["id"])
    stored = ImportRun.objects.get(pk=draft["id"]).upload.name
    run = _start(client, draft["id"])

    assert (dry["read"], dry["imported"], dry["refused"], dry["unmatched"]) == (6, 3, 3, 1)
    assert (run.read, run.imported, run.failed, run.unmatched) == (6, 3, 3, 1)
    assert [(r["sheet_row"], r["response_id"], r["field"], r["value"]) for r in dry["reasons"]] == [
        (4, "p3", "submitted_at", "30/09/2021"),
        (5, "p4", "nps", "11"),
        (6, "p5", "", ""),
    ]
    assert _errors_csv(client, run.pk)[1:] == [
        [
            "4",
            "p3",
            "submitted_at",
            "30/09/2021",
            "“30/09/2021” is not a date (use ISO 8601, e.g. 2024-05-01T10:00Z)",
        ],
        ["5", "p4", "nps", "11", "11 is not on the NPS scale (0–10)"],
        ["6", "p5", "", "", "The row has no score and no comment."],
    ]
    assert dry["unmatched_values"] == [["nowhere", 1]]
    if connection.vendor == "postgresql":
        # The file the dry run and the import counted went the set-based way: it takes it.
        with transaction.atomic():
            ImportRun.objects.filter(pk=run.pk).update(rows_committed=0)
            again = ImportRun.objects.select_related("source").get(pk=run.pk)
            again.upload.name = stored  # still there: the test's transaction never commits
            assert services._set_based_import(again, set()) == ImportRun.State.SUCCEEDED
            transaction.set_rollback(True)


def test_a_draft_does_not_block_an_import_and_expires_after_a_day(survey_map, editor, client_for):
    client = client_for(editor)
    draft = _draft(client, survey_map.source, PLAIN.encode(), "plain.csv")
    # Another import of the same source runs meanwhile.
    other = services.import_file_start(
        actor=editor, source=survey_map.source, upload=SimpleUploadedFile("b.csv", PLAIN.encode())
    )
    assert other.state == ImportRun.State.PENDING
    run = ImportRun.objects.get(pk=draft["id"])
    path = Path(run.upload.path)
    assert path.exists()

    services.uploads_expire(now=timezone.now() + timedelta(hours=23))
    run.refresh_from_db()
    assert (run.state, run.upload.name) == (
        ImportRun.State.DRAFT,
        str(path.relative_to(Path(run.upload.storage.location))),
    )

    services.uploads_expire(now=timezone.now() + timedelta(days=1, minutes=1))

    run.refresh_from_db()
    assert (run.state, run.upload.name) == (ImportRun.State.CANCELLED, "")
    assert "expired" in run.error
    assert client.get(f"/api/import-runs/{run.pk}/preview/").status_code == 400


def test_a_preview_reloads_and_a_started_draft_is_no_longer_one(survey_map, editor, client_for):
    client = client_for(editor)
    draft = _draft(client, survey_map.source, PLAIN.encode(), "plain.csv")
    again = client.get(f"/api/import-runs/{draft['id']}/preview/")
    assert again.status_code == 200
    assert again.json() == draft["preview"]

    _start(client, draft["id"])
    assert client.post(f"/api/import-runs/{draft['id']}/start/").status_code == 400
    assert client.post(f"/api/import-runs/{draft['id']}/dry-run/").status_code == 400


def test_start_refuses_a_mapping_that_misses_required_columns(survey_map, editor, client_for):
    client = client_for(editor)
    draft = _draft(client, survey_map.source, b"Comment ID,When,Q1\n1,2021-01-01,3\n", "x.csv")
    assert draft["preview"]["mapping"] == {"response_id": "Comment ID"}
    refused = client.post(f"/api/import-runs/{draft['id']}/start/")
    assert refused.status_code == 400
    assert "submitted_at" in refused.json()["detail"]
    assert ImportRun.objects.get(pk=draft["id"]).state == ImportRun.State.DRAFT


def test_only_editors_of_the_map_may_use_the_wizard(
    survey_map, editor, viewer, other_editor, client_for
):
    draft = _draft(client_for(editor), survey_map.source, PLAIN.encode(), "plain.csv")
    run_id = draft["id"]
    viewing = client_for(viewer)
    upload = viewing.post(
        f"/api/survey-sources/{survey_map.source.pk}/imports/",
        {"file": SimpleUploadedFile("v.csv", PLAIN.encode()), "draft": "true"},
        format="multipart",
    )
    assert upload.status_code == 403
    assert viewing.get(f"/api/import-runs/{run_id}/preview/").status_code == 403
    assert viewing.post(f"/api/import-runs/{run_id}/dry-run/").status_code == 403
    assert viewing.post(f"/api/import-runs/{run_id}/start/").status_code == 403
    patch = viewing.patch(
        f"/api/survey-sources/{survey_map.source.pk}/",
        {"import_settings": {"date_format": "day_first"}},
        format="json",
    )
    assert patch.status_code == 403
    # A restricted map is not there at all for those outside it.
    survey_map.journey.is_restricted = True
    survey_map.journey.save()
    outside = client_for(other_editor)
    assert outside.get(f"/api/import-runs/{run_id}/preview/").status_code == 404
    assert outside.post(f"/api/import-runs/{run_id}/start/").status_code == 404
    assert ImportRun.objects.get(pk=run_id).state == ImportRun.State.DRAFT


@pytest.mark.parametrize(
    ("import_settings", "complaint"),
    [
        ({"date_format": "dd/mm/yyyy"}, "date_format"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"score_values": {"csat": {"very good": 6}}}, "score_values"),
        ({"score_values": {"nps": {"top": 10.5}}}, "score_values"),
        ({"score_values": {"sentiment": {"x": 1}}}, "score_values"),
        ({"attribute_columns": [f"c{n}" for n in range(21)]}, "attribute_columns"),
        ({"touchpoint_values": {"111": 111}}, "touchpoint_values"),
        ({"colour": "blue"}, "import_settings"),
    ],
)
def test_import_settings_are_validated(survey_map, editor, client_for, import_settings, complaint):
    answer = client_for(editor).patch(
        f"/api/survey-sources/{survey_map.source.pk}/",
        {"import_settings": import_settings},
        format="json",
    )
    assert answer.status_code == 400
    assert complaint in str(answer.json())
    survey_map.source.refresh_from_db()
    assert survey_map.source.import_settings == {}


def test_import_settings_are_merged_key_by_key(survey_map, editor, client_for):
    client = client_for(editor)
    _save(client, survey_map.source, import_settings={"date_format": "day_first"})
    _save(client, survey_map.source, import_settings={"ignored_values": ["Walk-in"]})
    saved = _save(client, survey_map.source, import_settings={"date_format": None})
    assert saved["import_settings"] == {"ignored_values": ["walk-in"]}


def test_the_csv_template_lists_the_columns_and_the_maps_touchpoints(
    survey_map, viewer, client_for
):
    answer = client_for(viewer).get(f"/api/journeys/{survey_map.journey.pk}/survey-template.csv")
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(answer.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == [
        "response_id",
        "submitted_at",
        "nps",
        "csat",
        "ces",
        "comment",
        "channel",
        "touchpoint",
        "phase",
    ]
    by_code = {row[7]: row for row in rows[1:]}
    assert set(by_code) == {"checkout", "store-visit"}
    assert by_code["checkout"][8] == survey_map.checkout.phase.name
    survey_map.journey.is_restricted = True
    survey_map.journey.save()
    hidden = client_for(viewer).get(f"/api/journeys/{survey_map.journey.pk}/survey-template.csv")
    assert hidden.status_code == 404


def test_a_scheduled_sync_reads_records_with_the_saved_value_map_and_date_format(
    five_phase_map, editor
):
    _touchpoint(five_phase_map, editor, "App store", "app-store")
    source = SurveySourceFactory(
        journey=five_phase_map.journey,
        kind=SurveySource.Kind.JSON,
        credentials={"token": "feed-token"},
        sync_every_minutes=60,
        field_mapping={
            "response_id": "id",
            "submitted_at": "when",
            "csat": "answers.satisfaction",
            "comment": "text",
            "touchpoint": "where",
        },
        import_settings={
            "date_format": "day_first",
            "time_zone": "Europe/London",
            "score_values": {"csat": real_exports.SATISFACTION_LABELS},
            "attribute_columns": ["trust"],
        },
    )
    labels = ["Very satisfied", "Dissatisfied", "Don't know", "Meh"]
    items = [
        {
            "id": f"s{n}",
            "when": "9/30/2022 10:00" if n == 5 else f"{n + 13}/07/2022 10:00",
            "answers": {"satisfaction": labels[n % 4]},
            "text": "" if n % 4 == 2 else f"Review {n}",
            "where": "app-store",
            "trust": "RX1",
        }
        for n in range(8)
    ]
    with FakeJsonFeed(items, token="feed-token", page_size=3) as feed:
        source.options = {"url": feed.feed_url}
        source.save()
        [run] = services.sources_sync_due()
        run = services.import_run_execute(run.pk)

    # s2, s6: "don't know" and no comment; s3, s7: "Meh"; s5: month-first.
    assert (run.state, run.read, run.imported, run.failed) == ("succeeded", 8, 3, 5)
    reasons = {e.response_id: (e.field, e.value) for e in run.row_errors.all()}
    assert reasons == {
        "s2": ("", ""),
        "s3": ("csat", "Meh"),
        "s5": ("submitted_at", "9/30/2022 10:00"),
        "s6": ("", ""),
        "s7": ("csat", "Meh"),
    }
    s0 = SurveyResponse.objects.get(source=source, external_id="s0")
    # 13/07/2022 10:00 in London (BST, UTC+1).
    assert (s0.csat, s0.submitted_at.isoformat()) == (5, "2022-07-13T09:00:00+00:00")
    assert s0.attributes == {"trust": "RX1"}
    assert SurveyResponse.objects.get(source=source, external_id="s1").csat == 2


def test_responses_imported_before_stay_unchanged_when_the_source_keeps_empty_columns(
    survey_map, editor, client_for
):
    """The content hash takes kept columns only when a row has some, and both paths hash alike:
    a file imported plainly (set-based on PostgreSQL), then again row by row under settings
    that read its values the same way, changes nothing."""
    header, rows = PLAIN.split("\n", 1)
    data = (f"{header},Ward\n" + "".join(f"{line},\n" for line in rows.splitlines())).encode()
    first = services.import_run_execute(
        services.import_file_start(
            actor=editor, source=survey_map.source, upload=SimpleUploadedFile("a.csv", data)
        ).pk
    )
    _save(
        client_for(editor),
        survey_map.source,
        import_settings={"score_values": {"nps": {"n/a": None}}, "attribute_columns": ["Ward"]},
    )
    survey_map.source.refresh_from_db()

    again = services.import_run_execute(
        services.import_file_start(
            actor=editor, source=survey_map.source, upload=SimpleUploadedFile("b.csv", data)
        ).pk
    )

    assert (first.imported, first.failed) == (3, 3)
    assert (again.imported, again.updated, again.unchanged, again.failed) == (0, 0, 3, 3)
    assert list(SurveyResponse.objects.values_list("attributes", flat=True)) == [{}] * 3


def test_a_dry_run_tells_the_map_once_with_its_outcome_only(
    survey_map, editor, client_for, django_capture_on_commit_callbacks
):
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from journeys.realtime.broadcast import journey_group

    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(journey_group(survey_map.journey.pk), channel)
    client = client_for(editor)
    draft = _draft(client, survey_map.source, PLAIN.encode(), "plain.csv")
    client.post(f"/api/import-runs/{draft['id']}/dry-run/")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.import_dry_run_execute(draft["id"])

    # The import's own progress frames and tasks went with its rollback: one frame is left.
    assert len(callbacks) == 1
    frame = json.loads(async_to_sync(_receive)(layer, channel)["text"])
    assert frame["type"] == "import" and frame["run"]["state"] == "draft"
    assert (frame["run"]["dry_run"]["state"], frame["run"]["dry_run"]["imported"]) == ("done", 3)
    assert (frame["run"]["imported"], frame["run"]["read"]) == (0, 0)


async def _receive(layer, channel: str) -> dict:
    return await asyncio.wait_for(layer.receive(channel), 10)


def test_a_column_the_wizard_was_told_to_ignore_is_not_read_even_when_named_like_a_field(
    survey_map, editor, client_for
):
    # An export whose "nps" column is a different question (asked 1–5): the analyst ignores it.
    client = client_for(editor)
    data = b"Comment ID,Date,nps,Satisfaction\nc1,2024-05-01,4,5\nc2,2024-05-02,2,4\n"
    draft = _draft(client, survey_map.source, data, "export.csv")
    _save(
        client,
        survey_map.source,
        field_mapping={
            "response_id": "Comment ID",
            "submitted_at": "Date",
            "csat": "Satisfaction",
            "nps": None,
        },
    )

    run = _start(client, draft["id"])

    assert (run.read, run.imported, run.failed) == (2, 2, 0)
    stored = SurveyResponse.objects.filter(source=survey_map.source)
    assert sorted(stored.values_list("nps", "csat")) == [(None, 4), (None, 5)]
    # The next upload's preview keeps it unread rather than guessing it again.
    preview = _draft(client, survey_map.source, data, "export.csv")["preview"]
    assert preview["mapping"]["nps"] is None
