"""Voice of the customer: survey sources, the responses they bring, and the import runs that
bring them.

Invariants kept by the database: one response per (source, external id) — so re-running an
import, retrying it or a redelivered message never duplicates a response; scores within their
scales (NPS 0–10, CSAT 1–5, CES 1–7); at most one pending or running import per source.
Maps and dashboards read ``ResponseRollup`` (per touchpoint and day) and ``MonthlyRollup``
(per touchpoint and month), never raw responses.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from feedback.uploads import survey_upload_name, survey_upload_storage_get
from journeys.models import Journey
from touchpoints.models import Touchpoint

# What a field mapping may name: our field → the source's column (or JSON path).
MAPPED_FIELDS = (
    "response_id",
    "submitted_at",
    "nps",
    "csat",
    "ces",
    "comment",
    "channel",
    "touchpoint",
    "phase",
)
REQUIRED_FIELDS = ("response_id", "submitted_at")
SCORE_FIELDS = ("nps", "csat", "ces")


class SurveySource(models.Model):
    """Where survey responses come from: an uploaded file or a survey platform."""

    class Kind(models.TextChoices):
        UPLOAD = "upload", "CSV / XLSX upload"
        QUALTRICS = "qualtrics", "Qualtrics"
        SURVEYMONKEY = "surveymonkey", "SurveyMonkey"
        TYPEFORM = "typeform", "Typeform"
        JSON = "json", "JSON over HTTPS"

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.UPLOAD)
    # Null: a shared source, whose responses are matched to touchpoints on any journey.
    journey = models.ForeignKey(
        Journey, null=True, blank=True, on_delete=models.CASCADE, related_name="survey_sources"
    )
    # Our field → the source's column or JSON path, e.g. {"nps": "Q1", "comment": "Q3"}.
    field_mapping = models.JSONField(default=dict, blank=True)
    # Tried in order when a response names no touchpoint code, e.g.
    # [{"channel": "chat", "phase": "Service", "touchpoint": "service-chat"}].
    matching_rules = models.JSONField(default=list, blank=True)
    # How the source's values are read (the import wizard's choices; scheduled syncs and the
    # next upload reuse them). Every key optional:
    #   "date_format": "auto" | "iso" | "day_first" | "month_first" | "excel_serial"
    #   "time_zone": an IANA zone for times written without one (default "UTC")
    #   "score_values": {"csat": {"very satisfied": 5, "6": null, …}, "nps": {…}, "ces": {…}}
    #       raw answer (its match_key) → the number stored; null means "no answer" (left empty)
    #   "touchpoint_values": {"111": "pts", "pts - patient transport": "pts"}
    #       a touchpoint/channel value (its match_key) → the touchpoint code it stands for
    #   "ignored_values": ["walk-in"]   match_keys the unmatched queue was told to ignore
    #   "attribute_columns": ["Trust", "Ward"]   columns kept on each response as attributes
    import_settings = models.JSONField(default=dict, blank=True)
    # Non-secret connection settings (base URL, survey / form id, datacenter).
    options = models.JSONField(default=dict, blank=True)
    # Secrets (API tokens, webhook secret): write-only through the API, never logged or shown.
    credentials = models.JSONField(default=dict, blank=True)
    sync_every_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Sync periodically; empty for manual runs only."
    )
    # Where the next network sync resumes (a page token, a date): saved with every chunk.
    cursor = models.JSONField(default=dict, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ImportRun(models.Model):
    """One import of a source: its state, progress, counts and per-row errors."""

    class State(models.TextChoices):
        # Uploaded for the import wizard: the file is kept, nothing is queued, and it does not
        # count as active (another import may run); it expires after a day (uploads_expire).
        DRAFT = "draft", "Draft"
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE_STATES = (State.PENDING, State.RUNNING)

    source = models.ForeignKey(SurveySource, on_delete=models.CASCADE, related_name="runs")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    # The raw file while its import needs it (kept privately, under a random name; empty once
    # deleted), and the name it was uploaded as, for people.
    upload = models.FileField(
        storage=survey_upload_storage_get, upload_to=survey_upload_name, blank=True
    )
    upload_name = models.CharField(max_length=255, blank=True)
    # Progress: bytes (files) or records (network sources) done, of the total when known.
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(null=True, blank=True)
    # Rows already written and committed: a resumed run skips them.
    rows_committed = models.PositiveBigIntegerField(default=0)
    read = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    unmatched = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    # A draft's dry run: the real import of its file, rolled back (null before one ran):
    # {"state": "running"|"done"|"failed", "read", "imported", "updated", "unchanged",
    #  "refused", "unmatched", "error", "reasons": [first 20], "unmatched_values": [[v, n]…]}
    dry_run = models.JSONField(null=True, blank=True)
    # Renewed with every chunk: a redelivered task takes a run over only once this is stale.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(state__in=["pending", "running"]),
                name="one_active_import_per_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} · {self.get_state_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    @property
    def progress(self) -> float | None:
        if self.state == self.State.SUCCEEDED:
            return 1.0
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


class ImportRowError(models.Model):
    """Why one row of an import was refused (the good rows still import)."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveBigIntegerField()  # 1-based data row (the header is row 0)
    field = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=500)
    # The row's response id and the refused value as the file had them (cut to 200), so the
    # report can be read beside the spreadsheet (whose row is ``row + 1``).
    response_id = models.CharField(max_length=200, blank=True, db_default="")
    value = models.CharField(max_length=200, blank=True, db_default="")

    class Meta:
        ordering = ["run", "row", "id"]

    def __str__(self) -> str:
        return f"row {self.row}: {self.field} {self.reason}".strip()


