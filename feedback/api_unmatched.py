"""Thin REST doors onto a map's unmatched queue (``feedback.unmatched``): read it, map a group
to a touchpoint, ignore a group. Anyone who sees the map reads it; its editors act on it."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from feedback import unmatched


class UnmatchedQueueGroupSerializer(serializers.Serializer):
    """Responses of one source no touchpoint claimed, by what they named."""

    source = serializers.IntegerField()
    source_name = serializers.CharField()
    match_key = serializers.CharField(
        allow_blank=True, help_text="What they named, normalised (empty: they named nothing)."
    )
    value = serializers.CharField(allow_blank=True, help_text="As most often written.")
    responses = serializers.IntegerField()
    ignored = serializers.BooleanField()
    last_seen = serializers.DateTimeField(help_text="The newest response's submission time.")


class UnmatchedMapSerializer(serializers.Serializer):
    source = serializers.IntegerField(min_value=1)
    match_key = serializers.CharField(max_length=200, trim_whitespace=False)
    touchpoint = serializers.IntegerField(min_value=1)


class UnmatchedMappedSerializer(serializers.Serializer):
    mapped = serializers.IntegerField(help_text="How many stored responses moved onto it.")


class UnmatchedIgnoreSerializer(serializers.Serializer):
    source = serializers.IntegerField(min_value=1)
    match_key = serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=False)
    ignored = serializers.BooleanField()


class UnmatchedIgnoredSerializer(serializers.Serializer):
    match_key = serializers.CharField(allow_blank=True)
    ignored = serializers.BooleanField()


@extend_schema(
    parameters=[
        OpenApiParameter(
            "ignored", OpenApiTypes.BOOL, description="Also the groups told to be ignored."
        )
    ],
    responses=UnmatchedQueueGroupSerializer(many=True),
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def journey_unmatched(request: Request, journey_id: int) -> Response:
    """The map's unmatched responses, grouped by source and what they named, largest first."""
    unmatched.journey_for_queue(actor=request.user, journey_id=journey_id)
    show_ignored = request.query_params.get("ignored", "").lower() in ("1", "true", "yes")
    return Response(unmatched.journey_unmatched_groups(journey_id=journey_id, ignored=show_ignored))


@extend_schema(request=UnmatchedMapSerializer, responses=UnmatchedMappedSerializer)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def journey_unmatched_map(request: Request, journey_id: int) -> Response:
    """Map a group to a touchpoint: a rule of its source from now on, and its stored responses
    count for the touchpoint."""
    unmatched.journey_for_queue(actor=request.user, journey_id=journey_id, edit=True)
    data = UnmatchedMapSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    mapped = unmatched.unmatched_map(
        actor=request.user,
        journey_id=journey_id,
        source_id=data.validated_data["source"],
        key=data.validated_data["match_key"],
        touchpoint_id=data.validated_data["touchpoint"],
    )
    return Response({"mapped": mapped})


@extend_schema(request=UnmatchedIgnoreSerializer, responses=UnmatchedIgnoredSerializer)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def journey_unmatched_ignore(request: Request, journey_id: int) -> Response:
    """Ignore a group (hidden from the queue, nothing deleted), or stop ignoring it."""
    unmatched.journey_for_queue(actor=request.user, journey_id=journey_id, edit=True)
    data = UnmatchedIgnoreSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    ignored = unmatched.unmatched_ignore(
        actor=request.user,
        journey_id=journey_id,
        source_id=data.validated_data["source"],
        key=data.validated_data["match_key"],
        ignored=data.validated_data["ignored"],
    )
    return Response(
        {"match_key": unmatched.match_key(data.validated_data["match_key"]), "ignored": ignored}
    )
