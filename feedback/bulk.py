"""The fast path for CSV files on PostgreSQL: the file goes into a temporary table with COPY,
as it is, and everything else — checks, casts, matching, de-duplication, the upsert and the
counts — is set-based SQL. Per-row Python work would cost more than the COPY itself.

It follows the same rules as the row-by-row path (``feedback.rows``), and computes the same
content hash, so a file imported by one path and re-imported by the other is "unchanged".
The upload is copied once (``upload_copy``) and then imported in slices of rows
(``slice_import``), each committed by the caller with the run's counts and resume point, so
progress reaches the browser and a worker that dies leaves a run that resumes after the last
slice. Anything it cannot take (a row COPY rejects, an impossible calendar date) raises
``FastPathUnavailable`` with nothing of that slice kept, and the row-by-row path takes the file
on from the last committed slice.
"""

import dataclasses
from contextlib import suppress
from dataclasses import dataclass
from typing import IO

import psycopg
from django.db import DatabaseError, DataError, IntegrityError, connection, transaction

from feedback.matching import response_match_key, touchpoint_keys
from feedback.models import MAPPED_FIELDS, ImportRowError, SurveyResponse, SurveySource
from feedback.rows import LIMITS, REPORTED_LENGTH, SCALES, ReadSettings
from feedback.writer import ChunkResult, parents_lock, quote, touchpoint_scope
from journeys.mapfile.spreadsheet_cells import CELL_IN_PATTERN
from touchpoints.models import Touchpoint

RAW = "feedback_raw_upload"
TYPED = "feedback_typed_upload"
VALUE_KEYS = "feedback_named_values"  # what a slice's rows named → match_key and touchpoint
UNIQUE_KEY = "one_response_per_external_id"
# ISO 8601 as the row-by-row path reads it: a date, optionally a time and a zone.
DATE_START = r"^\d{4}-\d\d-\d\d([T ]\d\d:\d\d|$)"
SCORE = r"^\d+([.,]0+)?$"
QUOTED_CELL_IN = "'" + CELL_IN_PATTERN.replace("'", "''") + "'"  # as an SQL literal


class FastPathUnavailable(Exception):
    """This file needs the row-by-row path (its reasons stay per row there)."""


def reads_plainly(read: ReadSettings) -> bool:
    """Whether this path may take a file read with these settings.

    It reads what a plain export holds — ISO 8601 dates, zone-less times in UTC, scores as
    numbers — and keeps no columns besides ours. Anything else a source asks for (day-first or
    month-first dates, Excel serials, another time zone, score value maps, kept columns) is
    read by ``feedback.rows`` alone, row by row: one implementation of each rule rather than
    two that could disagree."""
    return read.plain


