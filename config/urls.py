from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path, re_path
from django.views.defaults import page_not_found
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from config.api import api_not_found
from feedback.api_unmatched import (
    journey_unmatched,
    journey_unmatched_ignore,
    journey_unmatched_map,
)
from feedback.views import (
    ImportRunViewSet,
    SurveySourceViewSet,
    journey_survey_template,
    journey_voc,
    touchpoint_voc_comments,
    typeform_webhook,
)
from journeys.api import dashboards as dashboard_api
from journeys.api.items import (
    CardViewSet,
    EmotionViewSet,
    LaneViewSet,
    OpportunityViewSet,
    PhaseViewSet,
)
from journeys.api.journeys import JourneyViewSet, MeView
from journeys.api.mapfile import JourneyExportView, JourneyImportView
from journeys.api.sharing import journey_share_links, share_link_revoke
from journeys.permissions import IsSignedIn
from personas.photos import persona_photo
from personas.views import PersonaGroupViewSet, PersonaViewSet
from touchpoints.views import TouchpointViewSet

admin.site.site_header = "Journeyboard administration"
admin.site.site_title = "Journeyboard admin"
admin.site.site_url = "/"


class DocsAccess:
    """The schema and docs: signed-in users only, unless ``JOURNEYBOARD_API_DOCS_PUBLIC``
    (read per request, not once at import as drf-spectacular's SERVE_PERMISSIONS are)."""

    def get_permissions(self):
        return [AllowAny() if settings.JOURNEYBOARD_API_DOCS_PUBLIC else IsSignedIn()]


class SchemaView(DocsAccess, SpectacularAPIView):
    pass


class DocsView(DocsAccess, SpectacularSwaggerSplitView):
    """The split view serves its start-up script as a file (``?script``): no inline script,
    which the Content-Security-Policy would refuse."""

    def handle_exception(self, exc):
        # A browser that is not signed in goes to the sign-in page, and comes back after.
        if isinstance(exc, NotAuthenticated):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)


router = DefaultRouter()
router.register("personas", PersonaViewSet, basename="persona")
router.register("persona-groups", PersonaGroupViewSet, basename="persona-group")
router.register("journeys", JourneyViewSet, basename="journey")
router.register("phases", PhaseViewSet, basename="phase")
router.register("lanes", LaneViewSet, basename="lane")
router.register("cards", CardViewSet, basename="card")
router.register("emotions", EmotionViewSet, basename="emotion")
router.register("touchpoints", TouchpointViewSet, basename="touchpoint")
router.register("opportunities", OpportunityViewSet, basename="opportunity")
router.register("survey-sources", SurveySourceViewSet, basename="survey-source")
router.register("import-runs", ImportRunViewSet, basename="import-run")

urlpatterns = [
    path("admin/", admin.site.urls),
    # Before the router, whose journeys/<pk>/ would otherwise take "import".
    path("api/journeys/import/", JourneyImportView.as_view(), name="journey-import"),
    path(
        "api/journeys/<int:journey_id>/export/", JourneyExportView.as_view(), name="journey-export"
    ),
    path("api/", include(router.urls)),
    path("api/me/", MeView.as_view(), name="me"),
    path("api/journeys/<int:journey_id>/voc/", journey_voc, name="journey-voc"),
    path("api/journeys/<int:journey_id>/unmatched/", journey_unmatched, name="journey-unmatched"),
    path(
        "api/journeys/<int:journey_id>/unmatched/map/",
        journey_unmatched_map,
        name="journey-unmatched-map",
    ),
    path(
        "api/journeys/<int:journey_id>/unmatched/ignore/",
        journey_unmatched_ignore,
        name="journey-unmatched-ignore",
    ),
    path(
        "api/journeys/<int:journey_id>/survey-template.csv",
        journey_survey_template,
        name="journey-survey-template",
    ),
    path(
        "api/journeys/<int:journey_id>/share-links/",
        journey_share_links,
        name="journey-share-links",
    ),
    path(
        "api/share-links/<int:share_link_id>/revoke/",
        share_link_revoke,
        name="share-link-revoke",
    ),
    path("api/dashboards/portfolio/", dashboard_api.portfolio, name="portfolio-data"),
    path(
        "api/journeys/<int:journey_id>/dashboard/",
        dashboard_api.journey_dashboard,
        name="journey-dashboard-data",
    ),
    path("api/webhooks/typeform/<int:source_id>/", typeform_webhook, name="typeform-webhook"),
    path(
        "api/touchpoints/<int:touchpoint_id>/comments/",
        touchpoint_voc_comments,
        name="touchpoint-comments",
    ),
    path("api/auth/", include("rest_framework.urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", DocsView.as_view(url_name="schema"), name="api-docs"),
    path("", include("accounts.urls")),
    path("", include("journeys.web.urls")),
]


if settings.SERVE_MEDIA:
    # Persona photos only (to those who may read the persona library); survey uploads are
    # kept outside MEDIA_ROOT, and nothing else there is served.
    urlpatterns.append(re_path(r"^media/(?P<name>personas/.+)$", persona_photo))


def not_found(request, exception):
    """JSON in the API's error shape under /api/ (a client reads no HTML), the page elsewhere."""
    if request.path.startswith("/api/"):
        return api_not_found(request)
    return page_not_found(request, exception)


handler404 = not_found
