"""The persona library pages (who may do what: ``personas.permissions``): everyone reads,
editors add personas and groups and edit their own personas, admins curate the library."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from journeys.exceptions import VersionConflict
from journeys.permissions import visible_journeys
from journeys.web.editor import signed_in
from personas import services
from personas.forms import PersonaForm, PersonaGroupForm
from personas.models import Channel, Persona, PersonaGroup
from personas.permissions import (
    ADD_REFUSED,
    CURATE_REFUSED,
    EDIT_REFUSED,
    WHO_DOES_WHAT,
    can_add_to_library,
    can_curate_library,
    can_edit_persona,
)

CHANNEL_LABELS = dict(Channel.choices)


def _persona(persona_id: int) -> Persona:
    persona = Persona.objects.select_related("group", "created_by").filter(pk=persona_id).first()
    if persona is None:
        raise Http404("No such persona.")
    return persona


def _not_allowed(request: HttpRequest, reason: str) -> HttpResponse:
    """A 403 page that says why and who can help, instead of a bare refusal."""
    return render(
        request,
        "personas/persona_not_allowed.html",
        {"reason": reason, "who_does_what": WHO_DOES_WHAT},
        status=403,
    )


class LibraryFilter(forms.Form):
    group = forms.ModelChoiceField(
        queryset=PersonaGroup.objects.all(),
        required=False,
        empty_label="All groups",
        label="Group",
        widget=forms.Select(attrs={"id": "persona-group-filter"}),
    )


@signed_in
def persona_list_page(request: HttpRequest) -> HttpResponse:
    personas = Persona.objects.select_related("group").order_by("group__name", "name")
    filters = LibraryFilter(request.GET or None)
    if filters.is_valid() and filters.cleaned_data["group"] is not None:
        personas = personas.filter(group=filters.cleaned_data["group"])
    return render(
        request,
        "personas/persona_list.html",
        {
            "personas": personas,
            "filters": filters,
            "can_add": can_add_to_library(request.user),
            "who_does_what": WHO_DOES_WHAT,
            "group_form": PersonaGroupForm(auto_id="new-group-%s"),
        },
    )


@signed_in
@require_POST
def persona_group_create_page(request: HttpRequest) -> HttpResponse:
    """Add a group from the library page; the list then shows that group's personas."""
    if not can_add_to_library(request.user):
        return _not_allowed(request, ADD_REFUSED)
    form = PersonaGroupForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("name", []):
            messages.error(request, f"Group not added: {error}")
        return redirect("persona-list")
    group = services.persona_group_create(actor=request.user, **form.cleaned_data)
    messages.success(request, f"Added the group {group.name}.")
    return redirect(f"/personas/?group={group.pk}")


@signed_in
def persona_detail_page(request: HttpRequest, persona_id: int) -> HttpResponse:
    persona = _persona(persona_id)
    journeys = visible_journeys(request.user).filter(persona=persona).order_by("title")
    return render(
        request,
        "personas/persona_detail.html",
        {
            "persona": persona,
            "journeys": journeys,
            "channels": [CHANNEL_LABELS.get(c, c) for c in persona.preferred_channels],
            "can_edit": can_edit_persona(request.user, persona),
            "can_delete": can_curate_library(request.user),
            "who_does_what": WHO_DOES_WHAT,
        },
    )


@signed_in
def persona_edit_page(request: HttpRequest, persona_id: int | None = None) -> HttpResponse:
    """Create (no id) or edit a persona; every save goes through the persona services."""
    persona = _persona(persona_id) if persona_id else None
    if persona is None and not can_add_to_library(request.user):
        return _not_allowed(request, ADD_REFUSED)
    if persona is not None and not can_edit_persona(request.user, persona):
        return _not_allowed(request, EDIT_REFUSED)
    form = PersonaForm(request.POST or None, request.FILES or None, instance=persona)
    if persona is not None and not form.is_bound:
        form.initial["version"] = persona.version
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        if fields["photo"] is False:
            fields["photo"] = ""  # "clear" was ticked
        elif not fields["photo"]:
            fields.pop("photo")  # an empty file input keeps the current photo
        try:
            if persona is None:
                persona = services.persona_create(actor=request.user, **fields)
            else:
                persona = services.persona_update(
                    actor=request.user,
                    persona_id=persona.pk,
                    version=form.cleaned_data["version"] or persona.version,
                    changes=fields,
                )
        except VersionConflict:
            messages.error(request, "Someone else changed this persona meanwhile; here it is now.")
            return redirect("persona-edit", persona_id=persona.pk)
        messages.success(request, f"Saved {persona.name}.")
        return redirect("persona-detail", persona_id=persona.pk)
    return render(request, "personas/persona_form.html", {"form": form, "persona": persona})


@signed_in
def persona_delete_page(request: HttpRequest, persona_id: int) -> HttpResponse:
    """Ask first, saying which maps use the persona; the maps are kept."""
    persona = _persona(persona_id)
    if not can_curate_library(request.user):
        return _not_allowed(request, CURATE_REFUSED)
    if request.method == "POST":
        services.persona_delete(actor=request.user, persona_id=persona.pk)
        messages.success(request, f"Deleted {persona.name}. Its maps were kept.")
        return redirect("persona-list")
    journeys = persona.journeys.order_by("title")
    return render(
        request, "personas/persona_confirm_delete.html", {"persona": persona, "journeys": journeys}
    )
