"""The fast path for CSV files on PostgreSQL: the file goes into a temporary table with COPY,
as it is, and everything else — checks, casts, matching, de-duplication, the upsert and the
counts — is set-based SQL. Per-row Python work would cost more than the COPY itself.

It follows the same rules as the row-by-row path (``feedback.rows``), and computes the same
content hash, so a file imported by one path and re-imported by the other is "unchanged".
Anything it cannot take (a row COPY rejects, an impossible calendar date) raises
``FastPathUnavailable`` before anything is kept, and the run takes the row-by-row path.
"""

from typing import IO

import psycopg
from django.db import DataError, connection, transaction

from feedback.models import MAPPED_FIELDS, ImportRowError, SurveyResponse, SurveySource
from feedback.rows import LIMITS, SCALES
from feedback.writer import ChunkResult, parents_lock, quote, touchpoint_scope
from journeys.exports.cells import CELL_IN_PATTERN
from touchpoints.models import Touchpoint

RAW = "feedback_raw_upload"
CHECKED = "feedback_checked_upload"
# ISO 8601 as the row-by-row path reads it: a date, optionally a time and a zone.
DATE_START = r"^\d{4}-\d\d-\d\d([T ]\d\d:\d\d|$)"
SCORE = r"^\d+([.,]0+)?$"
QUOTED_CELL_IN = "'" + CELL_IN_PATTERN.replace("'", "''") + "'"  # as an SQL literal


class FastPathUnavailable(Exception):
    """This file needs the row-by-row path (its reasons stay per row there)."""


def _copy(raw: IO[bytes], width: int, delimiter: str, encoding: str) -> None:
    columns = ", ".join(f"c{i} text" for i in range(width))
    with connection.cursor() as cursor:
        # Dropped at commit; a test's outer transaction (or a savepoint) may still hold one.
        cursor.execute(f"DROP TABLE IF EXISTS {RAW}, {CHECKED}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {RAW} ({columns}, "
            "row_no bigint GENERATED ALWAYS AS IDENTITY) ON COMMIT DROP"
        )
        names = ", ".join(f"c{i}" for i in range(width))
        pg_encoding = "LATIN1" if encoding == "latin-1" else "UTF8"
        raw.seek(3 if encoding == "utf-8-sig" else 0)  # the BOM is not part of the header
        with cursor.cursor.copy(
            f"COPY {RAW} ({names}) FROM STDIN WITH (FORMAT csv, HEADER true, "
            f"DELIMITER '{delimiter}', ENCODING '{pg_encoding}')"
        ) as copy:
            while chunk := raw.read(1 << 20):
                copy.write(chunk)


def _trimmed(columns: dict[str, int]) -> dict[str, str]:
    """SQL for each of our fields from the raw upload: the cell trimmed of whitespace as
    Python's ``str.strip`` would (ASCII), without the quote our own downloads put before a
    formula (``cell_in``), or '' where the file has no such column."""

    def cell(index: int) -> str:
        trimmed = f"btrim(coalesce(c{index}, ''), E' \\t\\n\\r\\f\\v')"
        return (
            f"CASE WHEN {trimmed} ~ {QUOTED_CELL_IN} THEN substr({trimmed}, 2) ELSE {trimmed} END"
        )

    return {field: cell(columns[field]) if field in columns else "''" for field in MAPPED_FIELDS}


def _empty(f: dict[str, str]) -> str:
    return " AND ".join(f"{sql} = ''" for sql in f.values())


def _checks(f: dict[str, str]) -> list[tuple[str, str, str]]:
    """(field, SQL that is true when a non-empty row breaks the rule, SQL for the reason).

    Casts sit behind a CASE on the pattern: SQL does not promise to evaluate OR in order.
    (Literal percent signs are doubled: these go into statements with parameters.)"""
    date = f["submitted_at"]
    checks = [
        ("response_id", f"{f['response_id']} = ''", "'The response id is missing.'"),
        ("submitted_at", f"{date} = ''", "'The date is missing.'"),
        (
            "submitted_at",
            # A cheap anchored prefix here; the cast checks the rest, and a date that passes
            # this but is no date at all sends the file down the row-by-row path.
            f"{date} <> '' AND CASE WHEN {date} ~ '{DATE_START}' "
            f"THEN left({date}, 4)::int < 1990 ELSE true END",
            f"format('“%%s” is not a date (use ISO 8601, e.g. 2024-05-01T10:00Z)', {date})",
        ),
    ]
    for field, (low, high) in SCALES.items():
        value = f[field]
        checks.append(
            (
                field,
                f"{value} <> '' AND CASE WHEN {value} ~ '{SCORE}' THEN "
                f"replace({value}, ',', '.')::numeric NOT BETWEEN {low} AND {high} ELSE true END",
                f"format('%%s is not on the {field.upper()} scale ({low}–{high})', {value})",
            )
        )
    for field, limit in LIMITS.items():
        checks.append(
            (field, f"length({f[field]}) > {limit}", f"'Longer than {limit} characters.'")
        )
    return checks


