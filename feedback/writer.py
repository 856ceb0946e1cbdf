"""Writing checked responses in chunks, set-based: into a staging table (COPY on PostgreSQL, a
plain multi-row INSERT elsewhere), matched to touchpoints in SQL, then upserted on
(source, external id). Re-writing a chunk changes nothing, so a retried or resumed import never
duplicates a response; a person's manual match survives a re-import that cannot match."""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, F, FloatField, Q, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncMonth

from feedback.matching import touchpoint_keys
from feedback.models import (
    ROLLUP_COUNTERS,
    MonthlyRollup,
    ResponseRollup,
    SurveyResponse,
    SurveySource,
)
from feedback.rows import CleanResponse
from touchpoints.models import Touchpoint

STAGING = "feedback_response_staging"
_COLUMNS = (
    "external_id",
    "submitted_at",
    "nps",
    "csat",
    "ces",
    "comment",
    "channel",
    "touchpoint_code",
    "phase_name",
    "content_hash",
    "attributes",  # kept columns, as JSON text in the staging table
    "match_key",
)


@dataclass
class ChunkResult:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    unmatched: int = 0
    touchpoints: set[int] = field(default_factory=set)  # whose rollups are now out of date


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def touchpoint_scope(source: SurveySource, alias: str) -> tuple[str, list]:
    """SQL for the touchpoints a source's codes may match: its map's; for a shared source, codes
    only one journey uses."""
    if source.journey_id:
        return f"{alias}.journey_id = %s", [source.journey_id]
    tp = quote(Touchpoint._meta.db_table)
    return f"{alias}.code IN (SELECT code FROM {tp} GROUP BY code HAVING COUNT(*) = 1)", []


def parents_lock(source: SurveySource) -> None:
    """Hold the source, and the touchpoints its responses may match, until commit (inside the
    transaction that writes the responses, before it matches them).

    Responses have no foreign-key constraints (a million checks at commit cost more than the
    writing): FOR KEY SHARE, taken once, keeps them right instead. A delete of the source or of
    a touchpoint locks it FOR UPDATE before Django collects what to cascade or null, so it waits
    for this transaction and then sees every row it wrote; one that committed first is simply
    not found here. Source first, then touchpoints in pk order, like the deleting sides."""
    if connection.vendor != "postgresql":
        return  # SQLite has one writer at a time: a delete cannot interleave with an import
    from feedback.exceptions import ImportRefused

    tp = quote(Touchpoint._meta.db_table)
    scope, params = touchpoint_scope(source, "t")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {quote(SurveySource._meta.db_table)} WHERE id = %s FOR KEY SHARE",
            [source.pk],
        )
        if cursor.fetchone() is None:
            raise ImportRefused("source_deleted", "The survey source was deleted.")
        cursor.execute(
            f"SELECT 1 FROM {tp} t WHERE {scope} ORDER BY t.id FOR KEY SHARE OF t", params
        )


def _staging_prepare(cursor) -> None:
    timestamp = "timestamptz" if connection.vendor == "postgresql" else "text"
    # A temporary table: private to this connection, gone with it.
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING} ("
        "external_id varchar(200) NOT NULL, "
        f"submitted_at {timestamp} NOT NULL, "
        "nps smallint, csat smallint, ces smallint, comment text NOT NULL, "
        "channel varchar(40) NOT NULL, touchpoint_code varchar(80) NOT NULL, "
        "phase_name varchar(120) NOT NULL, content_hash varchar(32) NOT NULL, "
        "attributes text NOT NULL, match_key varchar(80) NOT NULL, touchpoint_id bigint, "
        "journey_id bigint)"
    )
    cursor.execute(f"DELETE FROM {STAGING}")


