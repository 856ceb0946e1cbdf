"""A CX analyst uploads a survey export of more than 100 MB, as a browser does, to a real server
(uvicorn); a worker process imports it. Both stay within a bounded memory, measured on the
processes themselves, and every row arrives once."""

import io
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings
from django.db import connection

from feedback.models import ImportRun, SurveyResponse
from tests.servers import ROOT, Server, database_url, process_env

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 720_000
LIMIT_MB = 128  # above the file (this deployment's JOURNEYBOARD_IMPORT_MAX_MB)
# The project's memory budget for an import (the 1M-row benchmark's target). A Django process
# starts at about 100 MB here and the import measured 120–205 MB in the full suite (the
# allocator keeps freed chunks); one that read the rows whole would need several times the file.
PEAK_RSS_MB = 300
# Free-text comments as customers write them: a sentence or three (no commas, so the rows
# need no quoting).
COMMENTS = (
    "Quick and friendly at the till and the bike was ready when they said it would be so all "
    "in all a good visit that I would recommend to friends who cycle",
    "Payment failed twice before it went through and nobody in the chat could tell me whether "
    "I had been charged three times or once which took a week to sort out with my bank",
    "",
    "Nothing special",
)
CODES = ("checkout", "store-visit", "checkout", "no-such-touchpoint")
REFUSED_EVERY = 100_000  # a row out of the NPS scale now and then, reported and skipped


def write_survey(path: Path) -> None:
    """The export, streamed to disk ten thousand rows at a time."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("response_id,submitted_at,nps,csat,ces,comment,channel,touchpoint,phase\n")
        for start in range(0, ROWS, 10_000):
            out.write(
                "".join(
                    f"resp-{n:08d},2024-{n % 12 + 1:02d}-{n % 28 + 1:02d}T{n % 24:02d}:"
                    f"{n % 60:02d}:00Z,{11 if n % REFUSED_EVERY == 7 else n % 11},{n % 5 + 1},"
                    f"{n % 7 + 1},{COMMENTS[n % 4]},web,{CODES[n % 4]},Purchase\n"
                    for n in range(start, min(start + 10_000, ROWS))
                )
            )


class MultipartUpload:
    """A multipart/form-data body with one file, read from disk as it is sent (the way a
    browser sends a file input): the test process never holds the file either."""

    def __init__(self, path: Path, field: str = "file") -> None:
        self.boundary = uuid.uuid4().hex
        head = (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{path.name}"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.length = len(head) + path.stat().st_size + len(tail)
        self.parts = [io.BytesIO(head), path.open("rb"), io.BytesIO(tail)]

    def __len__(self) -> int:  # the Content-Length (without it, requests would chunk)
        return self.length

    def read(self, size: int = -1) -> bytes:
        while self.parts:
            chunk = self.parts[0].read(size)
            if chunk:
                return chunk
            self.parts.pop(0).close()
        return b""

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"


def peak_rss_mb(pid: int) -> float:
    """A live process's peak resident set so far (Linux's VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def import_in_child(run_id: int, env: dict[str, str], log: Path) -> tuple[int, float]:
    """Run the import as the Celery task would, in its own process: (exit code, peak RSS MB).

    The child reads its own peak (VmHWM) as it ends: the rusage ``wait4`` reports would count
    this test process too, whose peak Linux carries into a child across fork and exec (the
    child would then "peak" at whatever the test session had grown to)."""
    script = (
        "from feedback.services import import_run_execute\n"
        f"run = import_run_execute({run_id})\n"
        "print(run.state, run.read, run.imported, run.failed, run.error)\n"
        "status = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
        "print('peak MB', int(status) / 1024)\n"
    )
    with log.open("w") as out:
        child = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", script],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    peaks = [line for line in log.read_text().splitlines() if line.startswith("peak MB ")]
    return child.returncode, float(peaks[-1].split()[-1]) if peaks else float("inf")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's /proc")
def test_a_survey_file_over_100_mb_uploads_and_imports_in_bounded_memory(
    survey_map, editor, tmp_path
):
    from rest_framework.authtoken.models import Token

    survey = tmp_path / "survey-export.csv"
    write_survey(survey)
    size = survey.stat().st_size
    assert size > 100 * 2**20
    # The server and the worker keep their own var directory (their queued jobs stay in
    # there); the uploads directory is the one this test reads.
    env = {
        "JOURNEYBOARD_VAR_DIR": str(tmp_path / "var"),
        "JOURNEYBOARD_UPLOAD_DIR": str(django_settings.JOURNEYBOARD_UPLOAD_DIR),
        "JOURNEYBOARD_IMPORT_MAX_MB": str(LIMIT_MB),
    }
    database = database_url(connection.settings_dict)
    token = Token.objects.create(user=editor).key
    source = survey_map.source
    run = None
    server = Server(database=database, redis_url=None, extra_env=env)
    try:
        body = MultipartUpload(survey)
        answer = requests.post(
            f"{server.url}/api/survey-sources/{source.pk}/imports/",
            data=body,
            headers={"Authorization": f"Token {token}", "Content-Type": body.content_type},
            timeout=120,
        )
        upload_peak = peak_rss_mb(server.process.pid)
        assert answer.status_code == 202, answer.text
        run = ImportRun.objects.get(pk=answer.json()["id"])
        assert (run.state, run.total, run.upload_name) == ("pending", size, "survey-export.csv")
        stored = Path(run.upload.path)
        assert stored.stat().st_size == size  # kept whole, on disk
        assert upload_peak < PEAK_RSS_MB, f"the server peaked at {upload_peak:.0f} MB"

        log = tmp_path / "import.log"
        code, import_peak = import_in_child(run.pk, process_env(database, None) | env, log)
        assert code == 0, log.read_text()
        assert import_peak < PEAK_RSS_MB, f"the import peaked at {import_peak:.0f} MB"
    finally:
        server.stop()
        survey.unlink()
        if run is not None:
            run.upload.delete(save=False)

    run.refresh_from_db()
    assert not stored.exists() and run.upload.name == ""  # imported: the raw file is gone
    refused = len(range(7, ROWS, REFUSED_EVERY))
    assert (run.state, run.read, run.failed) == ("succeeded", ROWS, refused), run.error
    assert run.imported == ROWS - refused
    responses = SurveyResponse.objects.filter(source=source)
    assert responses.count() == ROWS - refused
    # Every other row names the checkout (the refused rows are odd ones).
    assert responses.filter(touchpoint=survey_map.checkout).count() == ROWS // 2
