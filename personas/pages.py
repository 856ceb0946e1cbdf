"""The persona library pages: everyone reads, admins create, edit and delete."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from journeys.exceptions import VersionConflict
from journeys.permissions import is_admin, visible_journeys
from journeys.web.editor import signed_in
from personas import services
from personas.forms import PersonaForm
from personas.models import Channel, Persona

CHANNEL_LABELS = dict(Channel.choices)


def _persona(persona_id: int) -> Persona:
    persona = Persona.objects.select_related("group").filter(pk=persona_id).first()
    if persona is None:
        raise Http404("No such persona.")
    return persona


def _admin_only(request: HttpRequest) -> None:
    if not is_admin(request.user):
        raise Http404("Only admins change the persona library.")


@signed_in
def persona_list_page(request: HttpRequest) -> HttpResponse:
    personas = Persona.objects.select_related("group").order_by("group__name", "name")
    return render(
        request,
        "personas/persona_list.html",
        {"personas": personas, "can_manage": is_admin(request.user)},
    )


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
            "can_manage": is_admin(request.user),
        },
    )


@signed_in
def persona_edit_page(request: HttpRequest, persona_id: int | None = None) -> HttpResponse:
    """Create (no id) or edit a persona; every save goes through the persona services."""
    _admin_only(request)
    persona = _persona(persona_id) if persona_id else None
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
    _admin_only(request)
    persona = _persona(persona_id)
    if request.method == "POST":
        services.persona_delete(actor=request.user, persona_id=persona.pk)
        messages.success(request, f"Deleted {persona.name}. Its maps were kept.")
        return redirect("persona-list")
    journeys = persona.journeys.order_by("title")
    return render(
        request, "personas/persona_confirm_delete.html", {"persona": persona, "journeys": journeys}
    )
