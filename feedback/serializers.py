"""Survey sources and import runs as the API shows them. Credentials are write-only; where a
source points is shown only to those who may edit it."""

from typing import Any

from rest_framework import serializers

from feedback.dates import DATE_FORMATS
from feedback.matching import match_key
from feedback.models import MAPPED_FIELDS, ImportRun, SurveySource
from feedback.rows import MAX_ATTRIBUTE_COLUMNS, SCALES
from journeys.permissions import Role, has_role

# How often a scheduled sync may run: not so often that it hammers a vendor, at least weekly.
SYNC_MINUTES_MIN = 5
SYNC_MINUTES_MAX = 7 * 24 * 60

# Options that say where a source points (a feed's URL may carry a key in its query).
ADDRESS_OPTIONS = ("url", "base_url", "datacenter")


class SurveySourceSerializer(serializers.ModelSerializer):
    journey = serializers.IntegerField(source="journey_id", allow_null=True, required=False)
    credentials = serializers.DictField(
        child=serializers.CharField(max_length=2000), write_only=True, required=False
    )
    # Which secrets are set, never their values.
    credentials_set = serializers.SerializerMethodField()

    class Meta:
        model = SurveySource
        fields = [
            "id",
            "name",
            "kind",
            "journey",
            "field_mapping",
            "import_settings",
            "matching_rules",
            "options",
            "credentials",
            "credentials_set",
            "sync_every_minutes",
            "last_synced_at",
            "version",
        ]
        read_only_fields = ["last_synced_at", "version"]

    def get_credentials_set(self, source: SurveySource) -> list[str]:
        return sorted(source.credentials or {})

    def to_representation(self, source: SurveySource) -> dict[str, Any]:
        data = super().to_representation(source)
        request = self.context.get("request")
        # Every source a user is shown is on a map they may see (or shared, shown to admins
        # only), so whether they may edit it is their role alone.
        if request is None or not has_role(request.user, Role.EDITOR):
            options = data.get("options")
            if isinstance(options, dict):
                data["options"] = {k: v for k, v in options.items() if k not in ADDRESS_OPTIONS}
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The kind's options and credentials, checked against its one table
        (``feedback.connectors.kinds``), as the admin form checks them."""
        from feedback.connectors.kinds import credentials_check, options_check

        instance = self.instance
        kind = attrs.get("kind", instance.kind if instance else SurveySource.Kind.UPLOAD)
        errors: dict[str, list[str]] = {}
        if instance is None or "kind" in attrs or "options" in attrs:
            options = attrs.get("options", instance.options if instance else {})
            problems = options_check(kind, options)
            if problems:
                errors["options"] = list(problems.values())
        if "credentials" in attrs:
            problems = credentials_check(kind, attrs["credentials"])
            if problems:
                errors["credentials"] = list(problems.values())
        schedule = attrs.get(
            "sync_every_minutes", instance.sync_every_minutes if instance else None
        )
        if schedule is not None and kind == SurveySource.Kind.UPLOAD:
            errors["sync_every_minutes"] = ["Only survey platform sources sync on a schedule."]
        elif schedule is not None and not SYNC_MINUTES_MIN <= schedule <= SYNC_MINUTES_MAX:
            errors["sync_every_minutes"] = [
                f"Sync every {SYNC_MINUTES_MIN} to {SYNC_MINUTES_MAX} minutes, or never (null)."
            ]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def validate_field_mapping(self, mapping: Any) -> dict:
        if not isinstance(mapping, dict):
            raise serializers.ValidationError("Expected an object: field → column name.")
        unknown = set(mapping) - set(MAPPED_FIELDS)
        if unknown:
            raise serializers.ValidationError(
                f"Unknown fields {', '.join(sorted(unknown))}; "
                f"map any of {', '.join(MAPPED_FIELDS)}."
            )
        if not all(v is None or (isinstance(v, str) and v) for v in mapping.values()):
            raise serializers.ValidationError(
                "Each field maps to a column name, or to null: not read."
            )
        return mapping

    def validate_import_settings(self, saved: Any) -> dict:
        """How the source's values are read (see ``SurveySource.import_settings``). A change
        is merged into the saved settings key by key; a key given as null is removed."""
        if not isinstance(saved, dict):
            raise serializers.ValidationError("Expected an object of settings.")
        known = {
            "date_format",
            "time_zone",
            "score_values",
            "touchpoint_values",
            "ignored_values",
            "attribute_columns",
        }
        unknown = set(saved) - known
        if unknown:
            raise serializers.ValidationError(
                f"Unknown settings {', '.join(sorted(unknown))}; "
                f"set any of {', '.join(sorted(known))}."
            )
        errors: dict[str, Any] = {}
        clean: dict[str, Any] = {}
        for name, check in (
            ("date_format", _date_format),
            ("time_zone", _time_zone),
            ("score_values", _score_values),
            ("touchpoint_values", _touchpoint_values),
            ("ignored_values", _ignored_values),
            ("attribute_columns", _attribute_columns),
        ):
            if name in saved:
                if saved[name] is None:
                    clean[name] = None  # removed (the change is merged into the saved ones)
                    continue
                try:
                    clean[name] = check(saved[name])
                except serializers.ValidationError as error:
                    errors[name] = error.detail
        if errors:
            raise serializers.ValidationError(errors)
        return clean

    def validate_matching_rules(self, rules: Any) -> list:
        if not isinstance(rules, list):
            raise serializers.ValidationError("Expected a list of rules.")
        for rule in rules:
            if not isinstance(rule, dict) or not isinstance(rule.get("touchpoint"), str):
                raise serializers.ValidationError("Each rule names a touchpoint code.")
            if not (rule.get("channel") or rule.get("phase")):
                raise serializers.ValidationError("Each rule needs a channel or a phase.")
        return rules


def _date_format(value: Any) -> str:
    if value not in DATE_FORMATS:
        raise serializers.ValidationError(f"Choose one of {', '.join(DATE_FORMATS)}.")
    return value


def _time_zone(value: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

    # Only names of the zone database: ZoneInfo would also open a path-like key.
    if not isinstance(value, str) or value not in available_timezones() | {"UTC"}:
        raise serializers.ValidationError("Give a time zone by its IANA name, e.g. Europe/London.")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise serializers.ValidationError(f"{value} is not a known time zone.") from None
    return value


def _score_values(value: Any) -> dict:
    """field → {answer → number on the field's scale, or null for "no answer"}; the answers
    are stored by their match_key (how they are compared)."""
    if not isinstance(value, dict):
        raise serializers.ValidationError("Expected an object: score field → value map.")
    clean = {}
    for field, values in value.items():
        if field not in SCALES:
            raise serializers.ValidationError(
                f"{field} is not a score field; map values of {', '.join(SCALES)}."
            )
        if not isinstance(values, dict) or len(values) > 500:
            raise serializers.ValidationError(f"{field}: expected an object of up to 500 answers.")
        low, high = SCALES[field]
        mapped = {}
        for answer, number in values.items():
            on_scale = (
                isinstance(number, int) and not isinstance(number, bool) and low <= number <= high
            )
            if number is not None and not on_scale:
                raise serializers.ValidationError(
                    f"{field}: “{answer}” maps to {number!r}, which is not on the "
                    f"{field.upper()} scale ({low}–{high}); use a whole number on it, or null "
                    "for no answer."
                )
            key = match_key(answer)
            if not key:
                raise serializers.ValidationError(f"{field}: an answer is empty.")
            mapped[key] = number
        clean[field] = mapped
    return clean


def _touchpoint_values(value: Any) -> dict:
    if not isinstance(value, dict) or len(value) > 5000:
        raise serializers.ValidationError("Expected an object: value → touchpoint code.")
    clean = {}
    for named, code in value.items():
        if not isinstance(code, str) or not code.strip() or len(code) > 80:
            raise serializers.ValidationError(f"“{named}” must map to a touchpoint code.")
        if match_key(named):
            clean[match_key(named)] = code.strip()
    return clean


def _ignored_values(value: Any) -> list:
    if not isinstance(value, list) or len(value) > 5000:
        raise serializers.ValidationError("Expected a list of values.")
    if not all(isinstance(v, str) for v in value):
        raise serializers.ValidationError("Each ignored value is a text.")
    return sorted({match_key(v) for v in value if match_key(v)})


def _attribute_columns(value: Any) -> list:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise serializers.ValidationError("Expected a list of column names.")
    if len(value) > MAX_ATTRIBUTE_COLUMNS:
        raise serializers.ValidationError(
            f"Keep at most {MAX_ATTRIBUTE_COLUMNS} columns as attributes."
        )
    if any(len(v) > 200 for v in value):
        raise serializers.ValidationError("A column name is longer than 200 characters.")
    return list(dict.fromkeys(value))


class ImportRunSerializer(serializers.ModelSerializer):
    source = serializers.IntegerField(source="source_id", read_only=True)
    progress = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "source",
            "state",
            "upload_name",
            "progress",
            "done",
            "total",
            "read",
            "imported",
            "updated",
            "unchanged",
            "failed",
            "unmatched",
            "error",
            "cancel_requested",
            "dry_run",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class ConnectionTestSerializer(serializers.Serializer):
    """What ``POST /api/survey-sources/{id}/test-connection/`` answers."""

    ok = serializers.BooleanField()
    code = serializers.CharField(help_text="ok, credentials_refused, not_found, rate_limited, …")
    message = serializers.CharField()
    fields = serializers.ListField(
        child=serializers.CharField(), help_text="Keys a record of this source has."
    )


class ConnectorKindSerializer(serializers.Serializer):
    """One kind of platform source and what it is set up with."""

    kind = serializers.CharField()
    label = serializers.CharField()
    options = serializers.ListField(child=serializers.DictField())
    credentials = serializers.ListField(child=serializers.DictField())
    mapping_help = serializers.CharField()
    mapping_placeholders = serializers.DictField(child=serializers.CharField())


class DateDetectionSerializer(serializers.Serializer):
    """How the sample's dates read (``feedback.dates.DateCounts``)."""

    column = serializers.CharField(allow_null=True)
    sample = serializers.IntegerField()
    iso = serializers.IntegerField()
    day_first = serializers.IntegerField()
    month_first = serializers.IntegerField()
    ambiguous = serializers.IntegerField()
    excel_serial = serializers.IntegerField()
    date_cells = serializers.IntegerField()
    unreadable = serializers.IntegerField()
    suggested = serializers.CharField()
    mixed = serializers.BooleanField()
    message = serializers.CharField()


class ImportPreviewSerializer(serializers.Serializer):
    """A draft's preview (``feedback.preview.import_preview``); the schema only."""

    columns = serializers.ListField(child=serializers.CharField(allow_blank=True))
    rows = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    sheet_rows = serializers.ListField(child=serializers.IntegerField())
    mapping = serializers.DictField(child=serializers.CharField(allow_null=True))
    settings = serializers.DictField()
    dates = DateDetectionSerializer()
    values = serializers.DictField(child=serializers.ListField(child=serializers.JSONField()))


class ImportDraftSerializer(ImportRunSerializer):
    """A draft run as its upload answers: the run and its preview; the schema only."""

    preview = ImportPreviewSerializer(read_only=True)

    class Meta(ImportRunSerializer.Meta):
        fields = [*ImportRunSerializer.Meta.fields, "preview"]
        read_only_fields = fields
