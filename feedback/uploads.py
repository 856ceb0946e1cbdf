"""Where survey files wait for their import: a private directory that nothing serves.

A survey export holds customers' own words, and its map may be restricted; the file itself
carries no access check. So it is kept outside ``MEDIA_ROOT`` (which a web server in front
may serve whole), under a random name (never the uploader's file name: that is guessable and
shown only as ``ImportRun.upload_name``), and no longer than its run needs it (see
``services.uploads_expire`` and ``JOURNEYBOARD_UPLOAD_RETENTION_DAYS``).
"""

import secrets
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import transaction

# The suffixes the readers are chosen by; anything else is stored without one.
_KNOWN_SUFFIXES = (".csv", ".txt", ".xlsx")
SURVEYS = "surveys"


class SurveyUploadStorage(FileSystemStorage):
    """Files under ``JOURNEYBOARD_UPLOAD_DIR``, readable by this user only, with no URL."""

    def __init__(self) -> None:
        super().__init__(
            base_url=None, file_permissions_mode=0o600, directory_permissions_mode=0o700
        )

    # Read on every use, not once: tests (and a process whose settings change) point it
    # elsewhere, and Django clears a storage's cached location only for MEDIA_ROOT.
    @property
    def base_location(self) -> str:
        return str(settings.JOURNEYBOARD_UPLOAD_DIR)

    @property
    def location(self) -> str:
        return str(Path(self.base_location).resolve())

    def url(self, name: str | None) -> str:
        raise ValueError("Survey uploads have no address: nothing serves them.")


survey_upload_storage = SurveyUploadStorage()


def survey_upload_storage_get() -> SurveyUploadStorage:
    """The storage, as ``ImportRun.upload`` names it (a callable keeps it out of migrations)."""
    return survey_upload_storage


def survey_upload_name(instance, filename: str) -> str:
    """A random name (192 bits) that says nothing about the file or who uploaded it."""
    suffix = Path(filename or "").suffix.lower()
    return f"{SURVEYS}/{secrets.token_urlsafe(24)}{suffix if suffix in _KNOWN_SUFFIXES else ''}"


def survey_upload_delete(name: str) -> None:
    """Delete a stored survey file now (a file already gone is no error)."""
    if name:
        survey_upload_storage.delete(name)


def survey_upload_delete_on_commit(name: str) -> None:
    """Delete a stored survey file once the transaction that forgot it commits (a rollback
    keeps the file its run still names)."""
    if name:
        transaction.on_commit(partial(survey_upload_delete, name))


def import_run_deleted(sender, instance, **kwargs) -> None:
    """An import run is gone (with its source, its map, or by itself): so is its file.

    A receiver rather than a line in each service: a run goes through Django's delete
    collector whichever way it goes (a map's or source's cascade, the admin), and the
    collector is the one place that sees them all."""
    survey_upload_delete_on_commit(instance.upload.name if instance.upload else "")


def legacy_uploads_move(run_model) -> int:
    """Move the survey files runs still name out of ``MEDIA_ROOT/imports/`` (where versions
    before this one kept them, under their uploaders' names, served to every signed-in user)
    into this storage, under random names; returns how many moved.

    Copied, then the original deleted once the runs' new names are committed: a migration
    that fails half-way leaves every run naming a file that exists. A file already gone
    leaves its run naming none. ``services.uploads_expire`` deletes the files no run names."""
    from django.core.files import File
    from django.core.files.storage import default_storage

    moved = 0
    legacy = run_model.objects.exclude(upload="").filter(upload__startswith="imports/")
    for pk, old in legacy.values_list("pk", "upload").order_by("pk"):
        new = ""
        if default_storage.exists(old):
            with default_storage.open(old, "rb") as content:
                new = survey_upload_storage.save(survey_upload_name(None, old), File(content))
            transaction.on_commit(partial(default_storage.delete, old))
            moved += 1
        run_model.objects.filter(pk=pk).update(upload=new)
    return moved
