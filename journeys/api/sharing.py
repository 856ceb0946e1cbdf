"""Share links over the API: list and create a map's links, revoke one. Thin, like every view."""

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from journeys import services
from journeys.exceptions import AccessDenied
from journeys.models import ShareLink
from journeys.permissions import can_share_journey
from journeys.selectors import journey_get, share_links_of


class ShareLinkSerializer(serializers.ModelSerializer):
    """A link as its map's editors see it: the whole URL (to copy again later) and its state."""

    url = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = ShareLink
        fields = [
            "id",
            "journey",
            "target",
            "label",
            "url",
            "state",
            "created_by",
            "created_at",
            "expires_at",
            "revoked_at",
            "opened_count",
            "last_opened_at",
        ]
        read_only_fields = fields

    def get_url(self, link: ShareLink) -> str:
        path = reverse("share-link", kwargs={"token": link.token})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_state(self, link: ShareLink) -> str:
        return link.state_at(self.context.get("now") or timezone.now())

    def get_created_by(self, link: ShareLink) -> str | None:
        who = link.created_by
        return (who.get_full_name() or who.username) if who else None


class ShareLinkCreateSerializer(serializers.Serializer):
    target = serializers.ChoiceField(choices=ShareLink.Target.choices, default="map")
    label = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


def _visible_journey(request: Request, journey_id: int):
    journey = journey_get(user=request.user, journey_id=journey_id)
    if journey is None:
        raise NotFound("No such journey.")
    return journey


@extend_schema(
    methods=["GET"], responses=ShareLinkSerializer(many=True), summary="A map's share links"
)
@extend_schema(
    methods=["POST"],
    request=ShareLinkCreateSerializer,
    responses={201: ShareLinkSerializer},
    summary="Share a map or its dashboard read-only with people who have no account",
)
@api_view(["GET", "POST"])
def journey_share_links(request: Request, journey_id: int) -> Response:
    """Who the map is shared with. Tokens are shown to those who may share the map, only."""
    journey = _visible_journey(request, journey_id)
    if request.method == "POST":
        data = ShareLinkCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        link = services.share_link_create(
            actor=request.user, journey_id=journey.pk, **data.validated_data
        )
        return Response(
            ShareLinkSerializer(link, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )
    if not can_share_journey(request.user, journey):
        raise AccessDenied("Only those who may share this map see its links.")
    links = share_links_of(journey=journey)
    context = {"request": request, "now": timezone.now()}
    return Response(ShareLinkSerializer(links, many=True, context=context).data)


@extend_schema(request=None, responses=ShareLinkSerializer, summary="Revoke a share link")
@api_view(["POST"])
def share_link_revoke(request: Request, share_link_id: int) -> Response:
    """The link stops working at once; open pages that use it are disconnected."""
    link = ShareLink.objects.filter(pk=share_link_id).values("journey_id").first()
    if link is None or journey_get(user=request.user, journey_id=link["journey_id"]) is None:
        raise NotFound("No such share link.")
    revoked = services.share_link_revoke(actor=request.user, share_link_id=share_link_id)
    return Response(ShareLinkSerializer(revoked, context={"request": request}).data)
