"""Every change to a journey map, one function per user action.

Each runs in a transaction, checks the actor may edit, writes, bumps the journey's revision,
logs the event and broadcasts it after commit, in the one lock order (``journeys.changes``).
REST views, socket frames and the admin reach them through the table of actions
(``journeys.actions``); Celery jobs and imports call them by name.
"""

import secrets
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from journeys.changes import (
    ItemType,
    change_record,
    item_create,
    item_delete,
    item_for_change,
    item_journey_for_change,
    item_move,
    item_update,
    journey_for_change,
)
from journeys.exceptions import (
    AccessDenied,
    DeleteNeedsConfirming,
    InvalidInput,
    NotEmpty,
    NotFound,
    VersionConflict,
)
from journeys.map_templates import TEMPLATES
from journeys.models import Card, Emotion, Journey, Lane, Opportunity, Phase, ShareLink
from journeys.permissions import Role, can_manage_journey, can_share_journey, has_role
from journeys.positions import renumbered
from journeys.realtime.broadcast import (
    broadcast_access_changed,
    broadcast_journey_event,
    broadcast_share_link_revoked,
)
from journeys.serializers import (
    CardSerializer,
    EmotionSerializer,
    JourneySerializer,
    LaneSerializer,
    OpportunitySerializer,
    PhaseSerializer,
)
from personas.models import Persona

PHASE = ItemType(
    Phase, "phase", PhaseSerializer, frozenset({"name", "description", "customer_goal"})
)
LANE = ItemType(Lane, "lane", LaneSerializer, frozenset({"name", "kind"}))
CARD = ItemType(
    Card, "card", CardSerializer, frozenset({"text", "color", "tag"}), ("phase_id", "lane_id")
)


def _voc_emotion_refuse(emotion: Emotion) -> None:
    """What customers said is not the team's to overwrite: only a VoC refresh changes it."""
    if emotion.source == Emotion.Source.VOC:
        raise AccessDenied(
            "This emotion is measured from survey responses; it changes when they do. "
            "Set the team's estimate for the phase instead.",
            code="voc_emotion_read_only",
        )


EMOTION = ItemType(
    Emotion,
    "emotion",
    EmotionSerializer,
    frozenset({"score", "label", "emoji", "note"}),
    clash={"phase": "This phase already has the team's emotion; change that one."},
    edit_check=_voc_emotion_refuse,
)
OPPORTUNITY = ItemType(
    Opportunity,
    "opportunity",
    OpportunitySerializer,
    frozenset(
        {
            "title",
            "description",
            "impact",
            "effort",
            "status",
            "owner_id",
            "due_date",
            "kpi",
            "target",
            "touchpoint_id",
            "lane_id",
        }
    ),
    ("phase_id",),
)


def _journey_data(journey: Journey) -> dict[str, Any]:
    return dict(JourneySerializer(journey).data)


# --- Journeys ---------------------------------------------------------------------------------


def journey_create(
    *,
    actor,
    title: str,
    template: str = "blank",
    persona_id: int | None = None,
    collaborator_ids: list[int] | None = None,
    **fields: Any,
) -> Journey:
    """A new map laid out from a template, owned by its creator."""
    if not has_role(actor, Role.EDITOR):
        raise AccessDenied("Creating journeys needs the Editor role.")
    if template not in TEMPLATES:
        raise InvalidInput({"template": f"Unknown template; choose one of {', '.join(TEMPLATES)}."})
    if persona_id is not None and not Persona.objects.filter(pk=persona_id).exists():
        raise InvalidInput({"persona": "No such persona."})
    layout = TEMPLATES[template]
    with transaction.atomic():
        journey = Journey.objects.create(title=title, persona_id=persona_id, owner=actor, **fields)
        if collaborator_ids:
            journey.collaborators.set(collaborator_ids)
        Phase.objects.bulk_create(
            Phase(journey=journey, name=name, position=pos)
            for name, pos in zip(layout.phases, renumbered(len(layout.phases)), strict=True)
        )
        Lane.objects.bulk_create(
            Lane(journey=journey, name=name, kind=kind, position=pos)
            for (name, kind), pos in zip(layout.lanes, renumbered(len(layout.lanes)), strict=True)
        )
        change_record(
            journey=journey,
            actor=actor,
            kind="journey_created",
            payload={"journey": _journey_data(journey), "template": template},
        )
    return journey


