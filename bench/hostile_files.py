"""Benchmark: every hostile file and body of #13 through the real path — a uvicorn server and a
Celery worker (its import in a child process, as in production), as the tests run them — each
beside a tidy file of the same size, the floor. For each: the answer, the wall time from sending
to the outcome (a refusal, or the import run's end), and the peak RSS of the web process and of
the worker (its own, or its import's child, whichever is larger).

Peaks are per file: each process's peak is reset (``/proc/<pid>/clear_refs``) before a file is
sent, and the import's child is sampled while it lives. Uses DATABASE_URL and REDIS_URL when set
(SQLite and the filesystem broker otherwise), on a throw-away database of its own.

    python bench/hostile_files.py [--only NAME]
"""

import argparse
import contextlib
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import hostile_files

MB = 1024 * 1024


# --- Peak memory of a process, per file ----------------------------------------------------------


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _peak_reset(pid: int) -> None:
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Peaks:
    """The peak RSS (MB) of the web process and of the worker with its import children."""

    def __init__(self, web_pid: int, worker_pid: int) -> None:
        self.web_pid, self.worker_pid = web_pid, worker_pid
        self.children_kb = 0
        self._stop = threading.Event()

    def __enter__(self) -> "Peaks":
        _peak_reset(self.web_pid)
        _peak_reset(self.worker_pid)
        # What each held before (an allocator keeps what it freed): the file's cost is above it.
        self.web_before = _status_kb(self.web_pid, "VmRSS") / 1024
        self.worker_before = _status_kb(self.worker_pid, "VmRSS") / 1024
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            for child in _children(self.worker_pid):
                self.children_kb = max(self.children_kb, _status_kb(child, "VmHWM"))

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()
        self.web_mb = _status_kb(self.web_pid, "VmHWM") / 1024
        self.worker_mb = max(_status_kb(self.worker_pid, "VmHWM"), self.children_kb) / 1024


# --- The files ----------------------------------------------------------------------------------


def _tidy_survey_xlsx(size: int) -> bytes:
    """A tidy survey workbook of about ``size`` bytes (real rows, varied text)."""
    rows, data = 100, b""
    while True:
        data = hostile_files.survey_workbook(
            [
                [f"r{n}", "2024-05-01", str(n % 11), f"Comment {n} about visit {n * 7919 % 10007}"]
                for n in range(rows)
            ]
        )
        if len(data) >= size:
            return data
        rows = int(rows * size / len(data)) + 1


def _tidy_survey_csv(size: int) -> bytes:
    comment = "A sentence or three about the visit, as customers write them in free text"
    per_row = len(hostile_files.survey_csv(1000, comment=comment)) / 1000
    return hostile_files.survey_csv(int(size / per_row), comment=comment)


