"""Reads that need care: the whole map in a constant number of queries, whatever its size."""

from collections import defaultdict
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from journeys.models import (
    Card,
    Emotion,
    Journey,
    JourneyEvent,
    Lane,
    Opportunity,
    Phase,
    ShareLink,
)
from journeys.permissions import visible_journeys
from journeys.realtime.broadcast import event_message
from journeys.serializers import (
    CardSerializer,
    EmotionSerializer,
    JourneySerializer,
    LaneSerializer,
    OpportunitySerializer,
    PhaseSerializer,
)
from journeys.visitors import without_share_links
from personas.serializers import PersonaSerializer
from touchpoints.models import Touchpoint
from touchpoints.serializers import TouchpointSerializer


def journey_list(*, user, filters: dict[str, Any] | None = None) -> QuerySet[Journey]:
    """The journeys the user may see, with what a list row shows, optionally filtered."""
    journeys = visible_journeys(user).select_related("owner", "persona")
    journeys = journeys.prefetch_related("collaborators")
    filters = filters or {}
    touchpoint_filter = {key: filters[key] for key in ("channel", "department") if filters.get(key)}
    if touchpoint_filter:
        journeys = journeys.filter(
            Exists(Touchpoint.objects.filter(journey_id=OuterRef("pk"), **touchpoint_filter))
        )
    return journeys


def journey_map_get(*, journey: Journey, context: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole map: journey, persona, phases, lanes, cells with cards, touchpoints, emotions,
    opportunities and the revision it reflects — one query per kind of item."""
    # Serializers read their context as a dict: None (no request, as on a socket) would crash.
    context = context or {}
    journey_id = journey.pk
    phases = Phase.objects.filter(journey_id=journey_id).order_by("position", "pk")
    lanes = Lane.objects.filter(journey_id=journey_id).order_by("position", "pk")
    cards = Card.objects.filter(journey_id=journey_id).order_by("lane", "phase", "position", "pk")
    touchpoints = Touchpoint.objects.filter(journey_id=journey_id).order_by(
        "lane", "phase", "position", "pk"
    )
    emotions = Emotion.objects.filter(journey_id=journey_id).order_by("phase", "source")
    opportunities = Opportunity.objects.filter(journey_id=journey_id).order_by(
        "phase", "position", "pk"
    )

    cells: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for card in CardSerializer(cards, many=True).data:
        cells[(card["phase"], card["lane"])].append(card)

    data = dict(JourneySerializer(journey, context=context).data)
    data["persona"] = (
        PersonaSerializer(journey.persona, context=context).data if journey.persona else None
    )
    data.update(
        phases=PhaseSerializer(phases, many=True).data,
        lanes=LaneSerializer(lanes, many=True).data,
        cells=[
            {"phase": phase, "lane": lane, "cards": items} for (phase, lane), items in cells.items()
        ],
        touchpoints=TouchpointSerializer(touchpoints, many=True).data,
        emotions=EmotionSerializer(emotions, many=True).data,
        opportunities=OpportunitySerializer(opportunities, many=True).data,
    )
    return data


def journey_get(*, user, journey_id: int) -> Journey | None:
    """One visible journey with what its header shows (owner, persona, collaborators)."""
    return journey_list(user=user).filter(pk=journey_id).select_related("persona__group").first()


# Beyond this many missed events a client is better served by a fresh snapshot.
EVENT_REPLAY_LIMIT = 500


def journey_events_after(
    *, journey: Journey, after: int, sees_share_links: bool = False
) -> list[dict[str, Any]] | None:
    """The events a client missed since ``after``, in order, or None when too many to replay."""
    if journey.revision - after > EVENT_REPLAY_LIMIT:
        return None
    return journey_events_page(
        journey=journey, after=after, limit=EVENT_REPLAY_LIMIT, sees_share_links=sees_share_links
    )


def journey_events_page(
    *, journey: Journey, after: int, limit: int, sees_share_links: bool = False
) -> list[dict[str, Any]]:
    """Up to ``limit`` events after revision ``after``, oldest first: the log read page by page,
    however far back (a client catching up uses ``journey_events_after`` and a snapshot).

    Events about share links keep their details only for a reader who ``sees_share_links``
    (``can_share_journey``); safe by default, since the log is read by viewers too."""
    events = JourneyEvent.objects.filter(journey_id=journey.pk, revision__gt=after)
    page = [event_message(event) for event in events.order_by("revision")[:limit]]
    return page if sees_share_links else [without_share_links(event) for event in page]


def share_links_of(*, journey: Journey) -> QuerySet[ShareLink]:
    """A map's share links, newest first, with who made each (one query)."""
    return ShareLink.objects.filter(journey_id=journey.pk).select_related("created_by")


def share_link_resolve(*, token: str) -> ShareLink | None:
    """The link a visitor's token names, with its journey and persona, or None."""
    if not token or len(token) > 64:
        return None
    return (
        ShareLink.objects.filter(token=token)
        .select_related("journey__persona__group", "journey__owner")
        .first()
    )