def _staging_fill(
    cursor, responses: Iterable[CleanResponse], keys: dict[str, tuple[int, int]]
) -> None:
    """The chunk into the staging table, each response matched by what it named (``keys``:
    the source's value table, then codes, then names; the rules come after, in SQL)."""
    adapt = connection.ops.adapt_datetimefield_value
    rows = (
        (
            r.external_id,
            adapt(r.submitted_at),
            r.nps,
            r.csat,
            r.ces,
            r.comment,
            r.channel,
            r.touchpoint_code,
            r.phase_name,
            r.content_hash,
            json.dumps(r.attributes or {}, ensure_ascii=False),
            r.match_key,
            *keys.get(r.match_key, (None, None)),
        )
        for r in responses
    )
    columns = ", ".join((*_COLUMNS, "touchpoint_id", "journey_id"))
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {STAGING} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join(["%s"] * (len(_COLUMNS) + 2))
        cursor.executemany(f"INSERT INTO {STAGING} ({columns}) VALUES ({marks})", list(rows))


def _staging_match(cursor, source: SurveySource) -> None:
    """Responses that what they named did not match (``_staging_fill``): by the source's
    channel/phase rules, in order."""
    tp = quote(Touchpoint._meta.db_table)
    scope, params = touchpoint_scope(source, "t")
    for rule in source.matching_rules or []:
        conditions, rule_params = [], []
        if rule.get("channel"):
            conditions.append(f"{STAGING}.channel = %s")
            rule_params.append(str(rule["channel"]).lower())
        if rule.get("phase"):
            conditions.append(f"lower({STAGING}.phase_name) = %s")
            rule_params.append(str(rule["phase"]).lower())
        if not conditions or not rule.get("touchpoint"):
            continue  # the API refuses such rules; an old one is skipped, not applied to all
        cursor.execute(
            f"UPDATE {STAGING} SET touchpoint_id = t.id, journey_id = t.journey_id FROM {tp} t "
            f"WHERE {STAGING}.touchpoint_id IS NULL AND t.code = %s AND {scope} AND "
            + " AND ".join(conditions),
            [rule["touchpoint"], *params, *rule_params],
        )
    if source.journey_id:
        cursor.execute(
            f"UPDATE {STAGING} SET journey_id = %s WHERE journey_id IS NULL", [source.journey_id]
        )


def _staging_compare(cursor, source: SurveySource) -> ChunkResult:
    responses = quote(SurveyResponse._meta.db_table)
    cursor.execute(
        f"SELECT r.id IS NULL, r.content_hash = s.content_hash, "
        "s.touchpoint_id IS NULL AND (r.id IS NULL OR r.touchpoint_id IS NULL), "
        f"s.touchpoint_id, r.touchpoint_id FROM {STAGING} s LEFT JOIN {responses} r "
        "ON r.source_id = %s AND r.external_id = s.external_id",
        [source.pk],
    )
    result = ChunkResult()
    for is_new, same, unmatched, touchpoint_id, old_touchpoint_id in cursor.fetchall():
        if is_new:
            result.imported += 1
        elif same:
            result.unchanged += 1
            continue
        else:
            result.updated += 1
        result.unmatched += bool(unmatched)
        result.touchpoints.update(t for t in (touchpoint_id, old_touchpoint_id) if t)
    return result


def _staging_upsert(cursor, source: SurveySource, run_id: int | None) -> None:
    responses = quote(SurveyResponse._meta.db_table)
    changing = [c for c in _COLUMNS if c != "external_id"]
    jsonb = "::jsonb" if connection.vendor == "postgresql" else ""
    selected = ", ".join(f"{c}{jsonb}" if c == "attributes" else c for c in _COLUMNS)
    cursor.execute(
        f"INSERT INTO {responses} (source_id, last_run_id, journey_id, touchpoint_id, "
        f"sentiment, {', '.join(_COLUMNS)}) "
        f"SELECT %s, %s, journey_id, touchpoint_id, NULL, {selected} FROM {STAGING} "
        # WHERE true: SQLite needs it to tell the upsert clause from a join.
        "WHERE true ON CONFLICT (source_id, external_id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in changing)
        + ", last_run_id = excluded.last_run_id, journey_id = excluded.journey_id, "
        f"touchpoint_id = COALESCE(excluded.touchpoint_id, {responses}.touchpoint_id), "
        f"sentiment = NULL WHERE {responses}.content_hash <> excluded.content_hash",
        [source.pk, run_id],
    )