def _tidy_grid(size: int) -> bytes:
    """A map grid of 100 phases × 100 lanes with cells long enough to make ``size``."""
    cell = max(1, size // (100 * 100) - 3)
    lines = ["Lane \\ Phase," + ",".join(f"Phase {p}" for p in range(100))]
    for lane in range(100):
        text = ("c" * cell)[: min(cell, 4900)]
        lines.append(f"Lane {lane}," + ",".join(f'"{text}"' for _ in range(100)))
    return ("\n".join(lines) + "\n").encode()


def _tidy_map_json(size: int) -> bytes:
    cards = max(1, size // 5100)
    document = {
        "format": "journeyboard.map",
        "schema_version": 1,
        "journey": {"title": "Tidy"},
        "persona": None,
        "phases": [{"key": "P1", "name": "Discover"}],
        "lanes": [{"key": "L1", "name": "Actions", "kind": "actions"}],
        "cards": [{"phase": "P1", "lane": "L1", "text": "x" * 5000} for _ in range(cards)],
        "touchpoints": [],
        "emotions": [],
        "opportunities": [],
    }
    return json.dumps(document).encode()


def _nested_json() -> bytes:
    return ('{"format": "journeyboard.map", "phases": ' + "[" * 5000 + "]" * 5000 + "}").encode()


def _nul_csv() -> bytes:
    good = hostile_files.survey_csv(1000).decode()
    return good.replace("r500,", "r500\0,", 1).encode()


@dataclass
class Case:
    name: str
    door: str  # survey (a survey file), map (a map file), body (a JSON body to a path)
    hostile: Callable[[], bytes]
    tidy: Callable[[int], bytes]
    filename: str = ""
    path: str = ""


CASES = [
    Case(
        "xlsx, 1M-cell header",
        "survey",
        lambda: hostile_files.wide_header_workbook(1_000_000),
        _tidy_survey_xlsx,
        "survey.xlsx",
    ),
    Case(
        "xlsx, 1M-cell header, varied",
        "survey",
        lambda: hostile_files.wide_header_workbook(1_000_000, varied=True),
        _tidy_survey_xlsx,
        "survey.xlsx",
    ),
    Case(
        "xlsx, 4M-cell header",
        "survey",
        lambda: hostile_files.wide_header_workbook(4_000_000),
        _tidy_survey_xlsx,
        "survey.xlsx",
    ),
    Case(
        "xlsx, DTD entity",
        "survey",
        hostile_files.dtd_workbook,
        _tidy_survey_xlsx,
        "survey.xlsx",
    ),
    Case(
        "csv, one 50 MB line",
        "survey",
        lambda: hostile_files.one_huge_line_csv(50 * MB),
        _tidy_survey_csv,
        "survey.csv",
    ),
    Case("csv, a NUL in one row", "survey", _nul_csv, _tidy_survey_csv, "survey.csv"),
    Case(
        "csv, UTF-16",
        "survey",
        lambda: hostile_files.survey_csv(1000).decode().encode("utf-16"),
        _tidy_survey_csv,
        "survey.csv",
    ),
    Case(
        "csv, 1,700 columns",
        "survey",
        lambda: (
            hostile_files.SURVEY_HEADER + "".join(f",x{n}" for n in range(1700)) + "\n"
        ).encode(),
        _tidy_survey_csv,
        "survey.csv",
    ),
    Case(
        "map csv, 5M lines (10 MB)",
        "map",
        lambda: hostile_files.many_lines_grid(5_000_000),
        _tidy_grid,
        "map.csv",
    ),
    Case(
        "map json body, 96 MB",
        "body",
        lambda: json.dumps(
            {"format": "journeyboard.map", "phases": ["x" * 100] * (96 * MB // 105)}
        ).encode(),
        _tidy_map_json,
        path="/api/journeys/import/",
    ),
    Case(
        "map json, nested 5,000 deep",
        "body",
        _nested_json,
        _tidy_map_json,
        path="/api/journeys/import/",
    ),
    Case(
        "card body, 30 MB",
        "body",
        lambda: json.dumps({"text": "x" * (30 * MB)}).encode(),
        lambda size: json.dumps({"text": "x" * size}).encode(),
        path="/api/cards/",
    ),
]


# --- Sending them ---------------------------------------------------------------------------------


class Bench:
    def __init__(self, server, worker, token: str, source_id: int, phase: int, lane: int):
        self.server, self.worker = server, worker
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"
        self.source_id, self.phase, self.lane = source_id, phase, lane

    def fresh_source(self) -> None:
        """Each file imports into a source of its own: a tidy file is then all new rows, as
        the first import of an export is (not a re-import of rows another file wrote)."""
        from feedback.models import SurveySource

        model = SurveySource.objects.get(pk=self.source_id)
        self.source_id = SurveySource.objects.create(
            name=f"Bench survey {time.monotonic_ns()}", journey_id=model.journey_id
        ).pk

    def send(self, case: Case, data: bytes) -> str:
        url = self.server.url
        if case.door == "body":
            if case.path == "/api/cards/" and data.startswith(b'{"text"'):
                data = data[:-1] + f', "phase": {self.phase}, "lane": {self.lane}}}'.encode()
            answer = self.session.post(
                url + case.path, data=data, headers={"Content-Type": "application/json"}
            )
            return self._said(answer)
        if case.door == "map":
            answer = self.session.post(
                f"{url}/api/journeys/import/", files={"file": (case.filename, data)}
            )
            return self._said(answer)
        answer = self.session.post(
            f"{url}/api/survey-sources/{self.source_id}/imports/",
            files={"file": (case.filename, data)},
        )
        if answer.status_code != 202:
            return self._said(answer)
        return self._run_outcome(answer.json()["id"])

    def _run_outcome(self, run_id: int) -> str:
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline:
            run = self.session.get(f"{self.server.url}/api/import-runs/{run_id}/").json()
            if run["finished_at"]:
                said = f"run {run['state']}: {run['read']:,} read, {run['failed']:,} refused"
                return said + (f" — {run['error'][:60]}" if run["error"] else "")
            time.sleep(0.05)
        return "run still going after 30 min"

    @staticmethod
    def _said(answer) -> str:
        try:
            body = answer.json()
        except ValueError:
            return f"{answer.status_code} ({len(answer.content):,} bytes)"
        code = body.get("code", "") if isinstance(body, dict) else ""
        return f"{answer.status_code} {code} ({len(answer.content):,} bytes)".replace("  ", " ")

    def measure(self, case: Case, data: bytes) -> tuple[str, float, str, str]:
        self.fresh_source()
        with Peaks(self.server.process.pid, self.worker.process.pid) as peaks:
            started = time.perf_counter()
            said = self.send(case, data)
            wall = time.perf_counter() - started
        self.settle()
        web = f"{peaks.web_mb:4.0f}+{max(peaks.web_mb - peaks.web_before, 0):<4.0f}"
        worker = f"{peaks.worker_mb:4.0f}+{max(peaks.worker_mb - peaks.worker_before, 0):<4.0f}"
        return said, wall, web, worker

    def settle(self) -> None:
        """Wait (untimed) for the import's sentiment task, so that it is not the next file's
        wait in the worker's queue, nor in the next file's peak."""
        from feedback.models import SurveyResponse

        pending = SurveyResponse.objects.filter(
            source_id=self.source_id, sentiment__isnull=True
        ).exclude(comment="")
        deadline = time.monotonic() + 900
        while pending.exists() and time.monotonic() < deadline:
            time.sleep(0.2)


def _prepare(database: str):
    """A throw-away database, an editor with a token, a map with an upload source."""
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from feedback.models import SurveySource
    from journeys.models import Journey, Lane, Phase
    from journeys.permissions import Role
    from tests.factories import UserFactory

    if connection.vendor == "postgresql":
        connection.settings_dict["TEST"]["NAME"] = f"journeyboard_bench_hostile_{os.getpid()}"
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
        database = database.rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
    else:
        call_command("migrate", verbosity=0)
    editor = UserFactory(username="bench-editor", role=Role.EDITOR)
    journey = Journey.objects.create(title="Bench", owner=editor)
    phase = Phase.objects.create(journey=journey, name="Discover", position=1000)
    lane = Lane.objects.create(journey=journey, name="Actions", kind="actions", position=1000)
    source = SurveySource.objects.create(name="Bench survey", journey=journey)
    token = Token.objects.create(user=editor).key
    return database, token, source.pk, phase.pk, lane.pk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="run the cases whose name contains this")
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="journeyboard-hostile-bench-"))
    database = os.environ.get("DATABASE_URL") or f"sqlite:///{var / 'bench.sqlite3'}"
    os.environ.update(
        {
            "JOURNEYBOARD_VAR_DIR": str(var),
            "DATABASE_URL": database,
            "JOURNEYBOARD_REDIS_PREFIX": f"jb-bench-hostile-{os.getpid()}",
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    from tests.servers import CeleryWorker, Server

    # Stopped (SIGTERM), it still stops its server and worker.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    from django.db import connection

    original_name = connection.settings_dict["NAME"]
    database, token, source_id, phase, lane = _prepare(database)
    redis_url = settings.REDIS_URL or None
    server = Server(database=database, redis_url=redis_url)
    worker = CeleryWorker(database=database, redis_url=redis_url)
    bench = Bench(server, worker, token, source_id, phase, lane)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    broker = "Redis" if redis_url else "filesystem broker"
    print(
        f"hostile files through uvicorn + a Celery worker ({engine}, {broker}); peak RSS per "
        "file, web / worker (the import's child included)"
    )
    print("(MB: the peak, + how much above what the process held before the file)")
    print(f"{'file':30} {'size':>9} {'wall':>8} {'web MB':>10} {'worker MB':>10}  answer")
    try:
        for case in CASES:
            if args.only and args.only not in case.name:
                continue
            hostile = case.hostile()
            size = len(hostile)
            for label, data in (("", hostile), ("  tidy, same size", None)):
                data = data if data is not None else case.tidy(size)
                said, wall, web, work = bench.measure(case, data)
                name = label or case.name
                print(
                    f"{name:30} {len(data) / MB:7.2f}MB {wall:7.2f}s {web:>10} {work:>10}  {said}",
                    flush=True,
                )
                del data
    finally:
        worker.stop()
        server.stop()
        from django.db import connection

        if connection.vendor == "postgresql":
            connection.creation.destroy_test_db(original_name, verbosity=0)


if __name__ == "__main__":
    main()
