"""Journey map serializers: input validation at the edge, and the one output shape used by
REST responses and broadcast events alike."""

import copy
import functools

from django.contrib.auth import get_user_model
from rest_framework import serializers

from journeys.map_templates import TEMPLATES
from journeys.models import Card, Emotion, Journey, Lane, Opportunity, Phase

User = get_user_model()


@functools.cache
def _shared_serializer(serializer_class: type[serializers.Serializer]) -> serializers.Serializer:
    return serializer_class()


def represent(serializer_class: type[serializers.Serializer], instance) -> dict:
    """``serializer_class(instance).data`` without building the serializer's fields each time.

    Every live edit serializes its item twice (the event and the ack); DRF rebuilds a
    serializer's fields per instance, which was a third of an edit's CPU. Output serializers
    that need no request context share one instance (its fields are only read)."""
    return dict(_shared_serializer(serializer_class).to_representation(instance))


class UserSummarySerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name"]

    def get_name(self, user) -> str:
        return user.get_full_name() or user.username


# --- Map items --------------------------------------------------------------------------------
# `journey`, `phase` and `lane` are plain ids: the service checks they belong together, under
# the journey's lock, so the serializer never reveals whether another journey's id exists.


class ItemSerializer(serializers.ModelSerializer):
    journey = serializers.IntegerField(source="journey_id")
    version = serializers.IntegerField(min_value=1, required=False)
    updated_by = serializers.IntegerField(source="updated_by_id", read_only=True, allow_null=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        # DRF builds a model serializer's fields from the model for every instance (and would
        # deep-copy them), though they depend only on the class: most of a live edit's
        # validation time. Built once per class; each instance binds its own shallow copies
        # (binding sets only the copy's name and parent; these fields nest no serializers).
        cls = type(self)
        built = cls.__dict__.get("_built_fields")
        if built is None:
            built = cls._built_fields = super().get_fields()
        return {name: copy.copy(field) for name, field in built.items()}


class PlacedItemSerializer(ItemSerializer):
    position = serializers.IntegerField(read_only=True)
    # Where to put a new item among its siblings (0 = first); the end when left out.
    index = serializers.IntegerField(min_value=0, required=False, write_only=True)


class PhaseSerializer(PlacedItemSerializer):
    class Meta:
        model = Phase
        fields = [
            "id",
            "journey",
            "name",
            "description",
            "customer_goal",
            "position",
            "index",
            "version",
            "updated_by",
        ]


class LaneSerializer(PlacedItemSerializer):
    class Meta:
        model = Lane
        fields = ["id", "journey", "name", "kind", "position", "index", "version", "updated_by"]


class CardSerializer(PlacedItemSerializer):
    phase = serializers.IntegerField(source="phase_id")
    lane = serializers.IntegerField(source="lane_id")
    text = serializers.CharField(max_length=5000, trim_whitespace=True)
    created_by = serializers.IntegerField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = Card
        fields = [
            "id",
            "journey",
            "phase",
            "lane",
            "text",
            "color",
            "tag",
            "position",
            "index",
            "version",
            "updated_by",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class EmotionSerializer(ItemSerializer):
    phase = serializers.IntegerField(source="phase_id")
    score = serializers.IntegerField(min_value=Emotion.MIN_SCORE, max_value=Emotion.MAX_SCORE)

    class Meta:
        model = Emotion
        fields = [
            "id",
            "journey",
            "phase",
            "source",
            "score",
            "label",
            "emoji",
            "note",
            "version",
            "updated_by",
        ]
        # The team sets its estimate here; VoC emotions come from survey imports.
        read_only_fields = ["source"]


class OpportunitySerializer(PlacedItemSerializer):
    phase = serializers.IntegerField(source="phase_id")
    touchpoint = serializers.IntegerField(source="touchpoint_id", allow_null=True, required=False)
    # The Opportunities lane it shows in; null: the map's first one.
    lane = serializers.IntegerField(source="lane_id", allow_null=True, required=False)
    owner = serializers.IntegerField(source="owner_id", allow_null=True, required=False)
    impact = serializers.IntegerField(min_value=1, max_value=5, required=False)
    effort = serializers.IntegerField(min_value=1, max_value=5, required=False)
    priority = serializers.IntegerField(read_only=True)
    priority_level = serializers.CharField(read_only=True)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "journey",
            "phase",
            "lane",
            "touchpoint",
            "title",
            "description",
            "impact",
            "effort",
            "priority",
            "priority_level",
            "status",
            "owner",
            "due_date",
            "kpi",
            "target",
            "position",
            "index",
            "version",
            "updated_by",
        ]


class MoveSerializer(serializers.Serializer):
    """Where an item goes: a target cell (for cards and touchpoints) and an index in it."""

    index = serializers.IntegerField(min_value=0)
    version = serializers.IntegerField(min_value=1, required=False)
    phase = serializers.IntegerField(required=False)
    lane = serializers.IntegerField(required=False)


class AxisMoveSerializer(serializers.Serializer):
    """A phase or lane's move: along its own axis, to ``index`` (the schema's view of it)."""

    index = serializers.IntegerField(min_value=0)
    version = serializers.IntegerField(min_value=1, required=False)


class OpportunityMoveSerializer(AxisMoveSerializer):
    """An opportunity's move: to ``index`` in its phase or another one."""

    phase = serializers.IntegerField(required=False)


class DeleteSerializer(serializers.Serializer):
    """Query parameters of a delete: the version seen, and whether content may go too."""

    version = serializers.IntegerField(min_value=1, required=False)
    cascade = serializers.BooleanField(required=False, default=False)
    # A touchpoint holding survey responses or linked opportunities is deleted only when the
    # request confirms it (409 ``confirm_required`` with the counts otherwise).
    confirm = serializers.BooleanField(required=False, default=False)


# --- Journeys ---------------------------------------------------------------------------------


class JourneySerializer(serializers.ModelSerializer):
    """A journey's own fields, as listed and edited (the whole map is ``JourneyMapSerializer``)."""

    persona = serializers.IntegerField(source="persona_id", allow_null=True, required=False)
    owner = UserSummarySerializer(read_only=True)
    owner_id = serializers.IntegerField(write_only=True, required=False)
    collaborators = serializers.PrimaryKeyRelatedField(
        many=True, queryset=User.objects.filter(is_active=True), required=False
    )
    template = serializers.ChoiceField(
        choices=[(key, t.label) for key, t in TEMPLATES.items()],
        write_only=True,
        required=False,
        default="blank",
    )
    version = serializers.IntegerField(min_value=1, required=False)
    revision = serializers.IntegerField(read_only=True)

    class Meta:
        model = Journey
        fields = [
            "id",
            "title",
            "description",
            "scenario",
            "persona",
            "state",
            "status",
            "owner",
            "owner_id",
            "collaborators",
            "is_restricted",
            "template",
            "revision",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
