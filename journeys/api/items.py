"""Thin REST views: validate, call one service, serialize."""

from collections.abc import Callable
from typing import Any

import django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from journeys import services
from journeys.map_templates import TEMPLATES
from journeys.models import Card, Emotion, Journey, Lane, Opportunity, Phase
from journeys.permissions import EditorWritesOthersRead, Role, role_of, visible_journeys
from journeys.selectors import journey_events_after, journey_get, journey_list, journey_map_get
from journeys.serializers import (
    CardSerializer,
    DeleteSerializer,
    EmotionSerializer,
    JourneySerializer,
    LaneSerializer,
    MoveSerializer,
    OpportunitySerializer,
    PhaseSerializer,
    UserSummarySerializer,
)
from personas.models import Channel
from touchpoints.models import Department

_DELETE_PARAMS = [
    OpenApiParameter("version", int, description="The version you saw; 409 if it changed."),
    OpenApiParameter(
        "cascade", bool, description="Phases and lanes: delete what they hold as well."
    ),
]


def _edit_input(serializer_class, request, instance=None) -> tuple[int, dict[str, Any]]:
    """Validate a PATCH body: the changed fields, and the version the editor saw (required)."""
    serializer = serializer_class(instance, data=request.data, partial=True)
    serializer.is_valid(raise_exception=True)
    changes = dict(serializer.validated_data)
    version = changes.pop("version", None)
    if version is None:
        from rest_framework.exceptions import ValidationError

        raise ValidationError({"version": ["Name the version you edited."]})
    return version, changes


class MapItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """CRUD and move for one kind of map item, every write through its service."""

    model: type
    item_name: str  # the service prefix: card → card_create, card_update…
    permission_classes = [EditorWritesOthersRead]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    movable = True

    def get_queryset(self):
        journeys = visible_journeys(self.request.user)
        return self.model.objects.filter(journey__in=journeys.values("pk"))

    def _service(self, verb: str) -> Callable[..., Any]:
        return getattr(self._services_module(), f"{self.item_name}_{verb}")

    def _services_module(self):
        return services

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("version", None)
        item = self._service("create")(actor=request.user, **fields)
        return Response(self.get_serializer(item).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        item = self.get_object()
        version, changes = _edit_input(self.get_serializer_class(), request, item)
        # Placement is a move; the journey never changes.
        for placement in ("journey_id", "index"):
            changes.pop(placement, None)
        item = self._service("update")(
            actor=request.user,
            **{f"{self.item_name}_id": item.pk},
            version=version,
            changes=changes,
        )
        return Response(self.get_serializer(item).data)

    @extend_schema(parameters=_DELETE_PARAMS)
    def destroy(self, request, *args, **kwargs):
        item = self.get_object()
        params = DeleteSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        extra = (
            {"cascade": params.validated_data["cascade"]}
            if self.item_name in ("phase", "lane")
            else {}
        )
        self._service("delete")(
            actor=request.user,
            **{f"{self.item_name}_id": item.pk},
            version=params.validated_data.get("version"),
            **extra,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=MoveSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the item to ``index`` (0 = first) in its cell or another (phase, lane)."""
        item = self.get_object()
        move = MoveSerializer(data=request.data)
        move.is_valid(raise_exception=True)
        target = {
            f"{key}_id": move.validated_data[key]
            for key in ("phase", "lane")
            if key in move.validated_data
        }
        item = self._service("move")(
            actor=request.user,
            **{f"{self.item_name}_id": item.pk},
            index=move.validated_data["index"],
            version=move.validated_data.get("version"),
            **target,
        )
        return Response(self.get_serializer(item).data)


class PhaseViewSet(MapItemViewSet):
    model, item_name, serializer_class = Phase, "phase", PhaseSerializer
    filterset_fields = ["journey"]


class LaneViewSet(MapItemViewSet):
    model, item_name, serializer_class = Lane, "lane", LaneSerializer
    filterset_fields = ["journey", "kind"]


class CardViewSet(MapItemViewSet):
    model, item_name, serializer_class = Card, "card", CardSerializer
    filterset_fields = ["journey", "phase", "lane"]
    search_fields = ["text", "tag"]


class EmotionViewSet(MapItemViewSet):
    model, item_name, serializer_class = Emotion, "emotion", EmotionSerializer
    filterset_fields = ["journey", "phase", "source"]

    move = None  # an emotion belongs to its phase: nothing to move


class OpportunityViewSet(MapItemViewSet):
    model, item_name, serializer_class = Opportunity, "opportunity", OpportunitySerializer
    filterset_fields = ["journey", "phase", "status", "touchpoint", "owner"]
    search_fields = ["title", "description"]
    ordering_fields = ["priority", "due_date", "impact", "effort"]


# --- Journeys ---------------------------------------------------------------------------------


class JourneyFilter(django_filters.FilterSet):
    channel = django_filters.ChoiceFilter(
        choices=Channel.choices, method="_noop", help_text="Has a touchpoint on this channel."
    )
    department = django_filters.ChoiceFilter(
        choices=Department.choices, method="_noop", help_text="Has a touchpoint owned by it."
    )

    class Meta:
        model = Journey
        fields = ["persona", "status", "state", "is_restricted", "owner"]

    def _noop(self, queryset, name, value):
        return queryset  # applied by the selector, which knows touchpoints


class JourneyViewSet(MapItemViewSet):
    """Journeys: the list is a summary; one journey is the whole map."""

    model, item_name, serializer_class = Journey, "journey", JourneySerializer
    filterset_class = JourneyFilter
    search_fields = ["title", "description", "scenario"]
    ordering_fields = ["title", "updated_at", "created_at", "status"]

    def get_queryset(self):
        return journey_list(user=self.request.user, filters=self.request.query_params)

    def get_object(self):
        journey = journey_get(user=self.request.user, journey_id=self.kwargs["pk"])
        if journey is None:
            from rest_framework.exceptions import NotFound

            raise NotFound("No such journey.")
        return journey

    def retrieve(self, request, *args, **kwargs):
        """The whole map in a constant number of queries."""
        return Response(journey_map_get(journey=self.get_object(), context={"request": request}))

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("version", None)
        fields.pop("owner_id", None)
        collaborators = fields.pop("collaborators", [])
        journey = services.journey_create(
            actor=request.user, collaborator_ids=[u.pk for u in collaborators], **fields
        )
        journey = journey_get(user=request.user, journey_id=journey.pk)
        return Response(
            journey_map_get(journey=journey, context={"request": request}),
            status=status.HTTP_201_CREATED,
        )

    def partial_update(self, request, *args, **kwargs):
        journey = self.get_object()
        version, changes = _edit_input(self.get_serializer_class(), request, journey)
        changes.pop("template", None)
        if "collaborators" in changes:
            changes["collaborator_ids"] = [u.pk for u in changes.pop("collaborators")]
        journey = services.journey_update(
            actor=request.user, journey_id=journey.pk, version=version, changes=changes
        )
        journey = journey_get(user=request.user, journey_id=journey.pk)
        return Response(self.get_serializer(journey).data)

    move = None

    @extend_schema(parameters=[OpenApiParameter("after", int, required=True)])
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        """The changes since revision ``after`` (or a snapshot, when there are too many).

        The live map's fallback for catching up when its WebSocket has been away.
        """
        journey = self.get_object()
        after = serializers.IntegerField(min_value=0).run_validation(
            request.query_params.get("after")
        )
        events = journey_events_after(journey=journey, after=after)
        if events is None:
            snapshot = journey_map_get(journey=journey, context={"request": request})
            return Response({"revision": journey.revision, "snapshot": snapshot})
        return Response({"revision": journey.revision, "events": events})

    @action(detail=False, methods=["get"])
    def templates(self, request):
        """The templates a new journey can start from."""
        return Response(
            [
                {
                    "key": key,
                    "label": t.label,
                    "description": t.description,
                    "phases": list(t.phases),
                    "lanes": [{"name": name, "kind": kind} for name, kind in t.lanes],
                }
                for key, t in TEMPLATES.items()
            ]
        )


class MeSerializer(UserSummarySerializer):
    role = serializers.ChoiceField(choices=[r.value for r in Role])

    class Meta(UserSummarySerializer.Meta):
        fields = [*UserSummarySerializer.Meta.fields, "role"]


class MeView(APIView):
    """Who is signed in, and their role (the browser shows or hides edit controls by it)."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        data = UserSummarySerializer(request.user).data
        return Response({**data, "role": role_of(request.user)})