# Who may see a map is its owner's (or an admin's) decision, not any editor's.
_ACCESS_FIELDS = frozenset({"is_restricted", "owner_id", "collaborator_ids"})
_JOURNEY_EDITABLE = frozenset(
    {"title", "description", "scenario", "persona_id", "state", "status"} | _ACCESS_FIELDS
)


def journey_update(*, actor, journey_id: int, version: int, changes: dict[str, Any]) -> Journey:
    unknown = set(changes) - _JOURNEY_EDITABLE
    if unknown:
        raise InvalidInput(dict.fromkeys(sorted(unknown), "This field cannot be changed here."))
    with transaction.atomic():
        journey = journey_for_change(journey_id=journey_id, actor=actor, lock=True)
        if _ACCESS_FIELDS & set(changes) and not can_manage_journey(actor, journey):
            raise AccessDenied("Only the journey's owner or an admin can change who may see it.")
        persona_id = changes.get("persona_id")
        if persona_id is not None and not Persona.objects.filter(pk=persona_id).exists():
            raise InvalidInput({"persona": "No such persona."})
        owner_id = changes.get("owner_id")
        if (
            owner_id is not None
            and not get_user_model().objects.filter(pk=owner_id, is_active=True).exists()
        ):
            raise InvalidInput({"owner_id": "No such active user."})
        collaborator_ids = changes.pop("collaborator_ids", None)
        updated = Journey.objects.filter(pk=journey.pk, version=version).update(
            **changes, version=journey.version + 1, updated_by_id=actor.pk
        )
        if not updated:
            raise VersionConflict(journey)
        if collaborator_ids is not None:
            journey.collaborators.set(collaborator_ids)
        journey.refresh_from_db()
        change_record(
            journey=journey,
            actor=actor,
            kind="journey_updated",
            payload={"journey": _journey_data(journey)},
        )
        if _ACCESS_FIELDS & set(changes) or collaborator_ids is not None:
            # Sockets of people who lost the map close; those who gained edit rights hear so.
            transaction.on_commit(partial(broadcast_access_changed, journey_id=journey.pk))
    return journey


def journey_delete(
    *, actor, journey_id: int, version: int | None = None, confirm: bool = False
) -> None:
    """Delete a map and all it holds. One with survey data (its survey sources, or responses
    matched to its touchpoints) is refused (409 ``confirm_required``, with the counts) unless
    ``confirm``: its responses go with it, for good."""
    with transaction.atomic():
        journey = journey_for_change(journey_id=journey_id, actor=actor)
        if not can_manage_journey(actor, journey):
            raise AccessDenied("Only the journey's owner or an admin can delete it.")
        if not confirm:
            _journey_evidence_refuse(journey)
        # Survey imports hold their source and touchpoints FOR KEY SHARE (responses have no
        # foreign-key constraints): lock them (sources, then touchpoints, as imports do) so a
        # delete waits for an import in flight and then cascades every response it wrote.
        # The journey row comes last, as in every change (see journeys.changes).
        _survey_parents_lock(journey_id)
        journey = journey_for_change(journey_id=journey_id, actor=actor, lock=True)
        if version is not None and journey.version != version:
            raise VersionConflict(journey)
        revision = journey.revision + 1
        journey.delete()
        message = {
            "kind": "journey_deleted",
            "journey": journey_id,
            "revision": revision,
            "actor": actor.pk,
            "payload": {"journey": {"id": journey_id}},
        }
        transaction.on_commit(partial(broadcast_journey_event, journey_id, message))


