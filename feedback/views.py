"""Thin REST views for survey sources, imports and the metrics they feed."""

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from asgiref.sync import sync_to_async
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import (
    action,
    api_view,
    authentication_classes,
    permission_classes,
)
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response

from config.schema import ErrorSerializer
from feedback import services
from feedback.answers import (
    JourneyVocSerializer,
    TouchpointCommentsSerializer,
    UnmatchedAssignedSerializer,
    UnmatchedGroupSerializer,
    WebhookImportedSerializer,
)
from feedback.models import MAPPED_FIELDS, ImportRun, SurveySource
from feedback.selectors import (
    RESPONSES_EXPORT_HEADER,
    journey_metrics,
    source_responses_export,
    survey_sources_visible,
    touchpoint_comments,
    unmatched_groups,
)
from feedback.serializers import (
    ImportDraftSerializer,
    ImportPreviewSerializer,
    ImportRunSerializer,
    SurveySourceSerializer,
)
from journeys.dashboards.window import day_from_param
from journeys.exceptions import NotFound
from journeys.mapfile.spreadsheet_cells import cell_out
from journeys.permissions import visible_journeys

# A CSV download, as the schema describes it.
CSV_ANSWER = {(200, "text/csv"): OpenApiTypes.STR}
SURVEY_TEMPLATE_COLUMNS = MAPPED_FIELDS
CSV_PIECE_ROWS = 500  # rows per piece sent: few hand-overs between threads, small pieces


