"""Survey sources and import runs as the API shows them. Credentials are write-only; where a
source points is shown only to those who may edit it."""

from typing import Any

from rest_framework import serializers

from feedback.models import MAPPED_FIELDS, ImportRun, SurveySource
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
        if not all(isinstance(v, str) and v for v in mapping.values()):
            raise serializers.ValidationError("Each field maps to a column name.")
        return mapping

    def validate_matching_rules(self, rules: Any) -> list:
        if not isinstance(rules, list):
            raise serializers.ValidationError("Expected a list of rules.")
        for rule in rules:
            if not isinstance(rule, dict) or not isinstance(rule.get("touchpoint"), str):
                raise serializers.ValidationError("Each rule names a touchpoint code.")
            if not (rule.get("channel") or rule.get("phase")):
                raise serializers.ValidationError("Each rule needs a channel or a phase.")
        return rules


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