def _journey_evidence_refuse(journey: Journey) -> None:
    """Refuse, naming them, to delete a map's survey sources and responses unasked."""
    from feedback.models import SurveyResponse, SurveySource

    counts = {
        "survey_sources": SurveySource.objects.filter(journey_id=journey.pk).count(),
        # The map's own sources' responses, and shared sources' matched to its touchpoints.
        "responses": SurveyResponse.objects.filter(journey_id=journey.pk).count(),
    }
    if counts["responses"]:  # a source without responses holds no evidence yet
        raise DeleteNeedsConfirming(
            f"The journey “{journey.title}” holds {counts['survey_sources']:,} survey "
            f"source(s) and {counts['responses']:,} survey response(s); deleting it deletes "
            "them for good. Confirm to delete it.",
            counts=counts,
        )


def _survey_parents_lock(journey_id: int) -> None:
    from feedback.models import SurveySource
    from touchpoints.models import Touchpoint

    for model in (SurveySource, Touchpoint):
        list(
            model.objects.select_for_update(of=("self",))
            .filter(journey_id=journey_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


# --- Share links ------------------------------------------------------------------------------

SHARE_LINKS_PER_JOURNEY = 100  # active ones; past this, old links should be revoked first
# The longest expiry the share dialog offers; a link meant to last longer never expires (and is
# then revoked by hand). The slack covers a browser clock a little ahead of the server's.
SHARE_LINK_MAX_DAYS = 90
_SHARE_LINK_EXPIRY_SLACK = timedelta(hours=1)


def _share_link_data(link: ShareLink) -> dict[str, Any]:
    # What the map's event log and its open editors learn of a link: never the token, since
    # viewers of the map receive the same events.
    return {
        "id": link.pk,
        "target": link.target,
        "label": link.label,
        "expires_at": link.expires_at.isoformat() if link.expires_at else None,
        "revoked_at": link.revoked_at.isoformat() if link.revoked_at else None,
        "created_by": link.created_by_id,
    }


def share_link_create(
    *,
    actor,
    journey_id: int,
    target: str = ShareLink.Target.MAP,
    label: str = "",
    expires_at: datetime | None = None,
) -> ShareLink:
    """A new read-only link to the map or its dashboard, for people without an account."""
    if target not in ShareLink.Target.values:
        raise InvalidInput({"target": f"Choose one of {', '.join(ShareLink.Target.values)}."})
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise InvalidInput({"expires_at": "A link's expiry must be in the future."})
    latest = now + timedelta(days=SHARE_LINK_MAX_DAYS) + _SHARE_LINK_EXPIRY_SLACK
    if expires_at is not None and expires_at > latest:
        raise InvalidInput(
            {
                "expires_at": f"A link expires within {SHARE_LINK_MAX_DAYS} days at most; "
                "leave the expiry out for a link that never expires."
            }
        )
    with transaction.atomic():
        journey = journey_for_change(journey_id=journey_id, actor=actor, lock=True)
        if not can_share_journey(actor, journey):
            raise AccessDenied("Only the owner or an admin can share a restricted journey.")
        active = ShareLink.objects.filter(journey=journey, revoked_at__isnull=True).exclude(
            expires_at__lte=now
        )
        if active.count() >= SHARE_LINKS_PER_JOURNEY:
            raise InvalidInput(
                {"target": f"This map already has {SHARE_LINKS_PER_JOURNEY} active links."}
            )
        link = ShareLink.objects.create(
            journey=journey,
            target=target,
            label=label,
            expires_at=expires_at,
            created_by=actor,
            token=secrets.token_urlsafe(32),
        )
        change_record(
            journey=journey,
            actor=actor,
            kind="share_link_created",
            payload={"share_link": _share_link_data(link)},
        )
    return link


def share_link_revoke(*, actor, share_link_id: int) -> ShareLink:
    """The link stops working at once, and visitors who have it open are disconnected."""
    with transaction.atomic():
        link = ShareLink.objects.filter(pk=share_link_id).first()
        if link is None:
            raise NotFound("No such share link.")
        journey = journey_for_change(journey_id=link.journey_id, actor=actor, lock=True)
        if not can_share_journey(actor, journey):
            raise AccessDenied("Only the owner or an admin can change a restricted map's links.")
        link = ShareLink.objects.select_for_update(of=("self",)).get(pk=link.pk)
        if link.revoked_at is not None:
            return link  # revoking twice is harmless
        link.revoked_at, link.revoked_by = timezone.now(), actor
        link.save(update_fields=["revoked_at", "revoked_by"])
        change_record(
            journey=journey,
            actor=actor,
            kind="share_link_revoked",
            payload={"share_link": _share_link_data(link)},
        )
        transaction.on_commit(partial(broadcast_share_link_revoked, journey.pk, link.pk))
    return link


def share_link_opened(*, share_link: ShareLink) -> None:
    """Count a visit, so the owner sees whether (and when) a link is used."""
    ShareLink.objects.filter(pk=share_link.pk).update(
        opened_count=F("opened_count") + 1, last_opened_at=timezone.now()
    )


# --- Phases and lanes -------------------------------------------------------------------------


def phase_create(*, actor, journey_id: int, name: str, index: int | None = None, **fields) -> Phase:
    return item_create(
        PHASE, actor=actor, journey_id=journey_id, fields={"name": name, **fields}, index=index
    )


def phase_update(
    *, actor, phase_id: int, version: int, changes: dict[str, Any], journey_id: int | None = None
) -> Phase:
    return item_update(
        PHASE, actor=actor, pk=phase_id, version=version, changes=changes, journey_id=journey_id
    )


def phase_move(
    *, actor, phase_id: int, index: int, version: int | None = None, journey_id: int | None = None
) -> Phase:
    return item_move(
        PHASE,
        actor=actor,
        pk=phase_id,
        index=index,
        version=version,
        target={},
        journey_id=journey_id,
    )


def lane_create(
    *, actor, journey_id: int, name: str, kind: str = Lane.Kind.NOTES, index: int | None = None
) -> Lane:
    return item_create(
        LANE, actor=actor, journey_id=journey_id, fields={"name": name, "kind": kind}, index=index
    )


def lane_update(
    *, actor, lane_id: int, version: int, changes: dict[str, Any], journey_id: int | None = None
) -> Lane:
    return item_update(
        LANE, actor=actor, pk=lane_id, version=version, changes=changes, journey_id=journey_id
    )


def lane_move(
    *, actor, lane_id: int, index: int, version: int | None = None, journey_id: int | None = None
) -> Lane:
    return item_move(
        LANE,
        actor=actor,
        pk=lane_id,
        index=index,
        version=version,
        target={},
        journey_id=journey_id,
    )


def _content_delete(
    kind: ItemType,
    *,
    actor,
    pk: int,
    version: int | None,
    cascade: bool,
    contents: dict[str, Any],
    journey_id: int | None = None,
) -> None:
    """Delete a phase or lane; refuse while it holds content unless ``cascade`` is asked for.

    Its touchpoints' survey responses are not deleted: they are unmatched, remembering the
    touchpoint's code (``touchpoints.evidence``), and the refusal names how many there are.

    ``contents`` maps a word (cards, touchpoints…) to the queryset of what the column or row
    holds; with ``cascade`` those go first, in one transaction with the column or row.
    """
    with transaction.atomic():
        journey = item_journey_for_change(kind.model, pk=pk, actor=actor, journey_id=journey_id)
        # Lock the column or row itself: a card racing into it waits, then finds it gone.
        item = item_for_change(kind.model, journey=journey, pk=pk, lock=True)
        if version is not None and item.version != version:
            raise VersionConflict(item)
        held = {word: list(qs.values_list("pk", flat=True)) for word, qs in contents.items()}
        counts = {word: len(ids) for word, ids in held.items() if ids}
        # What its touchpoints hold: survey responses (unmatched, not deleted, if it goes) and
        # opportunities elsewhere linked to them. Named too, so nobody loses evidence unasked.
        from feedback.voc import journey_voc_refresh
        from touchpoints.evidence import evidence_counts, evidence_set_aside

        touchpoints = list(contents["touchpoints"]) if held.get("touchpoints") else []
        evidence = evidence_counts([t.pk for t in touchpoints])
        if evidence["responses"]:
            counts["survey_responses"] = evidence["responses"]
        if counts and not cascade:
            listing = ", ".join(f"{n:,} {word.replace('_', ' ')}" for word, n in counts.items())
            raise NotEmpty(
                f"The {kind.name} “{item.name}” still holds {listing}. Move or delete them "
                f"first, or delete the {kind.name} with its content.",
                code=f"{kind.name}_not_empty",
                counts=counts,
            )
        set_aside = evidence_set_aside(journey, touchpoints)
        for qs in contents.values():
            qs.delete()
        item.delete()
        if set_aside["responses_unmatched"]:
            journey_voc_refresh(journey.pk)  # locks the phases left, then bumps the revision
        change_record(
            journey=journey,
            actor=actor,
            kind=f"{kind.name}_deleted",
            payload={
                kind.name: {"id": pk},
                "deleted": {w: ids for w, ids in held.items() if ids},
                **set_aside,
            },
        )


def phase_delete(
    *,
    actor,
    phase_id: int,
    version: int | None = None,
    cascade: bool = False,
    journey_id: int | None = None,
) -> None:
    from touchpoints.models import Touchpoint

    _content_delete(
        PHASE,
        actor=actor,
        pk=phase_id,
        version=version,
        cascade=cascade,
        journey_id=journey_id,
        contents={
            "opportunities": Opportunity.objects.filter(phase_id=phase_id),
            "emotions": Emotion.objects.filter(phase_id=phase_id),
            "cards": Card.objects.filter(phase_id=phase_id),
            # Locked (see item_delete): a survey import may be matching responses to them.
            "touchpoints": Touchpoint.objects.filter(phase_id=phase_id)
            .select_for_update(of=("self",))
            .order_by("pk"),
        },
    )


def lane_delete(
    *,
    actor,
    lane_id: int,
    version: int | None = None,
    cascade: bool = False,
    journey_id: int | None = None,
) -> None:
    from touchpoints.models import Touchpoint

    _content_delete(
        LANE,
        actor=actor,
        pk=lane_id,
        version=version,
        cascade=cascade,
        journey_id=journey_id,
        contents={
            "cards": Card.objects.filter(lane_id=lane_id),
            # Locked (see item_delete): a survey import may be matching responses to them.
            "touchpoints": Touchpoint.objects.filter(lane_id=lane_id)
            .select_for_update(of=("self",))
            .order_by("pk"),
        },
    )


# --- Cards ------------------------------------------------------------------------------------


def card_create(
    *,
    actor,
    journey_id: int,
    phase_id: int,
    lane_id: int,
    text: str,
    color: str = "",
    tag: str = "",
    index: int | None = None,
) -> Card:
    fields = {"phase_id": phase_id, "lane_id": lane_id, "text": text, "color": color, "tag": tag}
    if getattr(actor, "pk", None):
        fields["created_by_id"] = actor.pk
    return item_create(CARD, actor=actor, journey_id=journey_id, fields=fields, index=index)


def card_update(
    *, actor, card_id: int, version: int, changes: dict[str, Any], journey_id: int | None = None
) -> Card:
    return item_update(
        CARD, actor=actor, pk=card_id, version=version, changes=changes, journey_id=journey_id
    )


def card_move(
    *,
    actor,
    card_id: int,
    index: int,
    phase_id: int | None = None,
    lane_id: int | None = None,
    version: int | None = None,
    journey_id: int | None = None,
) -> Card:
    """Put a card at ``index`` in the cell (phase × lane); only its placement changes."""
    return item_move(
        CARD,
        actor=actor,
        pk=card_id,
        index=index,
        version=version,
        target={"phase_id": phase_id, "lane_id": lane_id},
        journey_id=journey_id,
    )


def card_delete(
    *, actor, card_id: int, version: int | None = None, journey_id: int | None = None
) -> None:
    item_delete(CARD, actor=actor, pk=card_id, version=version, journey_id=journey_id)


# --- Emotions ---------------------------------------------------------------------------------


def emotion_create(
    *,
    actor,
    journey_id: int,
    phase_id: int,
    score: int,
    label: str = "",
    emoji: str = "",
    note: str = "",
) -> Emotion:
    """The team's estimate of how the customer feels in a phase (one per phase)."""
    fields = {"phase_id": phase_id, "score": score, "label": label, "emoji": emoji, "note": note}
    # A create racing this one is refused by the one-per-phase constraint (see EMOTION.clash).
    if Emotion.objects.filter(phase_id=phase_id, source=Emotion.Source.TEAM).exists():
        raise InvalidInput(EMOTION.clash)
    return item_create(EMOTION, actor=actor, journey_id=journey_id, fields=fields)


def emotion_update(
    *, actor, emotion_id: int, version: int, changes: dict[str, Any], journey_id: int | None = None
) -> Emotion:
    return item_update(
        EMOTION, actor=actor, pk=emotion_id, version=version, changes=changes, journey_id=journey_id
    )


def emotion_delete(
    *, actor, emotion_id: int, version: int | None = None, journey_id: int | None = None
) -> None:
    item_delete(EMOTION, actor=actor, pk=emotion_id, version=version, journey_id=journey_id)


# --- Opportunities ----------------------------------------------------------------------------


def opportunity_create(
    *, actor, journey_id: int, phase_id: int, title: str, index: int | None = None, **fields: Any
) -> Opportunity:
    fields = {"phase_id": phase_id, "title": title, **fields}
    _opportunity_lane_check(fields.get("lane_id"), journey_id=journey_id)
    return item_create(OPPORTUNITY, actor=actor, journey_id=journey_id, fields=fields, index=index)


def _opportunity_lane_check(lane_id: int | None, *, journey_id: int | None = None, pk=None) -> None:
    """An opportunity shows in an Opportunities lane of its own map (or, unnamed, the first)."""
    if lane_id is None:
        return
    journeys = (
        Opportunity.objects.filter(pk=pk).values("journey_id") if pk is not None else [journey_id]
    )
    lanes = Lane.objects.filter(pk=lane_id, journey_id__in=journeys)
    if not lanes.filter(kind=Lane.Kind.OPPORTUNITIES).exists():
        raise InvalidInput({"lane": "Choose an Opportunities lane of this map."})


def opportunity_update(
    *,
    actor,
    opportunity_id: int,
    version: int,
    changes: dict[str, Any],
    journey_id: int | None = None,
) -> Opportunity:
    _opportunity_lane_check(changes.get("lane_id"), pk=opportunity_id)
    return item_update(
        OPPORTUNITY,
        actor=actor,
        pk=opportunity_id,
        version=version,
        changes=changes,
        journey_id=journey_id,
    )


def opportunity_move(
    *,
    actor,
    opportunity_id: int,
    index: int,
    phase_id: int | None = None,
    version: int | None = None,
    journey_id: int | None = None,
) -> Opportunity:
    return item_move(
        OPPORTUNITY,
        actor=actor,
        pk=opportunity_id,
        index=index,
        version=version,
        target={"phase_id": phase_id},
        journey_id=journey_id,
    )


def opportunity_delete(
    *, actor, opportunity_id: int, version: int | None = None, journey_id: int | None = None
) -> None:
    item_delete(OPPORTUNITY, actor=actor, pk=opportunity_id, version=version, journey_id=journey_id)
