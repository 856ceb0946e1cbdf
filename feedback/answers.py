"""The shapes of the answers that the feedback API builds as dicts (metrics, comments,
unmatched groups, the webhook's count), described for the OpenAPI schema only; the views never
run these serializers. Each sits beside the selector that returns it (``feedback.selectors``)."""

from rest_framework import serializers


class MetricsSerializer(serializers.Serializer):
    """NPS, CSAT, CES and sentiment with their margins of error and counts (``Metrics``)."""

    responses = serializers.IntegerField()
    nps = serializers.FloatField(allow_null=True)
    nps_margin = serializers.FloatField(allow_null=True)
    nps_count = serializers.IntegerField()
    csat = serializers.FloatField(allow_null=True)
    csat_margin = serializers.FloatField(allow_null=True)
    csat_count = serializers.IntegerField()
    ces = serializers.FloatField(allow_null=True)
    ces_margin = serializers.FloatField(allow_null=True)
    ces_count = serializers.IntegerField()
    sentiment = serializers.FloatField(allow_null=True)
    sentiment_count = serializers.IntegerField()


class PhaseMetricsSerializer(MetricsSerializer):
    voc_emotion = serializers.IntegerField(
        allow_null=True, help_text="The customers' emotion, −3…+3, from these metrics."
    )


class MonthMetricsSerializer(MetricsSerializer):
    month = serializers.DateField()


class JourneyVocSerializer(serializers.Serializer):
    """A journey's metrics over the window: whole, by phase and by touchpoint (keyed by id),
    and month by month."""

    journey = serializers.IntegerField()
    since = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True)
    journey_metrics = MetricsSerializer()
    phases = serializers.DictField(child=PhaseMetricsSerializer())
    touchpoints = serializers.DictField(child=MetricsSerializer())
    trend = MonthMetricsSerializer(many=True)


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    comment = serializers.CharField()
    sentiment = serializers.FloatField()
    nps = serializers.IntegerField(allow_null=True)
    csat = serializers.IntegerField(allow_null=True)
    ces = serializers.IntegerField(allow_null=True)


class TouchpointCommentsSerializer(serializers.Serializer):
    """The most negative and the most positive comments on a touchpoint."""

    negative = CommentSerializer(many=True)
    positive = CommentSerializer(many=True)


class UnmatchedGroupSerializer(serializers.Serializer):
    """Responses no touchpoint claimed, by what they named."""

    touchpoint_code = serializers.CharField(allow_blank=True)
    channel = serializers.CharField(allow_blank=True)
    phase_name = serializers.CharField(allow_blank=True)
    responses = serializers.IntegerField()


class UnmatchedAssignedSerializer(serializers.Serializer):
    mapped = serializers.IntegerField(help_text="How many responses now count for the touchpoint.")


class WebhookImportedSerializer(serializers.Serializer):
    imported = serializers.IntegerField()
    updated = serializers.IntegerField()