def upload_copy(raw: IO[bytes], width: int, delimiter: str, encoding: str) -> int:
    """The upload into a temporary table of text cells, as it is; returns how many rows.

    The table outlives this transaction (the slices are committed one by one) and belongs to
    this connection alone; ``upload_drop`` removes it, and so does the end of the session."""
    columns = ", ".join(f"c{i} text" for i in range(width))
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # A test's outer transaction, or an import that stopped on an error, may leave one.
            cursor.execute(f"DROP TABLE IF EXISTS {RAW}, {TYPED}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {RAW} ({columns}, "
                "row_no bigint GENERATED ALWAYS AS IDENTITY)"
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
            rows = cursor.cursor.rowcount
            # Each slice reads its range of rows by this index (a scan per slice would read the
            # whole upload as many times as there are slices).
            cursor.execute(f"CREATE INDEX ON {RAW} (row_no)")
            return rows
    except (DataError, psycopg.DataError) as error:
        raise FastPathUnavailable(str(error)) from error


def upload_drop() -> None:
    """Remove the copied upload (a pooled connection goes on to serve other work)."""
    # After a failure the connection may be unusable; its session, and the table, then end.
    with suppress(DatabaseError), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {RAW}, {TYPED}")


def _trimmed(columns: dict[str, int]) -> dict[str, str]:
    """SQL for each of our fields from the raw upload: the cell trimmed of whitespace as
    Python's ``str.strip`` would (ASCII), without the quote our own downloads put before a
    formula (``cell_in``), or '' where the file has no such column."""

    def cell(index: int) -> str:
        raw = f"c{index}"
        trimmed = f"btrim(coalesce({raw}, ''), E' \\t\\n\\r\\f\\v')"
        # Most cells start with neither whitespace nor a quote and end in no whitespace: they
        # are taken as they are, without the trim and the pattern (a third of the import's CPU).
        return (
            f"CASE WHEN ascii({raw}) > 32 AND ascii({raw}) <> 39 AND ascii(right({raw}, 1)) > 32 "
            f"THEN {raw} WHEN {trimmed} ~ {QUOTED_CELL_IN} THEN substr({trimmed}, 2) "
            f"ELSE {trimmed} END"
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
        # A plain whole number on the scale is found by hashing (the usual case); anything else
        # is parsed, and |2x − (low + high)| > high − low casts it once where BETWEEN would twice.
        checks.append(
            (
                field,
                f"{value} <> '' AND {value} NOT IN ({_whole(field)}) AND CASE WHEN "
                f"{value} ~ '{SCORE}' THEN abs(2 * replace({value}, ',', '.')::numeric - "
                f"{low + high}) > {high - low} ELSE true END",
                f"format('%%s is not on the {field.upper()} scale ({low}–{high})', {value})",
            )
        )
    for field, limit in LIMITS.items():
        checks.append(
            (field, f"length({f[field]}) > {limit}", f"'Longer than {limit} characters.'")
        )
    return checks


def _whole(field: str) -> str:
    """The scale's values as written plainly, as an SQL list: '0', '1', … '10'."""
    low, high = SCALES[field]
    return ", ".join(f"'{n}'" for n in range(low, high + 1))


def _score(field: str) -> str:
    return (
        f"CASE WHEN {field} = '' THEN NULL WHEN {field} IN ({_whole(field)}) THEN "
        f"{field}::smallint ELSE replace({field}, ',', '.')::numeric::smallint END"
    )


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
        "ON v.named_touchpoint_id IS NULL"
    )
    return join, params + scope_params, "ru.id", "ru.journey_id"


# --- What a row named, as matching compares it (feedback.matching.match_key) ---------------
#
# The fast path must key and match every value exactly as the row-by-row path does, or a file
# would match one way on PostgreSQL and another on SQLite (or when it is re-imported row by
# row). PostgreSQL's ``normalize(x, NFKC)`` and ``lower()`` follow the server's Unicode tables
# and locale, not Python's (under some locales ``lower`` folds ASCII only, under others
# differently from ``str.lower``), so the SQL does not compute keys at all: each slice's
# distinct (touchpoint value, channel) pairs are read out — few, since these columns repeat —
# keyed by Python's own ``match_key`` and resolved to touchpoints by ``touchpoint_keys``, and
# that small table is joined back. Equal by construction, so this path never declines for a
# value; and one join per row is cheaper than normalising every row's cells in SQL.


def _keys_prepare(cursor, source: SurveySource, columns: dict[str, int], first: int, last: int):
    """The slice's table of what its rows named (inside its transaction, after the touchpoints
    are locked): (touchpoint value, channel) as trimmed → match_key, touchpoint, journey."""
    keys = touchpoint_keys(source)
    trimmed = _trimmed(columns)
    cursor.execute(
        f"SELECT DISTINCT {trimmed['touchpoint']}, {trimmed['channel']} FROM {RAW} "
        f"WHERE row_no BETWEEN {int(first)} AND {int(last)}"
    )
    pairs = cursor.fetchall()
    cursor.execute(f"DROP TABLE IF EXISTS {VALUE_KEYS}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {VALUE_KEYS} (named_value text, named_channel text, "
        "match_key text, touchpoint_id bigint, journey_id bigint, "
        "PRIMARY KEY (named_value, named_channel)) "
        "ON COMMIT DROP"
    )
    # No other query may run on this connection during the COPY: everything is read first.
    with cursor.cursor.copy(
        f"COPY {VALUE_KEYS} (named_value, named_channel, match_key, touchpoint_id, "
        "journey_id) FROM STDIN"
    ) as copy:
        for touchpoint, channel in pairs:
            # As the row-by-row path keys it: its channel is lower-cased first (rows.py).
            key = response_match_key(touchpoint, channel.lower())
            copy.write_row((touchpoint, channel, key, *keys.get(key, (None, None))))
    cursor.execute(f"ANALYZE {VALUE_KEYS}")  # a temporary table has no statistics otherwise


def _cells(columns: dict[str, int], first: int, last: int) -> str:
    """The raw upload's rows ``first`` to ``last`` with each of our fields trimmed once.
    (OFFSET 0 keeps the trimming in this subquery: done once per cell, not once per check.)"""
    cells = ", ".join(f"{sql} AS {field}" for field, sql in _trimmed(columns).items())
    return (
        f"SELECT row_no, {cells} FROM {RAW} "
        f"WHERE row_no BETWEEN {int(first)} AND {int(last)} OFFSET 0"
    )


def _changed(responses: str) -> list[tuple[str, str]]:
    """(column, value from the new row ``n``) for an update of a response whose content changed;
    a person's match survives a re-import that cannot match."""
    columns = ("submitted_at", "nps", "csat", "ces", "comment", "channel", "touchpoint_code")
    return [
        *(
            (c, f"n.{c}")
            for c in (*columns, "phase_name", "content_hash", "match_key", "journey_id")
        ),
        ("last_run_id", "%s"),
        ("touchpoint_id", f"coalesce(n.touchpoint_id, {responses}.touchpoint_id)"),
        ("sentiment", "NULL"),
    ]


def _tally(rows: list[tuple]) -> tuple[int, int, set[int]]:
    """Written, unmatched and touched touchpoints from (touchpoint ids…, count) groups."""
    written = sum(row[-1] for row in rows)
    unmatched = sum(row[-1] for row in rows if row[-2] is None)
    return written, unmatched, {t for row in rows for t in row[:-1] if t is not None}


@dataclass(frozen=True)
class _SliceSql:
    """The SQL a slice is read with: its cells, and the rules that refuse a row."""

    cells: str  # rows ``first`` to ``last`` of the copied upload, trimmed
    rows: str  # its good rows, typed, matched and hashed
    rows_params: list
    checks: list[tuple[str, str, str]]  # (field, broken when, reason)
    empty: str
    broken: str
    nothing: str
    refused: str


# Python's isoformat() in UTC: on whole seconds, the ISO text output (SET LOCAL DateStyle and
# TimeZone) with a T and the zone's minutes; to_char for the rare fractions.
_ISO = (
    "CASE WHEN date_trunc('second', s.submitted_at) = s.submitted_at "
    "THEN overlay(s.submitted_at::text PLACING 'T' FROM 11 FOR 1) || ':00' "
    "ELSE to_char(s.submitted_at, 'YYYY-MM-DD\"T\"HH24:MI:SS.US') || '+00:00' END"
)


def _as_text(value: str) -> str:
    return f"coalesce({value}::text, 'None')"  # as str(None) in the other path's hash


_CONTENT_HASH = (
    f"md5(concat_ws(chr(31), {_ISO}, {_as_text('s.nps')}, {_as_text('s.csat')}, "
    f"{_as_text('s.ces')}, s.comment, s.channel, s.touchpoint_code, s.phase_name))"
)
_INSERTED_COLUMNS = (
    "source_id, last_run_id, external_id, journey_id, touchpoint_id, sentiment, "
    "submitted_at, nps, csat, ces, comment, channel, touchpoint_code, phase_name, content_hash, "
    "match_key"
)
_INSERTED_VALUES = (
    "%s, %s, n.external_id, n.journey_id, n.touchpoint_id, NULL, n.submitted_at, n.nps, "
    "n.csat, n.ces, n.comment, n.channel, n.touchpoint_code, n.phase_name, n.content_hash, "
    "n.match_key"
)
# What was written, grouped by touchpoint: the counts without a million rows coming back.
_TALLY = "SELECT touchpoint_id, count(*) FROM written GROUP BY touchpoint_id"


def _slice_sql(source: SurveySource, columns: dict[str, int], first: int, last: int) -> _SliceSql:
    f = {field: field for field in MAPPED_FIELDS}  # the checks read the trimmed cells by name
    empty = _empty(f)
    checks = _checks(f)
    broken = " OR ".join(f"({sql})" for _, sql, _ in checks)
    nothing = f"{f['comment']} = '' AND {f['nps']} = '' AND {f['csat']} = '' AND {f['ces']} = ''"
    refused = f"({empty}) OR ({broken}) OR ({nothing})"
    cells = _cells(columns, first, last)
    rule_join, rule_params, rule_id, rule_journey = _rules(source)
    # Every good row of the upload, typed (a zone-less time is UTC: SET LOCAL TimeZone),
    # keyed, matched (what it named, then the rules) and hashed; each level behind OFFSET 0
    # so that no cast is done twice.
    rows = f"""
        SELECT s.*, {_CONTENT_HASH} AS content_hash FROM (
            SELECT v.*, coalesce(v.named_touchpoint_id, {rule_id}) AS touchpoint_id,
                   coalesce(v.named_journey_id, {rule_journey}, %s::bigint) AS journey_id
            FROM (
                SELECT row_no, response_id AS external_id,
                       submitted_at::timestamptz AS submitted_at, {_score("nps")} AS nps,
                       {_score("csat")} AS csat, {_score("ces")} AS ces, comment,
                       lower(channel) AS channel, touchpoint AS touchpoint_code,
                       phase AS phase_name, coalesce(named.match_key, '') AS match_key,
                       named.touchpoint_id AS named_touchpoint_id,
                       named.journey_id AS named_journey_id
                FROM ({cells}) c
                LEFT JOIN {VALUE_KEYS} named
                  ON named.named_value = c.touchpoint AND named.named_channel = c.channel
                WHERE NOT ({refused}) OFFSET 0
            ) v
            {rule_join}
            OFFSET 0
        ) s
    """
    return _SliceSql(
        cells=cells,
        rows=rows,
        rows_params=[source.journey_id, *rule_params],
        checks=checks,
        empty=empty,
        broken=broken,
        nothing=nothing,
        refused=refused,
    )


def slice_import(
    *,
    source: SurveySource,
    run_id: int,
    columns: dict[str, int],
    first: int,
    last: int,
    first_import: bool,
) -> tuple[ChunkResult, int]:
    """Import rows ``first`` to ``last`` of the copied upload (inside the transaction that
    commits them with the run's counts); returns what was written and how many rows were
    refused (each reported, as the row-by-row path reports it).

    Each row is trimmed, checked, cast, matched and hashed in one pass. In a source's first
    import (the usual case, and the big one) the rows go straight from the upload into the
    responses with a plain INSERT; existing keys, or ids the file repeats, take a typed
    temporary table, an UPDATE of the changed responses and an INSERT of the new ones."""
    sql = _slice_sql(source, columns, first, last)
    responses = quote(SurveyResponse._meta.db_table)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL TimeZone = 'UTC'")
            cursor.execute("SET LOCAL DateStyle = 'ISO, YMD'")
            cursor.execute("SET LOCAL work_mem = '256MB'")
            read = max(0, last - first + 1)
            # The upload has no statistics: the planner would guess a few rows and join the
            # touchpoints by nested loop (a million times a hundred comparisons).
            cursor.execute("SET LOCAL enable_nestloop = off")
            parents_lock(source)
            _keys_prepare(cursor, source, columns, first, last)
            cursor.execute(f"SELECT 1 FROM {responses} WHERE source_id = %s LIMIT 1", [source.pk])
            fresh = cursor.fetchone() is None
            plain = None
            # The responses the first import's earlier slices wrote have other ids, unless the
            # file repeats one: the unique key then refuses the plain INSERT, and this slice
            # takes the typed path.
            if fresh or first_import:
                plain = _insert_fresh(
                    cursor,
                    f"WITH written AS (INSERT INTO {responses} ({_INSERTED_COLUMNS}) "
                    f"SELECT {_INSERTED_VALUES} FROM ({sql.rows}) n RETURNING touchpoint_id) "
                    f"{_TALLY}",
                    [source.pk, run_id, *sql.rows_params],
                )
            if plain is not None:
                valid, unmatched, touched = plain
                written = _Written(valid, valid, valid, 0, unmatched, touched)
            else:
                written = _typed_write(cursor, sql, source=source, run_id=run_id, fresh=fresh)
            if read > written.valid:
                _refusals_report(cursor, sql, run_id=run_id)
            result = ChunkResult(
                imported=written.inserted,
                # A later row with the same id replaced an earlier one.
                updated=written.updated + (written.valid - written.distinct),
                unchanged=written.distinct - written.inserted - written.updated,
                unmatched=written.unmatched,
                touchpoints=written.touched,
            )
    except (DataError, psycopg.DataError) as error:
        # A date that matches the pattern but does not exist.
        raise FastPathUnavailable(str(error)) from error
    return result, read - written.valid


@dataclass
class _Written:
    """What one slice wrote: its good rows, their distinct ids, and how each was written."""

    valid: int = 0
    distinct: int = 0
    inserted: int = 0
    updated: int = 0
    unmatched: int = 0
    touched: set[int] = dataclasses.field(default_factory=set)


def _typed_write(cursor, sql: _SliceSql, *, source: SurveySource, run_id: int, fresh: bool):
    """The slice through a typed temporary table: a later row with an id replaces an earlier
    one, changed responses are updated (recounting the touchpoint they left), new ones
    inserted."""
    responses = quote(SurveyResponse._meta.db_table)
    cursor.execute(f"DROP TABLE IF EXISTS {TYPED}")
    cursor.execute(f"CREATE TEMPORARY TABLE {TYPED} ON COMMIT DROP AS {sql.rows}", sql.rows_params)
    written = _Written(valid=cursor.rowcount)
    cursor.execute(f"SELECT count(*) FROM (SELECT DISTINCT external_id FROM {TYPED}) d")
    written.distinct = cursor.fetchone()[0]
    if written.distinct < written.valid:
        # A later row with the same id replaces the earlier one.
        cursor.execute(
            f"DELETE FROM {TYPED} t USING (SELECT external_id, max(row_no) AS last "
            f"FROM {TYPED} GROUP BY external_id HAVING count(*) > 1) d "
            "WHERE t.external_id = d.external_id AND t.row_no < d.last"
        )
    if not fresh:
        changed = _changed(responses)
        cursor.execute(
            f"""
            WITH n AS (
                SELECT old.id, old.touchpoint_id AS old_touchpoint_id, t.*
                FROM {TYPED} t JOIN {responses} old
                  ON old.source_id = %s AND old.external_id = t.external_id
                WHERE old.content_hash <> t.content_hash
            ),
            written AS (
                UPDATE {responses}
                SET {", ".join(f"{c} = {v}" for c, v in changed)}
                FROM n WHERE {responses}.id = n.id
                RETURNING n.old_touchpoint_id, {responses}.touchpoint_id
            )
            SELECT old_touchpoint_id, touchpoint_id, count(*) FROM written
            GROUP BY old_touchpoint_id, touchpoint_id
            """,
            [source.pk, run_id],
        )
        written.updated, written.unmatched, written.touched = _tally(cursor.fetchall())
    new = (
        ""
        if fresh
        else (
            f"WHERE NOT EXISTS (SELECT 1 FROM {responses} old "
            "WHERE old.source_id = %s AND old.external_id = n.external_id)"
        )
    )
    cursor.execute(
        f"WITH written AS (INSERT INTO {responses} ({_INSERTED_COLUMNS}) "
        f"SELECT {_INSERTED_VALUES} FROM {TYPED} n {new} RETURNING touchpoint_id) {_TALLY}",
        [source.pk, run_id] + ([] if fresh else [source.pk]),
    )
    written.inserted, new_unmatched, new_touched = _tally(cursor.fetchall())
    written.unmatched += new_unmatched
    written.touched |= new_touched
    return written


def _refusals_report(cursor, sql: _SliceSql, *, run_id: int) -> None:
    """Every broken rule of every refused row, as the row-by-row path reports them: with the
    row's response id and the refused value (each cut to 200 characters)."""
    errors = quote(ImportRowError._meta.db_table)
    limit = REPORTED_LENGTH
    every_check = ", ".join(
        f"(NOT ({sql.empty}) AND ({rule}), '{name}', {reason}, left({name}, {limit}))"
        for name, rule, reason in sql.checks
    )
    cursor.execute(
        f"INSERT INTO {errors} (run_id, row, field, reason, response_id, value) "
        f"SELECT %s, c.row_no, e.field, e.reason, left(c.response_id, {limit}), e.value "
        f"FROM ({sql.cells}) c, LATERAL (VALUES "
        f"({sql.empty}, '', 'The row is empty.', ''), {every_check}, "
        f"(NOT ({sql.empty}) AND NOT ({sql.broken}) AND {sql.nothing}, '', "
        "'The row has no score and no comment.', '')) AS e(bad, field, reason, value) "
        f"WHERE ({sql.refused}) AND e.bad",
        [run_id],
    )


def _insert_fresh(cursor, sql: str, params: list) -> tuple[int, int, set[int]] | None:
    """Written, unmatched and touched for a source's first import, inserted without looking for
    keys (there are none yet); None, with nothing kept, when the file repeats an id."""
    try:
        with transaction.atomic():
            cursor.execute(sql, params)
            return _tally(cursor.fetchall())
    except IntegrityError as error:
        cause = getattr(error.__cause__, "diag", None)
        if getattr(cause, "constraint_name", None) != UNIQUE_KEY:
            raise
        return None
