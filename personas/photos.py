"""Persona photos, served by Django to those who may see them.

The persona library is shared: everyone with a role reads every persona, so every signed-in
user with a role sees every photo. A share-link visitor sees none (``journeys.visitors`` takes
the photo out of what a visitor receives), so a request with no account is refused. Only the
file a persona names is served: nothing else under ``MEDIA_ROOT`` (an old photo, a file put
there by hand, the survey uploads older versions kept there)."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.views.static import serve

from journeys.permissions import role_of
from personas.models import Persona


def persona_photo(request: HttpRequest, name: str) -> HttpResponse:
    if role_of(request.user) is None:
        raise PermissionDenied
    if not Persona.objects.filter(photo=name).exists():
        raise Http404("No such photo.")
    response = serve(request, name, document_root=settings.MEDIA_ROOT)
    # Kept by the browser alone: a shared cache would hand it to people without an account.
    response["Cache-Control"] = "private, max-age=3600"
    return response
