from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.response import Response

from config.body_limits import FormParser, JSONParser, MultiPartParser
from journeys.api.items import edit_input
from journeys.serializers import DeleteSerializer
from personas import services
from personas.models import Persona, PersonaGroup
from personas.permissions import LibraryPermission
from personas.serializers import PersonaGroupSerializer, PersonaSerializer


class PersonaViewSet(viewsets.ModelViewSet):
    """The persona library (``personas.permissions``): everyone reads, editors add personas and
    edit theirs, admins curate (photos as multipart uploads). ``?group=<id>`` filters."""

    queryset = Persona.objects.select_related("group")
    serializer_class = PersonaSerializer
    permission_classes = [LibraryPermission]
    parser_classes = [JSONParser, MultiPartParser, FormParser]  # bounded (config.body_limits)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filterset_fields = ["group", "segment"]
    search_fields = ["name", "role", "segment", "bio"]
    ordering_fields = ["name", "updated_at"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("version", None)
        persona = services.persona_create(actor=request.user, **fields)
        return Response(self.get_serializer(persona).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        persona = self.get_object()
        version, changes = edit_input(self.get_serializer_class(), request, persona)
        persona = services.persona_update(
            actor=request.user, persona_id=persona.pk, version=version, changes=changes
        )
        return Response(self.get_serializer(persona).data)

    @extend_schema(parameters=[OpenApiParameter("version", int)])
    def destroy(self, request, *args, **kwargs):
        """Delete a persona; the journeys that used it are kept, without a persona."""
        persona = self.get_object()
        params = DeleteSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        services.persona_delete(
            actor=request.user, persona_id=persona.pk, version=params.validated_data.get("version")
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PersonaGroupViewSet(viewsets.ModelViewSet):
    queryset = PersonaGroup.objects.all()
    serializer_class = PersonaGroupSerializer
    permission_classes = [LibraryPermission]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    search_fields = ["name"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("version", None)
        group = services.persona_group_create(actor=request.user, **fields)
        return Response(self.get_serializer(group).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        group = self.get_object()
        version, changes = edit_input(self.get_serializer_class(), request, group)
        group = services.persona_group_update(
            actor=request.user, group_id=group.pk, version=version, changes=changes
        )
        return Response(self.get_serializer(group).data)

    def destroy(self, request, *args, **kwargs):
        services.persona_group_delete(actor=request.user, group_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
