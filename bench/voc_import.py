"""Benchmark: import N survey responses from a CSV (default 1,000,000) — read, checked, matched
to touchpoints, upserted and rolled up — beside a floor measured in the same run: a bare
``COPY … FROM STDIN`` of the same file into a plain table. Prints wall times, the ratio, the
importer's peak RSS, and the median time of the journey metric read over those responses.

Needs PostgreSQL (``DATABASE_URL``); runs on a throw-away database.

    python bench/voc_import.py [--rows 1000000]
"""

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATIO, TARGET_RSS_MB, TARGET_READ_MS = 2.0, 300, 20.0
YEAR_START = date(2024, 1, 1)
COMMENTS = [
    "The checkout was quick and the staff were lovely",
    "Payment failed twice and nobody answered the chat",
    "Fine, nothing special",
    "Delivery came a day late but the bike is great",
    "",
    "",
]


def survey_file(path: Path, rows: int, codes: list[str]) -> None:
    rng = random.Random(7)
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                "response_id",
                "submitted_at",
                "nps",
                "csat",
                "ces",
                "comment",
                "channel",
                "touchpoint",
            ]
        )
        for n in range(rows):
            writer.writerow(
                [
                    f"resp-{n:08d}",
                    # Every day of a year: a year of a map's daily rollups for the read below.
                    f"{YEAR_START + timedelta(days=n % 366):%Y-%m-%d}"
                    f"T{n % 24:02d}:{n % 60:02d}:00Z",
                    rng.randint(0, 10),
                    rng.randint(1, 5),
                    rng.randint(1, 7),
                    rng.choice(COMMENTS),
                    rng.choice(["web", "phone", "chat"]),
                    rng.choice(codes) if n % 50 else "not-a-touchpoint",
                ]
            )