def _score(sql: str) -> str:
    return f"CASE WHEN {sql} = '' THEN NULL ELSE replace({sql}, ',', '.')::numeric::smallint END"


def _rules(source: SurveySource) -> tuple[str, list, str, str]:
    """A lateral join picking the first matching rule's touchpoint, for rows no code matched."""
    rules = [
        r
        for r in (source.matching_rules or [])
        if r.get("touchpoint") and (r.get("channel") or r.get("phase"))
    ]
    if not rules:
        return "", [], "NULL", "NULL"
    tp = quote(Touchpoint._meta.db_table)
    scope, scope_params = touchpoint_scope(source, "t")
    params: list = []
    for order, rule in enumerate(rules):
        params += [
            order,
            str(rule.get("channel") or "").lower() or None,
            str(rule.get("phase") or "").lower() or None,
            rule["touchpoint"],
        ]
    values = ", ".join(["(%s::int, %s::text, %s::text, %s::text)"] * len(rules))
    join = (
        f"LEFT JOIN LATERAL (SELECT t.id, t.journey_id FROM (VALUES {values}) "
        f"AS r(ord, channel, phase, code) JOIN {tp} t ON t.code = r.code AND {scope} "
        "WHERE (r.channel IS NULL OR r.channel = v.channel) AND "
        "(r.phase IS NULL OR r.phase = lower(v.phase_name)) ORDER BY r.ord LIMIT 1) ru "
        "ON by_code.id IS NULL"
    )
    return join, params + scope_params, "ru.id", "ru.journey_id"


