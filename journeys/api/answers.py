"""The shapes of the answers that the journeys API builds as dicts (the whole map, the event
log, templates, dashboards), described for the OpenAPI schema only: the views never run these
serializers, so describing an answer costs a live request nothing. Keep each beside what the
selector or read model returns; ``tests/test_api_fuzz.py`` checks every answer against them."""

from rest_framework import serializers

from journeys.dashboards.window import WINDOW_PRESETS
from journeys.serializers import (
    CardSerializer,
    EmotionSerializer,
    JourneySerializer,
    LaneSerializer,
    OpportunitySerializer,
    PhaseSerializer,
)
from personas.serializers import PersonaSerializer
from touchpoints.serializers import TouchpointSerializer


class CellSerializer(serializers.Serializer):
    phase = serializers.IntegerField()
    lane = serializers.IntegerField()
    cards = CardSerializer(many=True)


class JourneyMapSerializer(JourneySerializer):
    """The whole map (``journeys.selectors.journey_map_get``): the journey and all it holds."""

    persona = PersonaSerializer(allow_null=True)
    phases = PhaseSerializer(many=True)
    lanes = LaneSerializer(many=True)
    cells = CellSerializer(many=True)
    touchpoints = TouchpointSerializer(many=True)
    emotions = EmotionSerializer(many=True)
    opportunities = OpportunitySerializer(many=True)

    class Meta(JourneySerializer.Meta):
        fields = [
            *JourneySerializer.Meta.fields,
            "phases",
            "lanes",
            "cells",
            "touchpoints",
            "emotions",
            "opportunities",
        ]


class JourneyEventSerializer(serializers.Serializer):
    """One change of a map, as sockets hear it live (``journeys.realtime.broadcast``)."""

    kind = serializers.CharField(help_text="What happened, in the past tense: card_moved…")
    journey = serializers.IntegerField()
    revision = serializers.IntegerField()
    actor = serializers.IntegerField(allow_null=True)
    payload = serializers.JSONField()


class JourneyEventsSerializer(serializers.Serializer):
    """The changes after a revision: the events, or a snapshot when there are too many to
    replay; with ``limit``, a page of the log and where the next one starts."""

    revision = serializers.IntegerField()
    events = JourneyEventSerializer(many=True, required=False)
    snapshot = JourneyMapSerializer(required=False)
    next_after = serializers.IntegerField(required=False, allow_null=True)


class TemplateLaneSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField()


class JourneyTemplateSerializer(serializers.Serializer):
    """A template a new journey can start from (``journeys.map_templates``)."""

    key = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
    phases = serializers.ListField(child=serializers.CharField())
    lanes = TemplateLaneSerializer(many=True)


# --- Dashboards (``journeys.dashboards``) ------------------------------------------------------


class WindowSerializer(serializers.Serializer):
    """The days a dashboard reads, and the window of equal length before it (trends)."""

    preset = serializers.CharField(help_text=f"One of {', '.join(WINDOW_PRESETS)}, or custom.")
    since = serializers.DateField(allow_null=True)
    until = serializers.DateField()
    label = serializers.CharField()
    description = serializers.CharField(
        help_text="What the customer numbers cover, in words: “last 90 days, 5 Sep – 3 Dec 2026”."
    )
    previous = serializers.DictField(child=serializers.DateField(), allow_null=True)


class DashboardBaseSerializer(serializers.Serializer):
    window = WindowSerializer()
    moment_nps_target = serializers.FloatField()
    evidence_min_responses = serializers.IntegerField()
    health_formula = serializers.JSONField()


class PortfolioSerializer(DashboardBaseSerializer):
    """Every visible journey's health over the window, sorted as asked."""

    sort = serializers.CharField()
    filters = serializers.DictField(child=serializers.JSONField(allow_null=True))
    journeys = serializers.ListField(child=serializers.DictField())


class JourneyDashboardSerializer(DashboardBaseSerializer):
    """One journey's scores, trends, phases, touchpoints, comments and opportunities."""

    journey = serializers.DictField()
    revision = serializers.IntegerField()
    metrics = serializers.DictField()
    trend = serializers.DictField()
    monthly = serializers.ListField(child=serializers.DictField())
    team_emotion = serializers.FloatField(allow_null=True)
    voc_emotion = serializers.FloatField(allow_null=True)
    phases = serializers.ListField(child=serializers.DictField())
    touchpoints = serializers.ListField(child=serializers.DictField())
    comments = serializers.ListField(child=serializers.DictField())
    pain_points = serializers.IntegerField()
    opportunities = serializers.ListField(child=serializers.DictField())
    opportunities_by_status = serializers.DictField(child=serializers.IntegerField())
    moments = serializers.DictField(child=serializers.IntegerField())
    health = serializers.JSONField()
