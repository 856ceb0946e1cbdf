from django.urls import path

from feedback.pages import shared_sources_page
from journeys.api.mapfile import journey_import_page
from journeys.web import dashboards as dashboard_pages
from journeys.web import editor as pages
from journeys.web import sharing as share_pages
from personas import pages as persona_pages

urlpatterns = [
    path("", pages.journey_list_page, name="journey-list"),
    path("journeys/new/", pages.journey_create_page, name="journey-create"),
    path("journeys/<int:journey_id>/", pages.journey_editor_page, name="journey-editor"),
    path("s/<str:token>/", share_pages.share_link_page, name="share-link"),
    path("s/<str:token>/data/", share_pages.share_link_data, name="share-link-data"),
    path("journeys/import/", journey_import_page, name="journey-import-page"),
    path("dashboards/", dashboard_pages.portfolio_page, name="portfolio"),
    path(
        "journeys/<int:journey_id>/dashboard/",
        dashboard_pages.journey_dashboard_page,
        name="journey-dashboard",
    ),
    path("survey-sources/shared/", shared_sources_page, name="shared-survey-sources"),
    path("personas/", persona_pages.persona_list_page, name="persona-list"),
    path("personas/new/", persona_pages.persona_edit_page, name="persona-create"),
    path(
        "personas/groups/new/",
        persona_pages.persona_group_create_page,
        name="persona-group-create",
    ),
    path("personas/<int:persona_id>/", persona_pages.persona_detail_page, name="persona-detail"),
    path("personas/<int:persona_id>/edit/", persona_pages.persona_edit_page, name="persona-edit"),
    path(
        "personas/<int:persona_id>/delete/",
        persona_pages.persona_delete_page,
        name="persona-delete",
    ),
]