def file_import_set_based(
    *,
    source: SurveySource,
    run_id: int,
    raw: IO[bytes],
    header: list[str],
    delimiter: str,
    encoding: str,
    columns: dict[str, int],
    size: int,
) -> ChunkResult:
    """Import a whole CSV in one transaction, the run's counts with it (so a worker killed
    halfway leaves nothing, and one killed after leaves everything)."""
    from feedback.models import ImportRun

    # Each cell is trimmed once, into CHECKED; the checks then read plain columns.
    trimmed = _trimmed(columns)
    f = {field: field for field in MAPPED_FIELDS}
    empty = _empty(f)
    checks = _checks(f)
    broken = " OR ".join(f"({sql})" for _, sql, _ in checks)
    nothing = f"{f['comment']} = '' AND {f['nps']} = '' AND {f['csat']} = '' AND {f['ces']} = ''"
    tp = quote(Touchpoint._meta.db_table)
    responses = quote(SurveyResponse._meta.db_table)
    errors = quote(ImportRowError._meta.db_table)
    scope, scope_params = touchpoint_scope(source, "by_code")
    rule_join, rule_params, rule_id, rule_journey = _rules(source)
    moment = "v.submitted_at::timestamptz"  # a zone-less time is UTC (SET LOCAL TimeZone)
    iso = (
        "to_char(s.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
        "CASE WHEN extract(microseconds FROM s.submitted_at)::bigint %% 1000000 <> 0 "
        "THEN to_char(s.submitted_at AT TIME ZONE 'UTC', '.US') ELSE '' END || '+00:00'"
    )

    def text(v: str) -> str:
        return f"coalesce({v}::text, 'None')"  # as str(None) in the other path's hash

    content_hash = (
        f"md5(concat_ws(chr(31), {iso}, {text('s.nps')}, {text('s.csat')}, {text('s.ces')}, "
        "s.comment, s.channel, s.touchpoint_code, s.phase_name))"
    )
    changing = ("submitted_at", "nps", "csat", "ces", "comment", "channel", "touchpoint_code")
    changing += ("phase_name", "content_hash")
    every_check = ", ".join(
        f"(NOT ({empty}) AND ({sql}), '{field}', {reason})" for field, sql, reason in checks
    )
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL TimeZone = 'UTC'")
            cursor.execute("SET LOCAL work_mem = '256MB'")
            _copy(raw, len(header), delimiter, encoding)
            cursor.execute(f"SELECT count(*) FROM {RAW}")
            read = cursor.fetchone()[0]
            parents_lock(source)
            # OFFSET 0 keeps the trimming in the inner query: done once per cell, not per check.
            cursor.execute(
                f"CREATE TEMPORARY TABLE {CHECKED} ON COMMIT DROP AS "
                f"SELECT *, ({empty}) OR ({broken}) OR ({nothing}) AS refused FROM (SELECT row_no, "
                + ", ".join(f"{sql} AS {field}" for field, sql in trimmed.items())
                + f" FROM {RAW} OFFSET 0) AS cells"
            )
            # Every broken rule of every refused row, as the row-by-row path reports them.
            cursor.execute(
                f"INSERT INTO {errors} (run_id, row, field, reason) "
                f"SELECT %s, c.row_no, e.field, e.reason FROM {CHECKED} c, LATERAL (VALUES "
                f"({empty}, '', 'The row is empty.'), {every_check}, "
                f"(NOT ({empty}) AND NOT ({broken}) AND {nothing}, '', "
                "'The row has no score and no comment.')) AS e(bad, field, reason) "
                "WHERE c.refused AND e.bad",
                [run_id],
            )
            cursor.execute(f"SELECT count(DISTINCT row) FROM {errors} WHERE run_id = %s", [run_id])
            refused = cursor.fetchone()[0]
            cursor.execute(
                f"""
                WITH valid AS MATERIALIZED (
                    SELECT {f["response_id"]} AS external_id, {f["submitted_at"]} AS submitted_at,
                           {_score(f["nps"])} AS nps, {_score(f["csat"])} AS csat,
                           {_score(f["ces"])} AS ces, {f["comment"]} AS comment,
                           lower({f["channel"]}) AS channel, {f["touchpoint"]} AS touchpoint_code,
                           {f["phase"]} AS phase_name, row_no
                    FROM {CHECKED} WHERE NOT refused
                ),
                latest AS MATERIALIZED (
                    SELECT DISTINCT ON (external_id) * FROM valid
                    ORDER BY external_id, row_no DESC
                ),
                s AS (
                    SELECT v.external_id, {moment} AS submitted_at, v.nps, v.csat, v.ces,
                           v.comment, v.channel, v.touchpoint_code, v.phase_name,
                           coalesce(by_code.id, {rule_id}) AS touchpoint_id,
                           coalesce(by_code.journey_id, {rule_journey}, %s::bigint) AS journey_id
                    FROM latest v
                    LEFT JOIN {tp} by_code
                      ON v.touchpoint_code <> '' AND by_code.code = v.touchpoint_code AND {scope}
                    {rule_join}
                ),
                upserted AS (
                    INSERT INTO {responses} (source_id, last_run_id, external_id, journey_id,
                        touchpoint_id, sentiment, {", ".join(changing)})
                    SELECT %s, %s, s.external_id, s.journey_id, s.touchpoint_id, NULL,
                           s.submitted_at, s.nps, s.csat, s.ces, s.comment, s.channel,
                           s.touchpoint_code, s.phase_name, {content_hash}
                    FROM s
                    ON CONFLICT (source_id, external_id) DO UPDATE SET
                        {", ".join(f"{c} = excluded.{c}" for c in changing)},
                        last_run_id = excluded.last_run_id, journey_id = excluded.journey_id,
                        touchpoint_id = coalesce(excluded.touchpoint_id, {responses}.touchpoint_id),
                        sentiment = NULL
                    WHERE {responses}.content_hash <> excluded.content_hash
                    RETURNING (xmax = 0) AS inserted, touchpoint_id
                )
                SELECT (SELECT count(*) FROM valid), (SELECT count(*) FROM latest),
                       count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
                       count(*) FILTER (WHERE touchpoint_id IS NULL),
                       array_remove(array_agg(DISTINCT touchpoint_id), NULL)
                FROM upserted
                """,
                [source.journey_id, *scope_params, *rule_params, source.pk, run_id],
            )
            valid, distinct, inserted, updated, unmatched, touched = cursor.fetchone()
            result = ChunkResult(
                imported=inserted,
                updated=updated + (valid - distinct),  # a later row replaced an earlier one
                unchanged=distinct - inserted - updated,
                unmatched=unmatched,
                touchpoints=set(touched or []),
            )
            ImportRun.objects.filter(pk=run_id).update(
                read=read,
                imported=result.imported,
                updated=result.updated,
                unchanged=result.unchanged,
                failed=refused,
                unmatched=result.unmatched,
                rows_committed=read,
                done=size,
                total=size,
            )
    except (DataError, psycopg.DataError) as error:
        # A row COPY could not take, or a date that matches the pattern but does not exist.
        raise FastPathUnavailable(str(error)) from error
    return result
