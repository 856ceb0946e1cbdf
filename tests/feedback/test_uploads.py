"""A survey export holds customers' own words: nobody reads it back, and it is gone as soon as
nothing needs it."""

import io
import os
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook

from feedback import services, tasks
from feedback.exceptions import ImportRefused
from feedback.models import ImportRun, SurveySource
from journeys import services as journey_services
from tests.factories import JourneyFactory, SurveySourceFactory, UserFactory

pytestmark = pytest.mark.django_db

EXPORT = (
    "response_id,submitted_at,nps,comment,touchpoint\n"
    "r1,2024-05-01,2,My bank details were shown to another customer,checkout\n"
)


@pytest.fixture
def dirs(settings, tmp_path):
    """This test's own media and uploads directories (what the server would serve, and not)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.JOURNEYBOARD_UPLOAD_DIR = tmp_path / "uploads"
    return settings


def _files(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


def _upload(client, source, content: str | bytes = EXPORT, name: str = "customer-export.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        f"/api/survey-sources/{source.pk}/imports/",
        {"file": SimpleUploadedFile(name, data)},
        format="multipart",
    )


def _body(answer) -> bytes:
    return b"".join(answer.streaming_content) if answer.streaming else answer.content


def _browser(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_a_signed_in_user_cannot_read_another_maps_upload(dirs, client_for, editor):
    restricted = JourneyFactory(owner=editor, is_restricted=True)
    source = SurveySourceFactory(journey=restricted)
    assert _upload(client_for(editor), source).status_code == 202
    run = ImportRun.objects.get()

    outsider = UserFactory(username="nobody-in-no-group")
    assert client_for(outsider).get(f"/api/import-runs/{run.pk}/").status_code == 404
    # Where older versions kept it: imports/<year>/<month>/<the uploader's file name>.
    guessed = f"/media/imports/{timezone.now():%Y/%m}/customer-export.csv"
    for path in (guessed, f"/media/{run.upload.name}"):
        answer = _browser(outsider).get(path)
        assert answer.status_code == 404, path
        assert b"bank details" not in _body(answer)


def test_an_upload_is_not_served_under_media(dirs, client_for, editor, five_phase_map):
    source = SurveySourceFactory(journey=five_phase_map.journey)
    assert _upload(client_for(editor), source).status_code == 202
    run = ImportRun.objects.get()

    assert _files(dirs.MEDIA_ROOT) == []
    (stored,) = _files(dirs.JOURNEYBOARD_UPLOAD_DIR)
    assert stored.read_text() == EXPORT
    assert "customer-export" not in stored.name  # never the uploader's name: it is guessable
    assert run.upload_name == "customer-export.csv"  # kept for people to read
    assert stored.stat().st_mode & 0o077 == 0  # this user's alone
    # A file older versions left under MEDIA_ROOT is not served either, even to the map's editor.
    legacy = Path(dirs.MEDIA_ROOT) / "imports/2026/11/old-export.csv"
    legacy.parent.mkdir(parents=True)
    legacy.write_text(EXPORT)
    browser = _browser(editor)
    assert browser.get("/media/imports/2026/11/old-export.csv").status_code == 404
    assert browser.get(f"/media/{run.upload.name}").status_code == 404


def test_a_finished_import_keeps_no_raw_file_by_default(
    dirs, editor, five_phase_map, django_capture_on_commit_callbacks
):
    source = SurveySourceFactory(journey=five_phase_map.journey)
    run = services.import_file_start(
        actor=editor, source=source, upload=SimpleUploadedFile("export.csv", EXPORT.encode())
    )
    assert len(_files(dirs.JOURNEYBOARD_UPLOAD_DIR)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        run = services.import_run_execute(run.pk)

    assert (run.state, run.imported) == (ImportRun.State.SUCCEEDED, 1)
    assert _files(dirs.JOURNEYBOARD_UPLOAD_DIR) == []
    assert (run.upload.name, run.upload_name) == ("", "export.csv")


def test_deleting_a_map_deletes_its_uploads(
    dirs, editor, five_phase_map, django_capture_on_commit_callbacks
):
    journey = five_phase_map.journey
    for name in ("first.csv", "second.csv"):
        services.import_file_start(
            actor=editor,
            source=SurveySourceFactory(journey=journey),
            upload=SimpleUploadedFile(name, EXPORT.encode()),
        )
    kept = services.import_file_start(
        actor=editor,
        source=SurveySourceFactory(journey=JourneyFactory(owner=editor)),
        upload=SimpleUploadedFile("another-map.csv", EXPORT.encode()),
    )
    assert len(_files(dirs.JOURNEYBOARD_UPLOAD_DIR)) == 3

    with django_capture_on_commit_callbacks(execute=True):
        journey_services.journey_delete(actor=editor, journey_id=journey.pk)

    assert _files(dirs.JOURNEYBOARD_UPLOAD_DIR) == [Path(kept.upload.path)]


def test_deleting_a_source_or_run_deletes_its_upload(
    dirs, admin_user, editor, five_phase_map, django_capture_on_commit_callbacks
):
    journey = five_phase_map.journey
    runs = [
        services.import_file_start(
            actor=editor,
            source=SurveySourceFactory(journey=journey),
            upload=SimpleUploadedFile(f"export-{n}.csv", EXPORT.encode()),
        )
        for n in range(3)
    ]
    paths = [Path(run.upload.path) for run in runs]
    assert all(path.exists() for path in paths)

    with django_capture_on_commit_callbacks(execute=True):
        services.survey_source_delete(actor=editor, source=runs[0].source)
    assert [path.exists() for path in paths] == [False, True, True]

    # An admin deletes a run (the admin's own delete, not a service).
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    admin = _browser(admin_user)
    page = admin.get(f"/admin/feedback/importrun/{runs[1].pk}/change/")
    assert page.status_code == 200
    assert runs[1].upload.name not in page.content.decode()  # no address to give
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin.post(f"/admin/feedback/importrun/{runs[1].pk}/delete/", {"post": "yes"})
    assert answer.status_code == 302
    assert not ImportRun.objects.filter(pk=runs[1].pk).exists()
    assert [path.exists() for path in paths] == [False, False, True]


def test_uploads_older_than_the_retention_are_deleted(
    dirs, editor, five_phase_map, django_capture_on_commit_callbacks
):
    dirs.JOURNEYBOARD_UPLOAD_RETENTION_DAYS = 7
    journey = five_phase_map.journey
    runs = {}
    for age in (8, 2):
        run = services.import_file_start(
            actor=editor,
            source=SurveySourceFactory(journey=journey),
            upload=SimpleUploadedFile(f"{age}-days-ago.csv", EXPORT.encode()),
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.import_run_execute(run.pk)
        ImportRun.objects.filter(pk=run.pk).update(finished_at=timezone.now() - timedelta(days=age))
        runs[age] = ImportRun.objects.get(pk=run.pk)
    # Kept, within the retention, after its run succeeded.
    assert all(Path(run.upload.path).exists() for run in runs.values())
    pending = services.import_file_start(
        actor=editor,
        source=SurveySourceFactory(journey=journey),
        upload=SimpleUploadedFile("still-importing.csv", EXPORT.encode()),
    )
    # Files no run names: one stored by an upload whose run never committed, one left in
    # MEDIA_ROOT by an older version, and one stored a moment ago (its run may be committing).
    uploads, media = Path(dirs.JOURNEYBOARD_UPLOAD_DIR), Path(dirs.MEDIA_ROOT)
    stray, legacy, fresh = (
        uploads / "surveys/stray.csv",
        media / "imports/2025/01/legacy.csv",
        uploads / "surveys/fresh.csv",
    )
    two_hours_ago = time.time() - 7200
    for path in (stray, legacy, fresh):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(EXPORT)
    for path in (stray, legacy):
        os.utime(path, (two_hours_ago, two_hours_ago))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.uploads_expire() == 3

    assert not Path(runs[8].upload.path).exists()
    runs[8].refresh_from_db()
    assert (runs[8].upload.name, runs[8].upload_name) == ("", "8-days-ago.csv")
    assert _files(uploads) == sorted([Path(runs[2].upload.path), Path(pending.upload.path), fresh])
    assert _files(media) == []
    schedule = django_settings.CELERY_BEAT_SCHEDULE.values()
    assert "feedback.tasks.uploads_expire" in {entry["task"] for entry in schedule}


def _xlsx_with_an_external_entity() -> bytes:
    workbook = Workbook()
    workbook.active.append(["response_id", "submitted_at", "nps"])
    workbook.active.append(["r1", "2024-05-01", 9])
    plain = io.BytesIO()
    workbook.save(plain)
    original, hostile = zipfile.ZipFile(plain), io.BytesIO()
    with zipfile.ZipFile(hostile, "w") as out:
        for name in original.namelist():
            data = original.read(name)
            if name == "xl/worksheets/sheet1.xml":
                body = data.decode().split("?>", 1)[-1].replace("response_id", "&e;")
                data = (
                    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                    + body
                ).encode()
            out.writestr(name, data)
    return hostile.getvalue()


def test_a_refused_upload_leaves_nothing_on_disk(dirs, editor, five_phase_map):
    source = SurveySourceFactory(journey=five_phase_map.journey)
    refused = {
        "no-dates.csv": b"response_id,nps\nr1,9\n",  # missing columns
        "export.pdf": EXPORT.encode(),  # not a survey file
        "entity.xlsx": _xlsx_with_an_external_entity(),
    }
    for name, data in refused.items():
        # However it is refused (the readers' own bounds say how), nothing of it stays.
        with pytest.raises(Exception):  # noqa: B017
            services.import_file_start(
                actor=editor, source=source, upload=SimpleUploadedFile(name, data)
            )
        assert not ImportRun.objects.exists(), name
        assert _files(dirs.JOURNEYBOARD_UPLOAD_DIR) == [], name
        assert _files(dirs.MEDIA_ROOT) == [], name


def test_an_upload_refused_while_another_import_runs_leaves_nothing_on_disk(
    dirs, editor, five_phase_map
):
    source = SurveySourceFactory(journey=five_phase_map.journey)
    first = services.import_file_start(
        actor=editor, source=source, upload=SimpleUploadedFile("first.csv", EXPORT.encode())
    )
    with pytest.raises(ImportRefused) as refused:
        services.import_file_start(
            actor=editor, source=source, upload=SimpleUploadedFile("second.csv", EXPORT.encode())
        )
    assert refused.value.code == "import_running"
    assert _files(dirs.JOURNEYBOARD_UPLOAD_DIR) == [Path(first.upload.path)]


def test_a_failed_or_cancelled_import_leaves_no_file_whatever_the_retention(
    dirs, editor, five_phase_map, django_capture_on_commit_callbacks
):
    dirs.JOURNEYBOARD_UPLOAD_RETENTION_DAYS = 30
    journey = five_phase_map.journey
    broken = services.import_file_start(
        actor=editor,
        source=SurveySourceFactory(journey=journey),
        upload=SimpleUploadedFile("broken.csv", EXPORT.encode()),
    )
    # Its source now names a column the file does not have: the worker refuses the file.
    SurveySource.objects.filter(pk=broken.source_id).update(field_mapping={"submitted_at": "Date"})
    cancelled = services.import_file_start(
        actor=editor,
        source=SurveySourceFactory(journey=journey),
        upload=SimpleUploadedFile("cancelled.csv", EXPORT.encode()),
    )
    assert len(_files(dirs.JOURNEYBOARD_UPLOAD_DIR)) == 2

    with django_capture_on_commit_callbacks(execute=True):
        broken = services.import_run_execute(broken.pk)
        cancelled = services.import_run_cancel(actor=editor, run_id=cancelled.pk)

    assert broken.state == ImportRun.State.FAILED, broken.error
    assert cancelled.state == ImportRun.State.CANCELLED
    assert _files(dirs.JOURNEYBOARD_UPLOAD_DIR) == []


def test_an_old_install_s_uploads_move_out_of_media(
    dirs, five_phase_map, django_capture_on_commit_callbacks
):
    source = SurveySourceFactory(journey=five_phase_map.journey)
    media = Path(dirs.MEDIA_ROOT)
    old = media / "imports/2026/11/customer-export.csv"
    old.parent.mkdir(parents=True)
    old.write_text(EXPORT)
    named = ImportRun.objects.create(
        source=source, state="succeeded", upload="imports/2026/11/customer-export.csv"
    )
    gone = ImportRun.objects.create(
        source=SurveySourceFactory(journey=five_phase_map.journey),
        state="succeeded",
        upload="imports/2026/10/deleted-by-hand.csv",
    )

    from feedback.uploads import legacy_uploads_move  # what the migration runs

    with django_capture_on_commit_callbacks(execute=True):
        assert legacy_uploads_move(ImportRun) == 1

    named.refresh_from_db()
    gone.refresh_from_db()
    assert not old.exists()
    assert Path(named.upload.path).read_text() == EXPORT
    assert Path(named.upload.path).is_relative_to(Path(dirs.JOURNEYBOARD_UPLOAD_DIR).resolve())
    assert "customer-export" not in named.upload.name
    assert gone.upload.name == ""
