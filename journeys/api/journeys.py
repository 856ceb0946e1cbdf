"""Journeys over REST: the list is a summary, one journey is the whole map."""

import django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from journeys import services
from journeys.api.answers import (
    JourneyEventsSerializer,
    JourneyMapSerializer,
    JourneyTemplateSerializer,
)
from journeys.api.items import CONFIRM_DELETE, DELETE_PARAMETERS, edit_input
from journeys.map_templates import TEMPLATES
from journeys.models import Journey
from journeys.permissions import EditorWritesOthersRead, Role, can_share_journey, role_of
from journeys.selectors import (
    journey_events_after,
    journey_events_page,
    journey_get,
    journey_list,
    journey_map_get,
)
from journeys.serializers import DeleteSerializer, JourneySerializer, UserSummarySerializer
from personas.models import Channel
from touchpoints.models import Department

# The most events one page of the log holds.
EVENT_PAGE_MAX = 1000


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


class JourneyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Journeys: the list is a summary; one journey is the whole map."""

    serializer_class = JourneySerializer
    permission_classes = [EditorWritesOthersRead]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filterset_class = JourneyFilter
    search_fields = ["title", "description", "scenario"]
    ordering_fields = ["title", "updated_at", "created_at", "status"]

    def get_queryset(self):
        return journey_list(user=self.request.user, filters=self.request.query_params)

    def get_object(self):
        journey_id = self.kwargs["pk"]
        # The router takes any word as an id; only a number can name a journey.
        journey = (
            journey_get(user=self.request.user, journey_id=int(journey_id))
            if journey_id.isascii() and journey_id.isdigit()
            else None
        )
        if journey is None:
            raise NotFound("No such journey.")
        return journey

    @extend_schema(responses=JourneyMapSerializer)
    def retrieve(self, request, *args, **kwargs):
        """The whole map in a constant number of queries."""
        return Response(journey_map_get(journey=self.get_object(), context={"request": request}))

    @extend_schema(responses={201: JourneyMapSerializer})
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
        version, changes = edit_input(self.get_serializer_class(), request, journey)
        changes.pop("template", None)
        if "collaborators" in changes:
            changes["collaborator_ids"] = [u.pk for u in changes.pop("collaborators")]
        saved = services.journey_update(
            actor=request.user, journey_id=journey.pk, version=version, changes=changes
        )
        # An owner who hands a restricted map to someone else (and is no collaborator) no
        # longer sees it: the answer is still what they saved; their next read is a 404.
        journey = journey_get(user=request.user, journey_id=saved.pk) or saved
        return Response(self.get_serializer(journey).data)

    @extend_schema(parameters=[DELETE_PARAMETERS[0], CONFIRM_DELETE])
    def destroy(self, request, *args, **kwargs):
        journey = self.get_object()
        params = DeleteSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        services.journey_delete(
            actor=request.user,
            journey_id=journey.pk,
            version=params.validated_data.get("version"),
            confirm=params.validated_data["confirm"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[
            OpenApiParameter("after", int, required=True),
            OpenApiParameter(
                "limit",
                int,
                description=f"Page through the log instead: at most this many events "
                f"(up to {EVENT_PAGE_MAX}), never a snapshot; ``next_after`` names the next page.",
            ),
        ],
        responses=JourneyEventsSerializer,
    )
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        """The changes since revision ``after`` (or a snapshot, when there are too many).

        The live map's fallback for catching up when its WebSocket has been away; with
        ``limit``, the whole log page by page, however old.
        """
        journey = self.get_object()
        sees_share_links = can_share_journey(request.user, journey)
        after = serializers.IntegerField(min_value=0).run_validation(
            request.query_params.get("after")
        )
        if "limit" in request.query_params:
            limit = serializers.IntegerField(min_value=1, max_value=EVENT_PAGE_MAX).run_validation(
                request.query_params.get("limit")
            )
            page = journey_events_page(
                journey=journey, after=after, limit=limit, sees_share_links=sees_share_links
            )
            more = len(page) == limit and page[-1]["revision"] < journey.revision
            return Response(
                {
                    "revision": journey.revision,
                    "events": page,
                    "next_after": page[-1]["revision"] if more else None,
                }
            )
        events = journey_events_after(
            journey=journey, after=after, sees_share_links=sees_share_links
        )
        if events is None:
            snapshot = journey_map_get(journey=journey, context={"request": request})
            return Response({"revision": journey.revision, "snapshot": snapshot})
        return Response({"revision": journey.revision, "events": events})

    @extend_schema(responses=JourneyTemplateSerializer(many=True), filters=False)
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
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