def run_import(run_id: int) -> None:
    """In a child process, so that its peak RSS is the importer's alone."""
    import django

    django.setup()
    from feedback import services

    started = time.perf_counter()
    run = services.import_run_execute(run_id)
    elapsed = time.perf_counter() - started
    assert run is not None and run.state == "succeeded", run and run.error
    # The parent reads the import's own time here (Python and Django start-up excluded), and
    # its own peak: the rusage of a child would carry the parent's peak across fork and exec.
    var = Path(os.environ["JOURNEYBOARD_VAR_DIR"])
    var.joinpath("import-seconds").write_text(str(elapsed))
    peak_kb = Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0]
    var.joinpath("import-peak-mb").write_text(str(int(peak_kb) / 1024))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if args.child:
        run_import(args.child)
        return
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        print("voc_import: needs PostgreSQL (set DATABASE_URL); skipped")
        return

    var = Path(tempfile.mkdtemp(prefix="journeyboard-voc-bench-"))
    os.environ["JOURNEYBOARD_VAR_DIR"] = str(var)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    import django

    django.setup()
    from django.core.files import File
    from django.db import connection

    from bench.common import build_map
    from feedback.models import ImportRun, SurveySource
    from feedback.selectors import journey_metrics
    from journeys.roles import ensure_role_groups

    original_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = "journeyboard_bench_voc"
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    child_env = {**os.environ, "DATABASE_URL": _url(connection.settings_dict)}
    try:
        ensure_role_groups()
        journey, _ = build_map()
        codes = list(journey.touchpoints.values_list("code", flat=True))
        path = var / "responses.csv"
        started = time.perf_counter()
        survey_file(path, args.rows, codes)
        size = path.stat().st_size
        print(
            f"{args.rows:,} responses, {size / 2**20:.0f} MiB CSV (written in "
            f"{time.perf_counter() - started:.1f} s)"
        )

        # Floor: COPY of the same file into a plain table with the same columns, as text.
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE UNLOGGED TABLE copy_floor (response_id text, submitted_at text, nps text, "
                "csat text, ces text, comment text, channel text, touchpoint text)"
            )
            started = time.perf_counter()
            with (
                path.open("rb") as data,
                cursor.cursor.copy(
                    "COPY copy_floor FROM STDIN WITH (FORMAT csv, HEADER true)"
                ) as copy,
            ):
                while chunk := data.read(1 << 20):
                    copy.write(chunk)
            floor = time.perf_counter() - started
        connection.commit() if not connection.get_autocommit() else None

        source = SurveySource.objects.create(name="Bench survey", journey=journey)
        with path.open("rb") as data:
            run = ImportRun.objects.create(source=source, upload_name="responses.csv")
            run.upload.save("responses.csv", File(data), save=True)
        connection.close()
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--child", str(run.pk)], env=child_env, check=True
        )
        product = float((var / "import-seconds").read_text())
        peak_mb = float((var / "import-peak-mb").read_text())
        run.refresh_from_db()
        from feedback import services

        started = time.perf_counter()
        services.responses_sentiment_update(source_id=source.pk)
        sentiment = time.perf_counter() - started

        bound = _write_bound(connection, var)

        samples = []
        for _ in range(60):
            t = time.perf_counter()
            journey_metrics(journey_id=journey.pk)
            samples.append((time.perf_counter() - t) * 1000)
        read_ms = statistics.median(samples[10:])

        print(
            f"counts: read {run.read:,}, imported {run.imported:,}, failed {run.failed:,}, "
            f"unmatched {run.unmatched:,}"
        )
        print(f"floor (COPY of the file into a plain table): {floor:6.1f} s")
        print(f"journeyboard import (check, match, upsert, rollups, VoC): {product:6.1f} s")
        ratio = product / floor
        print(
            f"  ratio {ratio:.2f}× (target ≤ {TARGET_RATIO}×): "
            f"{'met' if ratio <= TARGET_RATIO else 'MISSED'}"
        )
        print(
            f"  the least any import must write — the imported rows, already typed and matched, "
            f"COPYed in binary into a table keyed and indexed like survey responses: "
            f"{bound:.1f} s = {bound / floor:.2f}× the floor"
        )
        print(f"  then comment sentiment, in its own task: {sentiment:.1f} s")
        print(
            f"  importer peak RSS {peak_mb:.0f} MB (target < {TARGET_RSS_MB}): "
            f"{'met' if peak_mb < TARGET_RSS_MB else 'MISSED'}"
        )
        print(
            f"metric read for the journey (rollups): median {read_ms:.1f} ms "
            f"(target ≤ {TARGET_READ_MS:g}): {'met' if read_ms <= TARGET_READ_MS else 'MISSED'}"
        )
    finally:
        connection.close()
        connection.creation.destroy_test_db(original_name, verbosity=0)


def _write_bound(connection, var: Path) -> float:
    """Seconds to COPY the imported responses, as stored, into a fresh table with the survey
    responses' key and indexes: no parsing, checking, matching, de-duplication or rollups. No
    import of the file can write its rows faster than this, whatever it does before."""
    from feedback.models import SurveyResponse

    table = connection.ops.quote_name(SurveyResponse._meta.db_table)
    dump = var / "responses.bin"
    with connection.cursor() as cursor:
        with (
            dump.open("wb") as out,
            cursor.cursor.copy(f"COPY {table} TO STDOUT (FORMAT binary)") as copy,
        ):
            for chunk in copy:
                out.write(chunk)
        cursor.execute(f"CREATE TABLE write_bound (LIKE {table} INCLUDING DEFAULTS)")
        cursor.execute("ALTER TABLE write_bound ADD PRIMARY KEY (id)")
        cursor.execute("CREATE UNIQUE INDEX ON write_bound (source_id, external_id)")
        cursor.execute("CREATE INDEX ON write_bound (touchpoint_id, submitted_at)")
        cursor.execute("CREATE INDEX ON write_bound (source_id) WHERE touchpoint_id IS NULL")
        started = time.perf_counter()
        with (
            dump.open("rb") as data,
            cursor.cursor.copy("COPY write_bound FROM STDIN (FORMAT binary)") as copy,
        ):
            while chunk := data.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE write_bound")
    dump.unlink()
    return elapsed


def _url(settings_dict: dict) -> str:
    from tests.servers import database_url

    return database_url(settings_dict)


if __name__ == "__main__":
    main()