def responses_write(
    source: SurveySource, responses: list[CleanResponse], run_id: int | None = None
) -> ChunkResult:
    """Upsert one chunk (call inside a transaction). A later row wins over an earlier one with
    the same id."""
    latest = {r.external_id: r for r in responses}
    duplicates = len(responses) - len(latest)
    parents_lock(source)
    keys = touchpoint_keys(source)
    with connection.cursor() as cursor:
        _staging_prepare(cursor)
        _staging_fill(cursor, latest.values(), keys)
        _staging_match(cursor, source)
        result = _staging_compare(cursor, source)
        _staging_upsert(cursor, source, run_id)
        cursor.execute(f"DELETE FROM {STAGING}")
    result.updated += duplicates  # the earlier row's response was replaced by the later one
    return result


# --- Rollups ---------------------------------------------------------------------------------


def rollups_rebuild(touchpoint_ids: Iterable[int]) -> None:
    """Recount the daily sums of these touchpoints from their responses (inside a transaction).

    One INSERT … SELECT … GROUP BY, compiled by the ORM for whichever database runs it."""
    ids = sorted(set(touchpoint_ids))
    if not ids:
        return
    # Two recounts of one touchpoint at once (the sentiment task after an import, and a person
    # mapping unmatched responses onto it) would each count what it saw before the other
    # committed, and the later commit would publish the older numbers. Locked in id order,
    # the second waits and then counts what the first wrote. FOR NO KEY UPDATE does not
    # conflict with the FOR KEY SHARE an import holds on its touchpoints.
    list(
        Touchpoint.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    ResponseRollup.objects.filter(touchpoint_id__in=ids).delete()
    sums = (
        SurveyResponse.objects.filter(touchpoint_id__in=ids)
        .annotate(day=TruncDate("submitted_at"))
        .values("touchpoint_id", "touchpoint__journey_id", "day")
        .annotate(
            responses=Count("id"),
            nps_count=Count("id", filter=Q(nps__isnull=False)),
            promoters=Count("id", filter=Q(nps__gte=9)),
            detractors=Count("id", filter=Q(nps__lte=6)),
            csat_count=Count("id", filter=Q(csat__isnull=False)),
            csat_satisfied=Count("id", filter=Q(csat__gte=4)),
            ces_count=Count("id", filter=Q(ces__isnull=False)),
            ces_sum=Coalesce(Sum("ces"), 0),
            ces_sum_squares=Coalesce(Sum(F("ces") * F("ces")), 0),
            sentiment_count=Count("id", filter=Q(sentiment__isnull=False)),
            sentiment_sum=Coalesce(Sum("sentiment"), 0.0, output_field=FloatField()),
        )
        .order_by()
    )
    select, params = sums.query.sql_with_params()
    columns = ", ".join(("touchpoint_id", "journey_id", "day", *ROLLUP_COUNTERS))
    table = quote(ResponseRollup._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) {select}", params)
    monthly_rollups_rebuild(ids)


def monthly_rollups_rebuild(touchpoint_ids: list[int]) -> None:
    """Sum these touchpoints' daily rollups per calendar month (inside a transaction)."""
    MonthlyRollup.objects.filter(touchpoint_id__in=touchpoint_ids).delete()
    sums = (
        ResponseRollup.objects.filter(touchpoint_id__in=touchpoint_ids)
        .annotate(month=TruncMonth("day"))
        .values("touchpoint_id", "journey_id", "month")
        .annotate(**{name: Sum(name) for name in ROLLUP_COUNTERS})
        .order_by()
    )
    select, params = sums.query.sql_with_params()
    columns = ", ".join(("touchpoint_id", "journey_id", "month", *ROLLUP_COUNTERS))
    table = quote(MonthlyRollup._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) {select}", params)
