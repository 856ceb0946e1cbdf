"""The shared survey sources page: the platform sources that belong to no map, which admins
set up (their responses match touchpoints on any map). The page draws the same connector
section as the editor's Survey data panel (``editor/connectors.js``)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from journeys.permissions import is_admin
from journeys.web.editor import signed_in


@signed_in
def shared_sources_page(request: HttpRequest) -> HttpResponse:
    if not is_admin(request.user):
        raise Http404("Only admins manage shared survey sources.")
    return render(request, "feedback/shared_sources.html")
