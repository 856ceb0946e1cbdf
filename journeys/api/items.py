"""Map items over REST: reads from the visible journeys, every write one action of the table.

A write names the item by its URL and hands the body to its action (``journeys.actions``),
which validates it and calls the service; the service alone decides whether the user may
(404 when the map is out of sight, 403 when it is read-only). So a REST edit reads the item's
journey once, as a socket edit does, and both answer with the same shape.
"""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from journeys.actions import CREATE, DELETE, MOVE, UPDATE, Action, actions_of
from journeys.changes import ItemType
from journeys.permissions import EditorWritesOthersRead, visible_journeys
from journeys.serializers import (
    AxisMoveSerializer,
    CardSerializer,
    EmotionSerializer,
    LaneSerializer,
    MoveSerializer,
    OpportunityMoveSerializer,
    OpportunitySerializer,
    PhaseSerializer,
)
from journeys.services import CARD, EMOTION, LANE, OPPORTUNITY, PHASE

CONFIRM_DELETE = OpenApiParameter(
    "confirm",
    bool,
    description="Delete what holds survey evidence (a touchpoint's responses and linked "
    "opportunities, a map's or a survey source's responses); without it such a delete is "
    "answered 409 confirm_required with the counts of what would go.",
)
DELETE_PARAMETERS = [
    OpenApiParameter("version", int, description="The version you saw; 409 if it changed."),
    OpenApiParameter(
        "cascade", bool, description="Phases and lanes: delete what they hold as well."
    ),
    CONFIRM_DELETE,
]


def edit_input(serializer_class, request, instance=None) -> tuple[int, dict[str, Any]]:
    """Validate a PATCH body: the changed fields, and the version the editor saw (required)."""
    serializer = serializer_class(instance, data=request.data, partial=True)
    serializer.is_valid(raise_exception=True)
    changes = dict(serializer.validated_data)
    version = changes.pop("version", None)
    if version is None:
        raise ValidationError({"version": ["Name the version you edited."]})
    return version, changes


class MapItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """List, read, create, change, move and delete one kind of map item."""

    kind: ItemType
    permission_classes = [EditorWritesOthersRead]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        journeys = visible_journeys(self.request.user)
        return self.kind.model.objects.filter(journey__in=journeys.values("pk"))

    def _action(self, verb: str) -> Action:
        return actions_of(self.kind)[verb]

    def _pk(self) -> int:
        try:
            return int(self.kwargs["pk"])
        except ValueError:
            raise NotFound(f"No such {self.kind.name}.") from None

    def create(self, request, *args, **kwargs):
        act = self._action(CREATE)
        item = act.run(actor=request.user, data=request.data)
        return Response(act.represent(item), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        act = self._action(UPDATE)
        return Response(
            act.represent(act.run(actor=request.user, data=request.data, pk=self._pk()))
        )

    @extend_schema(parameters=DELETE_PARAMETERS)
    def destroy(self, request, *args, **kwargs):
        self._action(DELETE).run(actor=request.user, data=request.query_params, pk=self._pk())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=MoveSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the item to ``index`` (0 = first) in its cell or another (phase, lane)."""
        act = self._action(MOVE)
        return Response(
            act.represent(act.run(actor=request.user, data=request.data, pk=self._pk()))
        )


# What each kind's move takes (the action table refuses another kind's coordinates).
_MOVES_ALONG_ITS_AXIS = extend_schema_view(move=extend_schema(request=AxisMoveSerializer))


@_MOVES_ALONG_ITS_AXIS
class PhaseViewSet(MapItemViewSet):
    kind, serializer_class = PHASE, PhaseSerializer
    filterset_fields = ["journey"]


@_MOVES_ALONG_ITS_AXIS
class LaneViewSet(MapItemViewSet):
    kind, serializer_class = LANE, LaneSerializer
    filterset_fields = ["journey", "kind"]


class CardViewSet(MapItemViewSet):
    kind, serializer_class = CARD, CardSerializer
    filterset_fields = ["journey", "phase", "lane"]
    search_fields = ["text", "tag"]


class EmotionViewSet(MapItemViewSet):
    kind, serializer_class = EMOTION, EmotionSerializer
    filterset_fields = ["journey", "phase", "source"]

    move = None  # an emotion belongs to its phase: nothing to move


@extend_schema_view(move=extend_schema(request=OpportunityMoveSerializer))
class OpportunityViewSet(MapItemViewSet):
    kind, serializer_class = OPPORTUNITY, OpportunitySerializer
    filterset_fields = ["journey", "phase", "status", "touchpoint", "owner"]
    search_fields = ["title", "description"]
    ordering_fields = ["priority", "due_date", "impact", "effort"]