class SurveyResponse(models.Model):
    """What one customer said, matched to a touchpoint when it can be."""

    # Index budget: a million-row import updates every index of this table, so each must earn
    # its place. Lookups by source go through the (source, external id) key, by touchpoint
    # through (touchpoint, submitted_at); the plain foreign-key indexes are left out.
    # No database constraints on source and touchpoint either: checking a million rows at
    # commit cost more than writing them. Locks keep them right instead: an import takes
    # FOR KEY SHARE on its source and the touchpoints it may match, once; whoever deletes a
    # source or touchpoint locks it FOR UPDATE before Django collects what to cascade or null,
    # so the delete waits for an import in flight and then sees its rows.
    source = models.ForeignKey(
        SurveySource,
        on_delete=models.CASCADE,
        related_name="responses",
        db_index=False,
        db_constraint=False,
    )
    external_id = models.CharField(max_length=200)
    # Denormalized (the source's or the touchpoint's journey) for deletes and filters; Django
    # still cascades it. No database constraint: it would be checked again for every row.
    journey = models.ForeignKey(
        Journey,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="survey_responses",
        db_index=False,
        db_constraint=False,
    )
    touchpoint = models.ForeignKey(
        Touchpoint,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
        db_index=False,
        db_constraint=False,
    )
    submitted_at = models.DateTimeField()
    nps = models.PositiveSmallIntegerField(null=True, blank=True)
    csat = models.PositiveSmallIntegerField(null=True, blank=True)
    ces = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    channel = models.CharField(max_length=40, blank=True)
    # As the source gave it: kept so a person (or a later rule) can match it.
    touchpoint_code = models.CharField(max_length=80, blank=True)
    phase_name = models.CharField(max_length=120, blank=True)
    # What the response named (its touchpoint value, else its channel), normalised by
    # ``feedback.matching.match_key``: the unmatched queue groups by it, and a value-table rule
    # added later re-matches by it.
    match_key = models.CharField(max_length=80, blank=True, db_default="")
    # Columns the import was told to keep ("attribute_columns"): column → value, as text.
    attributes = models.JSONField(default=dict, blank=True, db_default={})
    # VADER compound score −1…1, filled in after the import (comments only).
    sentiment = models.FloatField(null=True, blank=True)
    # Of the imported values: a re-import with equal content counts as unchanged.
    content_hash = models.CharField(max_length=32)
    # Which run wrote it last: a pointer for people, not an invariant.
    last_run = models.ForeignKey(
        ImportRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["touchpoint", "submitted_at"]),
            models.Index(
                fields=["source"], condition=Q(touchpoint__isnull=True), name="unmatched_by_source"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="one_response_per_external_id"
            ),
            models.CheckConstraint(
                condition=Q(nps__isnull=True) | Q(nps__gte=0, nps__lte=10), name="nps_0_to_10"
            ),
            models.CheckConstraint(
                condition=Q(csat__isnull=True) | Q(csat__gte=1, csat__lte=5), name="csat_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(ces__isnull=True) | Q(ces__gte=1, ces__lte=7), name="ces_1_to_7"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} #{self.external_id}"


# The counters a rollup keeps, summed over any window to give every metric.
ROLLUP_COUNTERS = (
    "responses",
    "nps_count",
    "promoters",
    "detractors",
    "csat_count",
    "csat_satisfied",
    "ces_count",
    "ces_sum",
    "ces_sum_squares",
    "sentiment_count",
    "sentiment_sum",
)


class _RollupCounters(models.Model):
    """The counters every metric is computed from, summed over any set of rollups."""

    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="+")
    # The touchpoint's journey, for journey-wide sums; phases are read through the touchpoint
    # (a touchpoint moved to another phase takes its history along).
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="+")
    responses = models.PositiveIntegerField(default=0)
    nps_count = models.PositiveIntegerField(default=0)
    promoters = models.PositiveIntegerField(default=0)
    detractors = models.PositiveIntegerField(default=0)
    csat_count = models.PositiveIntegerField(default=0)
    csat_satisfied = models.PositiveIntegerField(default=0)
    ces_count = models.PositiveIntegerField(default=0)
    ces_sum = models.PositiveBigIntegerField(default=0)
    ces_sum_squares = models.PositiveBigIntegerField(default=0)
    sentiment_count = models.PositiveIntegerField(default=0)
    sentiment_sum = models.FloatField(default=0)

    class Meta:
        abstract = True


class ResponseRollup(_RollupCounters):
    """Sums of one touchpoint's responses on one day: every metric over any window is a SUM."""

    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="rollups")
    day = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["journey", "day"])]
        constraints = [
            models.UniqueConstraint(fields=["touchpoint", "day"], name="one_rollup_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.touchpoint_id} on {self.day}: {self.responses} responses"


class MonthlyRollup(_RollupCounters):
    """The daily rollups of one touchpoint summed over a calendar month, kept with them.

    A year of a map's daily rollups is ~36,500 rows (100 touchpoints × 365 days); the map's
    metrics read whole months here (~1,200 rows) and only the days of a window's partial
    first and last months from the daily rollups."""

    month = models.DateField()  # its first day

    class Meta:
        indexes = [models.Index(fields=["journey", "month"])]
        constraints = [
            models.UniqueConstraint(fields=["touchpoint", "month"], name="one_rollup_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.touchpoint_id} in {self.month:%Y-%m}: {self.responses} responses"
