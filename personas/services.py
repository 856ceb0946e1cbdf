"""Changes to the persona library. A persona change reaches every map that uses it."""

from typing import Any

from django.db import transaction

from journeys.changes import change_record
from journeys.exceptions import AccessDenied, NotFound, VersionConflict
from journeys.models import Journey
from personas.models import Persona, PersonaGroup
from personas.permissions import (
    ADD_REFUSED,
    CURATE_REFUSED,
    EDIT_REFUSED,
    can_add_to_library,
    can_curate_library,
    can_edit_persona,
)
from personas.serializers import PersonaSerializer

_AUDIT = ("created_at", "updated_at", "created_by", "updated_by", "version")


def _require(allowed: bool, refusal: str) -> None:
    if not allowed:
        raise AccessDenied(refusal)


def _for_change(model: type[Persona] | type[PersonaGroup], pk: int):
    item = model.objects.select_for_update(of=("self",)).filter(pk=pk).first()
    if item is None:
        raise NotFound(f"No such {model._meta.verbose_name}.")
    return item


def _maps_record(actor, persona: Persona, kind: str, payload: dict[str, Any]) -> None:
    """Log the change on every journey that uses the persona, so open maps hear of it.

    Journeys are locked in id order: two persona edits never deadlock each other or an edit.
    """
    journey_ids = list(
        Journey.objects.filter(persona_id=persona.pk).order_by("pk").values_list("pk", flat=True)
    )
    for journey in (
        Journey.objects.select_for_update(of=("self",)).filter(pk__in=journey_ids).order_by("pk")
    ):
        change_record(journey=journey, actor=actor, kind=kind, payload=payload)


def persona_create(*, actor, name: str, **fields: Any) -> Persona:
    """Editors and admins add personas; the author may edit theirs later."""
    _require(can_add_to_library(actor), ADD_REFUSED)
    with transaction.atomic():
        return Persona.objects.create(name=name, created_by=actor, updated_by=actor, **fields)


def persona_update(*, actor, persona_id: int, version: int, changes: dict[str, Any]) -> Persona:
    """Its author or an admin edits a persona; every map that uses it hears of the change."""
    _require(can_add_to_library(actor), ADD_REFUSED)
    with transaction.atomic():
        persona = _for_change(Persona, persona_id)
        _require(can_edit_persona(actor, persona), EDIT_REFUSED)
        if persona.version != version:
            raise VersionConflict(persona)
        for field, value in changes.items():
            if field not in _AUDIT:
                setattr(persona, field, value)
        persona.version += 1
        persona.updated_by = actor
        persona.save()
        _maps_record(
            actor, persona, "persona_updated", {"persona": dict(PersonaSerializer(persona).data)}
        )
    return persona


def persona_delete(*, actor, persona_id: int, version: int | None = None) -> None:
    """Delete a persona (admins); the maps that used it stay, with no persona."""
    _require(can_curate_library(actor), CURATE_REFUSED)
    with transaction.atomic():
        persona = _for_change(Persona, persona_id)
        if version is not None and persona.version != version:
            raise VersionConflict(persona)
        _maps_record(actor, persona, "persona_removed", {"persona": {"id": persona_id}})
        persona.delete()


def persona_group_create(*, actor, name: str, description: str = "") -> PersonaGroup:
    """Editors and admins add groups, to file their personas under."""
    _require(can_add_to_library(actor), ADD_REFUSED)
    return PersonaGroup.objects.create(
        name=name, description=description, created_by=actor, updated_by=actor
    )


def persona_group_update(
    *, actor, group_id: int, version: int, changes: dict[str, Any]
) -> PersonaGroup:
    _require(can_curate_library(actor), CURATE_REFUSED)
    with transaction.atomic():
        group = _for_change(PersonaGroup, group_id)
        if group.version != version:
            raise VersionConflict(group)
        for field in ("name", "description"):
            if field in changes:
                setattr(group, field, changes[field])
        group.version += 1
        group.updated_by = actor
        group.save()
    return group


def persona_group_delete(*, actor, group_id: int) -> None:
    """Delete a group (admins); its personas stay, ungrouped."""
    _require(can_curate_library(actor), CURATE_REFUSED)
    PersonaGroup.objects.filter(pk=group_id).delete()
