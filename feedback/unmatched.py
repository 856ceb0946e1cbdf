"""The unmatched queue of a map: the responses no touchpoint claimed, grouped by what they
named (their ``match_key``), and its two actions — map a group to a touchpoint (which becomes a
rule of its source for later imports) and ignore a group (hidden, nothing deleted).

It is a permanent view of the map, not only of the last import: every source of the map, every
response stored. Shared sources are left out: their unmatched responses belong to no map (they
are matched by codes any map may hold), so no one map's team can claim them here.
"""

from collections import Counter
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max

from feedback.matching import match_key
from feedback.models import SurveyResponse, SurveySource
from journeys.exceptions import AccessDenied, InvalidInput, NotFound
from journeys.permissions import can_edit_journey, visible_journeys
from touchpoints.models import Touchpoint

# The largest groups shown: a free-text column chosen as the touchpoint would otherwise make
# the queue as long as the file.
QUEUE_LIMIT = 500


# --- Reading ---------------------------------------------------------------------------------


def journey_for_queue(*, actor, journey_id: int, edit: bool = False):
    """The map, if the actor may read its queue (anyone who sees the map) or, with ``edit``,
    act on it (its editors). A map out of sight answers as one that does not exist."""
    journey = visible_journeys(actor).filter(pk=journey_id).first()
    if journey is None:
        raise NotFound("No such journey.")
    if edit and not can_edit_journey(actor, journey):
        raise AccessDenied("Only editors of this journey map its unmatched responses.")
    return journey


def journey_unmatched_groups(*, journey_id: int, ignored: bool = False) -> list[dict[str, Any]]:
    """The map's unmatched responses by source and what they named, the largest group first;
    ``ignored`` shows the groups people chose to ignore too.

    Two queries whatever the number of responses: the map's sources, and the unmatched
    responses counted per (source, key, value as written), read through the partial index on
    unmatched responses. A group's ``value`` is its most frequent spelling."""
    sources = {
        pk: (name, set((settings or {}).get("ignored_values") or []))
        for pk, name, settings in SurveySource.objects.filter(journey_id=journey_id)
        .order_by()
        .values_list("pk", "name", "import_settings")
    }
    if not sources:
        return []
    rows = (
        SurveyResponse.objects.filter(source_id__in=list(sources), touchpoint__isnull=True)
        .values_list("source_id", "match_key", "touchpoint_code", "channel")
        .annotate(responses=Count("id"), last_seen=Max("submitted_at"))
        .order_by()
    )
    groups: dict[tuple[int, str], dict[str, Any]] = {}
    spellings: dict[tuple[int, str], Counter] = {}
    for source_id, key, code, channel, responses, last_seen in rows:
        group = groups.setdefault(
            (source_id, key),
            {
                "source": source_id,
                "source_name": sources[source_id][0],
                "match_key": key,
                "value": "",
                "responses": 0,
                "ignored": key in sources[source_id][1],
                "last_seen": last_seen,
            },
        )
        group["responses"] += responses
        group["last_seen"] = max(group["last_seen"], last_seen)
        # What it was keyed by: the touchpoint value, else (naming none) the channel.
        spellings.setdefault((source_id, key), Counter())[code if match_key(code) else channel] += (
            responses
        )
    for at, group in groups.items():
        # The most frequent spelling; among equals, the first in code-point order (stable).
        group["value"] = min(spellings[at].items(), key=lambda item: (-item[1], item[0]))[0]
    shown = [g for g in groups.values() if ignored or not g["ignored"]]
    shown.sort(key=lambda g: (-g["responses"], g["match_key"], g["source"]))
    return shown[:QUEUE_LIMIT]


# --- Acting ----------------------------------------------------------------------------------


def _source_lock(*, journey_id: int, source_id: Any) -> SurveySource:
    """The map's own source, locked (before any touchpoint: the import's lock order)."""
    source = (
        SurveySource.objects.select_for_update(of=("self",))
        .filter(pk=source_id, journey_id=journey_id)
        .first()
        if str(source_id).isdigit()
        else None
    )
    if source is None:
        raise NotFound("No such survey source on this journey.")
    return source


def _queue_changed(journey_id: int) -> None:
    """Tell the map's team (after commit) that its queue changed: their panels and the
    toolbar's count refresh. Metrics travel as the ``voc_updated`` event of the recount."""
    from journeys.realtime.broadcast import broadcast_journey_message

    transaction.on_commit(
        lambda: broadcast_journey_message(journey_id, {"type": "unmatched", "journey": journey_id})
    )


def unmatched_map(*, actor, journey_id: int, source_id: int, key: str, touchpoint_id: int) -> int:
    """Map one group to a touchpoint: the value becomes a rule of the source
    (``touchpoint_values[key] = code``, used by every later import and sync), the stored
    unmatched responses with that key move onto the touchpoint (one UPDATE), and its rollups and
    the map's VoC emotions are recounted. Returns how many responses were mapped."""
    from feedback.services import _touchpoints_refresh

    journey_for_queue(actor=actor, journey_id=journey_id, edit=True)
    key = match_key(key)
    if not key:
        raise InvalidInput(
            {"match_key": "These responses name nothing: match them by the source's rules."}
        )
    with transaction.atomic():
        source = _source_lock(journey_id=journey_id, source_id=source_id)
        touchpoint = Touchpoint.objects.filter(pk=touchpoint_id, journey_id=journey_id).first()
        if touchpoint is None:
            raise InvalidInput({"touchpoint": "No such touchpoint on this journey."})
        if connection.vendor == "postgresql":
            # Held until commit, as an import holds it: a delete of the touchpoint waits, then
            # un-matches what this moved onto it.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT 1 FROM {connection.ops.quote_name(Touchpoint._meta.db_table)} "
                    "WHERE id = %s FOR KEY SHARE",
                    [touchpoint.pk],
                )
        settings = dict(source.import_settings or {})
        settings["touchpoint_values"] = {
            **(settings.get("touchpoint_values") or {}),
            key: touchpoint.code,
        }
        if key in (settings.get("ignored_values") or []):
            settings["ignored_values"] = [v for v in settings["ignored_values"] if v != key]
        source.import_settings = settings
        source.version += 1
        source.save(update_fields=["import_settings", "version", "updated_at"])
        mapped = SurveyResponse.objects.filter(
            source_id=source.pk, touchpoint__isnull=True, match_key=key
        ).update(touchpoint_id=touchpoint.pk, journey_id=touchpoint.journey_id)
        if mapped:
            _touchpoints_refresh([touchpoint.pk])
        _queue_changed(journey_id)
    return mapped


def unmatched_ignore(*, actor, journey_id: int, source_id: int, key: str, ignored: bool) -> bool:
    """Hide one group from the queue (``ignored_values`` of its source), or show it again.
    Nothing is deleted: the responses stay, unmatched, and "show ignored" lists them."""
    journey_for_queue(actor=actor, journey_id=journey_id, edit=True)
    key = match_key(key)
    with transaction.atomic():
        source = _source_lock(journey_id=journey_id, source_id=source_id)
        settings = dict(source.import_settings or {})
        values = [v for v in (settings.get("ignored_values") or []) if v != key]
        settings["ignored_values"] = [*values, key] if ignored else values
        source.import_settings = settings
        source.version += 1
        source.save(update_fields=["import_settings", "version", "updated_at"])
        _queue_changed(journey_id)
    return ignored