def _csv_pieces(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """CSV text a few hundred rows at a time, every cell formula-safe; a BOM first, so that
    Excel reads UTF-8 (accents, emoji) without asking."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for number, row in enumerate(rows, start=1):
        writer.writerow([v.isoformat() if isinstance(v, datetime) else cell_out(v) for v in row])
        if number % CSV_PIECE_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


class CsvDownload(StreamingHttpResponse):
    """A formula-safe CSV attachment, streamed a piece at a time under WSGI and ASGI alike.

    Under ASGI, Django's StreamingHttpResponse first collects every piece of a sync iterator
    into a list; here each piece is made (rows read) only once the one before was sent, in the
    request's thread, where its database cursor lives."""

    def __init__(
        self, header: Sequence[str], rows: Iterable[Sequence[object]], filename: str
    ) -> None:
        super().__init__(_csv_pieces(header, rows), content_type="text/csv; charset=utf-8")
        self["Content-Disposition"] = f'attachment; filename="{filename}"'

    async def __aiter__(self):
        pieces = iter(self.streaming_content)
        end = object()
        next_piece = sync_to_async(next, thread_sensitive=True)
        while (piece := await next_piece(pieces, end)) is not end:
            yield piece


class ManagesSource(BasePermission):
    """Who may change a source is answered before what they sent is judged: an invalid body
    sent to a source (or a map) out of reach gets the same 403 or 404 as a valid one."""

    def has_permission(self, request, view) -> bool:
        if view.action == "create":
            journey_id = request.data.get("journey") if isinstance(request.data, dict) else None
            if journey_id is None or (
                isinstance(journey_id, int | str) and str(journey_id).isdigit()
            ):
                services.source_journey_check(actor=request.user, journey_id=journey_id)
            # Anything else is not a map id: the serializer says so.
        return True

    def has_object_permission(self, request, view, source) -> bool:
        if request.method not in SAFE_METHODS:
            services.source_access_check(request.user, source)
        return True


class UnmatchedAssignSerializer(serializers.Serializer):
    touchpoint = serializers.IntegerField()
    touchpoint_code = serializers.CharField(allow_blank=True, max_length=80, default="")
    channel = serializers.CharField(allow_blank=True, max_length=40, default="")
    phase_name = serializers.CharField(allow_blank=True, max_length=120, default="")


class SurveySourceViewSet(viewsets.ModelViewSet):
    """Survey sources; credentials can be set but are never shown."""

    serializer_class = SurveySourceSerializer
    permission_classes = [IsAuthenticated, ManagesSource]

    def get_queryset(self):
        return survey_sources_visible(self.request.user).select_related("journey")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.survey_source_create(
            actor=self.request.user, journey_id=data.pop("journey_id", None), **data
        )

    def perform_update(self, serializer):
        serializer.instance = services.survey_source_update(
            actor=self.request.user,
            source=serializer.instance,
            changes=dict(serializer.validated_data),
        )

    def perform_destroy(self, instance):
        services.survey_source_delete(actor=self.request.user, source=instance)

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "draft": {"type": "boolean"},
                },
            },
            "application/json": OpenApiTypes.OBJECT,
        },
        responses={202: ImportRunSerializer, 201: ImportDraftSerializer},
    )
    @action(detail=True, methods=["post"], url_path="imports")
    def imports(self, request, pk=None):
        """Upload a CSV/XLSX (field ``file``), or start a platform sync: answers 202 and the run.
        With ``draft=true`` the file is kept for the import wizard, not imported: 201, the run
        and its preview."""
        source = self.get_object()
        upload = request.FILES.get("file")
        if source.kind == SurveySource.Kind.UPLOAD:
            if upload is None:
                raise ValidationError({"file": ["Attach the CSV or XLSX file."]})
            draft = str(request.data.get("draft", "")).lower() in ("true", "1", "yes", "on")
            run = services.import_file_start(
                actor=request.user, source=source, upload=upload, draft=draft
            )
            if draft:
                preview = services.import_run_preview(actor=request.user, run_id=run.pk)
                data = {**ImportRunSerializer(run).data, "preview": preview}
                return Response(data, status=status.HTTP_201_CREATED)
        else:
            run = services.import_sync_start(actor=request.user, source=source)
        return Response(ImportRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=UnmatchedGroupSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def unmatched(self, request, pk=None):
        """Responses no touchpoint claimed, grouped by the code, channel and phase they named."""
        return Response(unmatched_groups(source_id=self.get_object().pk))

    @extend_schema(request=UnmatchedAssignSerializer, responses=UnmatchedAssignedSerializer)
    @action(detail=True, methods=["post"], url_path="unmatched/assign")
    def unmatched_assign(self, request, pk=None):
        """Map one group of unmatched responses to a touchpoint: they count from then on."""
        data = UnmatchedAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group = dict(data.validated_data)
        mapped = services.unmatched_assign(
            actor=request.user,
            source=self.get_object(),
            touchpoint_id=group.pop("touchpoint"),
            group=group,
        )
        return Response({"mapped": mapped})

    @extend_schema(responses=CSV_ANSWER)
    @action(detail=True, methods=["get"], url_path="responses.csv")
    def responses_csv(self, request, pk=None):
        """Every response of the source as CSV (whoever may see the source may download it)."""
        source = self.get_object()
        return CsvDownload(
            RESPONSES_EXPORT_HEADER,
            source_responses_export(source_id=source.pk),
            filename=f"survey-source-{source.pk}-responses.csv",
        )


class ImportRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Import runs: progress and counts (poll these when the WebSocket is away)."""

    serializer_class = ImportRunSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["source", "state"]

    def get_queryset(self):
        return ImportRun.objects.filter(source__in=survey_sources_visible(self.request.user))

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        run = services.import_run_cancel(actor=request.user, run_id=self.get_object().pk)
        return Response(ImportRunSerializer(run).data)

    @extend_schema(responses=CSV_ANSWER)
    @action(detail=True, methods=["get"], url_path="errors")
    def errors_csv(self, request, pk=None):
        """The refused rows as CSV: spreadsheet row (the header is row 1), response id, field,
        the refused value and the reason."""
        run = self.get_object()
        rows = (
            (row + 1, response_id, field, value, reason)
            for row, response_id, field, value, reason in run.row_errors.values_list(
                "row", "response_id", "field", "value", "reason"
            ).iterator(chunk_size=2000)
        )
        return CsvDownload(
            ("spreadsheet row", "response id", "field", "value", "reason"),
            rows,
            filename=f"import-{run.pk}-errors.csv",
        )

    @extend_schema(responses=ImportPreviewSerializer)
    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        """A draft's preview again (the wizard reloaded): first rows, mapping, settings, dates
        and each column's values."""
        run = self.get_object()
        return Response(services.import_run_preview(actor=request.user, run_id=run.pk))

    @extend_schema(request=None, responses={202: ImportRunSerializer})
    @action(detail=True, methods=["post"], url_path="dry-run")
    def dry_run(self, request, pk=None):
        """Import a draft's file with the source's saved settings and roll it back: the run's
        ``dry_run`` gives the counts and first reasons (on the map's socket, or poll the run)."""
        run = services.import_run_dry_run_start(actor=request.user, run_id=self.get_object().pk)
        return Response(ImportRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: ImportRunSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Import a draft's file, read with the source's settings as they are now."""
        run = services.import_run_start(actor=request.user, run_id=self.get_object().pk)
        return Response(ImportRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(
    parameters=[
        OpenApiParameter("since", OpenApiTypes.DATE, description="The window's first day."),
        OpenApiParameter("until", OpenApiTypes.DATE, description="Its last day."),
    ],
    responses=JourneyVocSerializer,
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def journey_voc(request, journey_id: int) -> Response:
    """NPS, CSAT, CES and sentiment per touchpoint, phase and journey over ?since=&until=."""
    journey = visible_journeys(request.user).filter(pk=journey_id).first()
    if journey is None:
        raise NotFound("No such journey.")
    metrics = journey_metrics(
        journey_id=journey.pk,
        since=day_from_param(request.query_params.get("since"), "since"),
        until=day_from_param(request.query_params.get("until"), "until"),
    )
    return Response(metrics)


@extend_schema(responses=CSV_ANSWER)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def journey_survey_template(request, journey_id: int):
    """A CSV template for survey files: the columns an import reads, and one example row per
    touchpoint of the map with its code and phase (whoever may see the map)."""
    from feedback.selectors import survey_template_rows

    journey = visible_journeys(request.user).filter(pk=journey_id).first()
    if journey is None:
        raise NotFound("No such journey.")
    return CsvDownload(
        SURVEY_TEMPLATE_COLUMNS,
        survey_template_rows(journey_id=journey.pk),
        filename=f"survey-template-journey-{journey.pk}.csv",
    )


@extend_schema(responses=TouchpointCommentsSerializer)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def touchpoint_voc_comments(request, touchpoint_id: int) -> Response:
    from touchpoints.models import Touchpoint

    touchpoint = get_object_or_404(
        Touchpoint, pk=touchpoint_id, journey__in=visible_journeys(request.user)
    )
    return Response(touchpoint_comments(touchpoint_id=touchpoint.pk))


@extend_schema(
    request={"application/json": OpenApiTypes.OBJECT},
    parameters=[
        OpenApiParameter(
            "Typeform-Signature",
            str,
            OpenApiParameter.HEADER,
            description="sha256=<base64 HMAC-SHA256 of the raw body with the webhook secret>",
        )
    ],
    responses={
        200: WebhookImportedSerializer,
        403: OpenApiResponse(ErrorSerializer, description="No such source, or a bad signature."),
    },
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def typeform_webhook(request, source_id: int) -> Response:
    """Typeform's webhook: the body must carry a valid ``Typeform-Signature`` (HMAC-SHA256 of the
    raw body with the source's webhook secret), checked in constant time."""
    from feedback.connectors import ConnectorError
    from feedback.connectors.typeform import typeform_webhook_records, verify_typeform_signature

    source = SurveySource.objects.filter(pk=source_id, kind=SurveySource.Kind.TYPEFORM).first()
    secret = (source.credentials or {}).get("webhook_secret", "") if source else ""
    # One answer for an unknown source and a bad signature: the endpoint reveals nothing.
    if not verify_typeform_signature(
        secret, request.body, request.headers.get("Typeform-Signature")
    ):
        return Response(
            {"code": "bad_signature", "detail": "The signature does not match."},
            status=status.HTTP_403_FORBIDDEN,
        )
    try:
        records = typeform_webhook_records(json.loads(request.body))
    except (ValueError, RecursionError):
        raise ValidationError({"body": ["Expected JSON."]}) from None
    except ConnectorError as malformed:
        raise ValidationError({"form_response": [malformed.message]}) from None
    result = services.webhook_records_import(source=source, records=records)
    return Response({"imported": result.imported, "updated": result.updated})
