"""Thin views for exporting a map in every format and importing one as a new journey."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from config.body_limits import FormParser, JSONParser, MultiPartParser
from journeys.exceptions import JourneyboardError, NotFound
from journeys.mapfile.document import map_document
from journeys.mapfile.exports import FORMATS, export_filename
from journeys.mapfile.imports import MAX_IMPORT_BYTES, document_from_upload, journey_import
from journeys.permissions import EditorWritesOthersRead
from journeys.selectors import journey_get
from journeys.serializers import JourneySerializer
from journeys.web.editor import signed_in


class _FormatIsOurs(DefaultContentNegotiation):
    """``?format=`` names the export, not a DRF renderer; errors are always JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _unknown_format(asked: str) -> JourneyboardError:
    return JourneyboardError(
        f"Unknown format {asked!r}; choose one of {', '.join(FORMATS)}.",
        code="unknown_format",
        formats=list(FORMATS),
    )


class JourneyExportView(APIView):
    """Download the whole map: anyone who may read it, in any format."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = _FormatIsOurs

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=list(FORMATS), default="json")],
        # Each format's own content type.
        responses={
            (200, f.content_type.split(";")[0]): OpenApiTypes.OBJECT
            if f.key == "json"
            else OpenApiTypes.BINARY
            for f in FORMATS.values()
        },
    )
    def get(self, request, journey_id: int):
        journey = journey_get(user=request.user, journey_id=journey_id)
        if journey is None:
            raise NotFound("No such journey.")
        asked = request.query_params.get("format", "json")
        export = FORMATS.get(asked)
        if export is None:
            raise _unknown_format(asked)
        response = HttpResponse(
            export.render(map_document(journey=journey)), content_type=export.content_type
        )
        filename = export_filename(journey.title, export.extension)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


def _upload_read(upload, asked: str | None = None) -> tuple[dict, str]:
    # One byte past the limit is enough to know the file is too large.
    return document_from_upload(
        data=upload.read(MAX_IMPORT_BYTES + 1),
        filename=upload.name or "",
        content_type=upload.content_type or "",
        format=asked or None,
    )


class ImportAnswerSerializer(serializers.Serializer):
    journey = JourneySerializer()
    url = serializers.CharField(help_text="The new map's editor page.")
    counts = serializers.DictField(child=serializers.IntegerField())
    notes = serializers.ListField(child=serializers.CharField(), help_text="For the importer.")


class JourneyImportView(APIView):
    """A new journey from a map file (JSON, CSV or XLSX): editors and admins."""

    permission_classes = [EditorWritesOthersRead]
    parser_classes = [MultiPartParser, FormParser, JSONParser]  # bounded (config.body_limits)
    content_negotiation_class = _FormatIsOurs
    renderer_classes = [JSONRenderer]

    @extend_schema(
        request={
            "multipart/form-data": OpenApiTypes.OBJECT,
            "application/json": OpenApiTypes.OBJECT,
        },
        parameters=[
            OpenApiParameter("format", str, enum=["json", "csv", "xlsx"], required=False),
            OpenApiParameter("title", str, required=False),
        ],
        responses={201: ImportAnswerSerializer},
    )
    def post(self, request):
        upload = request.FILES.get("file")
        asked = request.query_params.get("format") or (
            request.data.get("format") if upload else None
        )
        title = request.query_params.get("title") or (request.data.get("title") if upload else None)
        if upload is not None:
            document, source_format = _upload_read(upload, asked)
        else:
            document, source_format = request.data, "json"
        result = journey_import(
            actor=request.user, document=document, title=title, source_format=source_format
        )
        return Response(
            {
                "journey": JourneySerializer(result.journey).data,
                "url": reverse("journey-editor", args=[result.journey.pk]),
                "counts": result.counts,
                "notes": result.notes,
            },
            status=status.HTTP_201_CREATED,
        )


@require_POST
@signed_in
def journey_import_page(request: HttpRequest) -> HttpResponse:
    """The journey list's "Import a map" form: to the new map, or back with what was wrong."""
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a map file (JSON, CSV or XLSX) to import.")
        return redirect("journey-list")
    try:
        document, source_format = _upload_read(upload)
        result = journey_import(actor=request.user, document=document, source_format=source_format)
    except JourneyboardError as error:
        if error.status_code == 403:
            raise PermissionDenied(error.message) from None
        messages.error(request, error.message)
        for path, problems in list(error.details.get("errors", {}).items())[:10]:
            messages.error(request, f"{path}: {'; '.join(problems)}")
        return redirect("journey-list")
    counts = result.counts
    messages.success(
        request,
        f"Imported “{result.journey.title}”: {counts['phases']} phases, {counts['lanes']} lanes, "
        f"{counts['cards']} cards, {counts['touchpoints']} touchpoints.",
    )
    for note in result.notes:
        messages.info(request, note)
    return redirect("journey-editor", journey_id=result.journey.pk)
