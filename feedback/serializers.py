"""Survey sources and import runs as the API shows them. Credentials are write-only."""

from rest_framework import serializers

from feedback.models import MAPPED_FIELDS, ImportRun, SurveySource


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

    def validate_field_mapping(self, mapping: dict) -> dict:
        unknown = set(mapping) - set(MAPPED_FIELDS)
        if unknown:
            raise serializers.ValidationError(
                f"Unknown fields {', '.join(sorted(unknown))}; "
                f"map any of {', '.join(MAPPED_FIELDS)}."
            )
        if not all(isinstance(v, str) and v for v in mapping.values()):
            raise serializers.ValidationError("Each field maps to a column name.")
        return mapping

    def validate_matching_rules(self, rules: list) -> list:
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
