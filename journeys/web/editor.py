"""The HTML pages: the journey list and the map editor (the editor itself is JavaScript that
talks to the REST API)."""

from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from feedback.models import SurveySource
from feedback.selectors import journey_metrics
from feedback.voc import DISAGREEMENT
from journeys import services
from journeys.dashboards.window import default_window
from journeys.exceptions import JourneyboardError
from journeys.forms import JourneyCreateForm, JourneyFilterForm
from journeys.mapfile.exports import FORMATS
from journeys.models import Emotion, Journey, Lane, Opportunity
from journeys.permissions import (
    Role,
    can_edit_journey,
    can_manage_journey,
    can_share_journey,
    has_role,
    role_of,
)
from journeys.selectors import journey_get, journey_list, journey_map_get
from journeys.visitors import visitor_map
from personas.models import Channel, Persona
from personas.serializers import PersonaSerializer
from touchpoints.models import Department


def signed_in(view):
    """Pages need a signed-in user with a role; others go to the sign-in page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if role_of(request.user) is None:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


@signed_in
def journey_list_page(request: HttpRequest) -> HttpResponse:
    """Every journey the user may see, filtered by persona, status, state and title."""
    filters = JourneyFilterForm(request.GET or None)
    journeys = journey_list(user=request.user).order_by("-updated_at", "-id")
    if filters.is_valid():
        data = filters.cleaned_data
        if data["search"]:
            journeys = journeys.filter(title__icontains=data["search"])
        if data["persona"]:
            journeys = journeys.filter(persona=data["persona"])
        if data["status"]:
            journeys = journeys.filter(status=data["status"])
        if data["state"]:
            journeys = journeys.filter(state=data["state"])
    page = Paginator(journeys, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "journeys/journey_list.html",
        {
            "page": page,
            "filters": filters if filters.is_bound else JourneyFilterForm(),
            "create_form": JourneyCreateForm(),
            "can_create": has_role(request.user, Role.EDITOR),
            "is_admin": has_role(request.user, Role.ADMIN),
        },
    )


@require_POST
@signed_in
def journey_create_page(request: HttpRequest) -> HttpResponse:
    form = JourneyCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A new journey needs a title and a template.")
        return redirect("journey-list")
    try:
        journey = services.journey_create(
            actor=request.user,
            title=form.cleaned_data["title"],
            template=form.cleaned_data["template"],
            persona_id=form.cleaned_data["persona"].pk if form.cleaned_data["persona"] else None,
        )
    except JourneyboardError as error:
        messages.error(request, error.message)
        return redirect("journey-list")
    return redirect("journey-editor", journey_id=journey.pk)


def editor_voc(journey_id: int) -> dict[str, Any]:
    """The map's customer numbers over the default window, the window in words, and the rule
    that flags a phase whose team estimate differs from them (``feedback.voc``)."""
    window = default_window()
    voc = journey_metrics(journey_id=journey_id, since=window.since, until=window.until)
    return {**voc, "window": window.as_dict(), "disagreement": DISAGREEMENT}


def editor_data_get(
    journey, *, request: HttpRequest, can_edit: bool, shared: bool = False
) -> dict[str, Any]:
    """What the editor script starts from: the map, its VoC metrics and the choices it offers.

    ``shared``: for a visitor through a share link, who has no account: the map as
    ``journeys.visitors`` projects it, its metrics, and no people beyond the map's opportunity
    owners.
    """
    context = {"request": request}
    map_data = journey_map_get(journey=journey, context=context)
    user = request.user
    editor_data = {
        "map": map_data,
        "canEdit": can_edit,
        # The settings panel's who-may-see-it fields (owner, collaborators, restricted).
        "canManage": can_edit and can_manage_journey(user, journey),
        "shared": shared,
        "me": None if shared else {"id": user.pk, "name": user.get_full_name() or user.username},
        "choices": {
            "laneKinds": Lane.Kind.choices,
            "channels": Channel.choices,
            "departments": Department.choices,
            "opportunityStatuses": Opportunity.Status.choices,
            # In the order a map goes through them: draft → in review → validated → archived.
            "journeyStatuses": Journey.Status.choices,
            "journeyStates": Journey.State.choices,
            "emotionRange": [Emotion.MIN_SCORE, Emotion.MAX_SCORE],
        },
        # What customers said, from the rollups (constant queries whatever the response count),
        # over the window the dashboard opens with, which the page names.
        "voc": editor_voc(journey.pk),
    }
    if can_edit:
        editor_data["surveySources"] = list(
            SurveySource.objects.filter(journey=journey, kind=SurveySource.Kind.UPLOAD)
            .order_by("name")
            .values("id", "name")
        )
        editor_data["personas"] = PersonaSerializer(
            Persona.objects.select_related("group").order_by("name"), many=True, context=context
        ).data
    people = get_user_model().objects.filter(is_active=True)
    if shared:
        # Opportunity owners' names are the map's content (who carries each action plan).
        people = people.filter(pk__in={o["owner"] for o in map_data["opportunities"]} - {None})
        editor_data["map"] = visitor_map(map_data)
    # Names of people, for opportunity owners (shown to everyone, chosen by editors).
    editor_data["people"] = [
        {"id": pk, "name": f"{first} {last}".strip() or username}
        for pk, username, first, last in people.order_by("first_name", "username").values_list(
            "pk", "username", "first_name", "last_name"
        )
    ]
    return editor_data


@signed_in
def journey_editor_page(request: HttpRequest, journey_id: int) -> HttpResponse:
    """The map: an editable grid for editors, the same page without controls for viewers."""
    journey = journey_get(user=request.user, journey_id=journey_id)
    if journey is None:
        raise Http404("No such journey.")
    can_edit = can_edit_journey(request.user, journey)
    return render(
        request,
        "journeys/editor.html",
        {
            "journey": journey,
            "editor_data": editor_data_get(journey, request=request, can_edit=can_edit),
            "can_edit": can_edit,
            "can_share": can_share_journey(request.user, journey),
            "export_formats": [(f.key, f.label) for f in FORMATS.values()],
        },
    )
