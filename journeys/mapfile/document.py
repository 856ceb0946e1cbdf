"""The map as a portable document (``journeyboard.map``, schema version 1).

Every export format is drawn from this one in-memory document, read in a constant number of
queries whatever the map's size. Objects name each other by export-local keys (``P1``, ``L2``,
``T3``…), never by database ids, so a document can be imported anywhere. The JSON Schema is
``docs/map-export-v1.schema.json``; the prose is ``docs/map-export.md``.
"""

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from django.utils import timezone

from feedback.selectors import journey_metrics
from journeys.models import Card, Emotion, Journey, Lane, Opportunity, Phase
from personas.models import Persona
from touchpoints.models import Touchpoint

FORMAT = "journeyboard.map"
SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "map-export-v1.schema.json"

JOURNEY_FIELDS = ("title", "description", "scenario", "state", "status", "is_restricted")
PHASE_FIELDS = ("name", "description", "customer_goal")
LANE_FIELDS = ("name", "kind")
CARD_FIELDS = ("text", "color", "tag")
TOUCHPOINT_FIELDS = (
    "name",
    "code",
    "channel",
    "department",
    "description",
    "is_moment_that_matters",
)
EMOTION_FIELDS = ("source", "score", "label", "emoji", "note")
OPPORTUNITY_FIELDS = ("title", "description", "impact", "effort", "status")
PLAN_FIELDS = ("due_date", "kpi", "target")
PERSONA_FIELDS = (
    "name",
    "avatar",
    "role",
    "segment",
    "bio",
    "age_range",
    "location",
    "occupation",
    "income_band",
    *Persona.STATEMENT_FIELDS,
    "preferred_channels",
    "quote",
)


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def persona_data(persona: Persona | None) -> dict[str, Any] | None:
    """The persona embedded as data (the library entry may not exist where it is imported)."""
    if persona is None:
        return None
    data = {field: getattr(persona, field) for field in PERSONA_FIELDS}
    data["group"] = persona.group.name if persona.group_id else None
    return data


def map_document(*, journey: Journey) -> dict[str, Any]:
    """The whole map as a ``journeyboard.map`` document: eight queries, whatever its size.

    ``journey`` should come from ``journey_get`` (persona and its group already joined)."""
    jid = journey.pk
    keys = _Keys(
        phases=list(
            Phase.objects.filter(journey_id=jid)
            .order_by("position", "pk")
            .values("pk", *PHASE_FIELDS)
        ),
        lanes=list(
            Lane.objects.filter(journey_id=jid)
            .order_by("position", "pk")
            .values("pk", *LANE_FIELDS)
        ),
    )
    cards = keys.placed(
        Card.objects.filter(journey_id=jid)
        .order_by("position", "pk")
        .values("phase_id", "lane_id", "position", *CARD_FIELDS)
    )
    touchpoints = keys.placed(
        Touchpoint.objects.filter(journey_id=jid)
        .order_by("position", "pk")
        .values("pk", "phase_id", "lane_id", "position", *TOUCHPOINT_FIELDS)
    )
    keys.touchpoint = {t["pk"]: f"T{i}" for i, t in enumerate(touchpoints, 1)}
    emotions = sorted(
        Emotion.objects.filter(journey_id=jid).values("phase_id", *EMOTION_FIELDS),
        key=lambda e: (keys.phase_order[e["phase_id"]], e["source"] != Emotion.Source.TEAM),
    )
    opportunities = sorted(
        Opportunity.objects.filter(journey_id=jid)
        .order_by("position", "pk")
        .values(
            "phase_id",
            "lane_id",
            "touchpoint_id",
            "position",
            "priority",
            "owner__username",
            "owner__first_name",
            "owner__last_name",
            *OPPORTUNITY_FIELDS,
            *PLAN_FIELDS,
        ),
        key=lambda o: (keys.phase_order[o["phase_id"]], o["position"]),
    )
    voc = journey_metrics(journey_id=jid)
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "source": {"journey_id": jid, "revision": journey.revision},
        "journey": {field: getattr(journey, field) for field in JOURNEY_FIELDS},
        "persona": persona_data(journey.persona),
        "phases": [
            {"key": keys.phase[p["pk"]], **{f: p[f] for f in PHASE_FIELDS}} for p in keys.phases
        ],
        "lanes": [
            {"key": keys.lane[r["pk"]], **{f: r[f] for f in LANE_FIELDS}} for r in keys.lanes
        ],
        "cards": [
            {
                "key": f"C{i}",
                "phase": keys.phase[c["phase_id"]],
                "lane": keys.lane[c["lane_id"]],
                **{f: c[f] for f in CARD_FIELDS},
            }
            for i, c in enumerate(cards, 1)
        ],
        "touchpoints": [
            {
                "key": keys.touchpoint[t["pk"]],
                "phase": keys.phase[t["phase_id"]],
                "lane": keys.lane[t["lane_id"]],
                **{f: t[f] for f in TOUCHPOINT_FIELDS},
            }
            for t in touchpoints
        ],
        "emotions": [
            {"phase": keys.phase[e["phase_id"]], **{f: e[f] for f in EMOTION_FIELDS}}
            for e in emotions
        ],
        "opportunities": [
            _opportunity_entry(f"O{i}", o, keys) for i, o in enumerate(opportunities, 1)
        ],
        "voc": _voc_entry(voc, keys),
    }


class _Keys:
    """The export-local keys (``P1``, ``L2``, ``T3``) of a map's rows, by database id."""

    def __init__(self, *, phases: list[dict], lanes: list[dict]) -> None:
        self.phases, self.lanes = phases, lanes
        self.phase = {p["pk"]: f"P{i}" for i, p in enumerate(phases, 1)}
        self.lane = {lane["pk"]: f"L{i}" for i, lane in enumerate(lanes, 1)}
        self.touchpoint: dict[int, str] = {}
        self.phase_order = {pk: i for i, pk in enumerate(self.phase)}
        self.lane_order = {pk: i for i, pk in enumerate(self.lane)}

    def placed(self, rows) -> list[dict]:
        """Cards or touchpoints lane by lane, then phase by phase: a document reads row by
        row, like the map."""
        return sorted(
            rows,
            key=lambda r: (
                self.lane_order[r["lane_id"]],
                self.phase_order[r["phase_id"]],
                r["position"],
            ),
        )


def _opportunity_entry(key: str, row: dict, keys: _Keys) -> dict[str, Any]:
    return {
        "key": key,
        "phase": keys.phase[row["phase_id"]],
        # The Opportunities lane it shows in (None: the map's first).
        "lane": keys.lane.get(row["lane_id"]),
        "touchpoint": keys.touchpoint.get(row["touchpoint_id"]),
        **{f: row[f] for f in OPPORTUNITY_FIELDS},
        "priority": row["priority"],
        "action_plan": {
            "owner": _owner(row),
            "due_date": row["due_date"].isoformat() if row["due_date"] else None,
            "kpi": row["kpi"],
            "target": row["target"],
        },
    }


def _owner(row: dict) -> dict[str, str] | None:
    """An action plan's owner by username (how an import finds them again) and name."""
    if not row["owner__username"]:
        return None
    name = f"{row['owner__first_name']} {row['owner__last_name']}".strip()
    return {"username": row["owner__username"], "name": name or row["owner__username"]}


def _voc_entry(voc: dict[str, Any], keys: _Keys) -> dict[str, Any]:
    """The map's VoC metrics by export key: read-only, never imported."""
    return {
        "read_only": True,
        "journey": voc["journey_metrics"],
        "phases": {
            keys.phase[int(pk)]: m for pk, m in voc["phases"].items() if int(pk) in keys.phase
        },
        "touchpoints": {
            keys.touchpoint[int(pk)]: m
            for pk, m in voc["touchpoints"].items()
            if pk != "None" and int(pk) in keys.touchpoint
        },
    }


# --- Reading a document back, for the other formats --------------------------------------------


class MapView:
    """Lookups over a document that every renderer needs: cells, emotions, metrics by key."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.title: str = document["journey"]["title"]
        self.persona: dict | None = document.get("persona")
        self.phases: list[dict] = document["phases"]
        self.lanes: list[dict] = document["lanes"]
        self.cards: dict[tuple[str, str], list[dict]] = {}
        for card in document["cards"]:
            self.cards.setdefault((card["phase"], card["lane"]), []).append(card)
        self.touchpoints: dict[tuple[str, str], list[dict]] = {}
        for tp in document["touchpoints"]:
            self.touchpoints.setdefault((tp["phase"], tp["lane"]), []).append(tp)
        self.emotions: dict[tuple[str, str], dict] = {
            (e["phase"], e["source"]): e for e in document["emotions"]
        }
        self.opportunities: dict[str, list[dict]] = {}
        for op in document["opportunities"]:
            self.opportunities.setdefault(op["phase"], []).append(op)
        voc = document.get("voc") or {}
        self.touchpoint_metrics: dict[str, dict] = voc.get("touchpoints") or {}
        self.phase_metrics: dict[str, dict] = voc.get("phases") or {}

    def emotion(self, phase_key: str, source: str = "team") -> dict | None:
        return self.emotions.get((phase_key, source))

    def cell_items(self, phase_key: str, lane: dict) -> list[str]:
        """What a cell shows, as lines of text (as the editor draws that lane's kind)."""
        kind = lane["kind"]
        if kind == Lane.Kind.EMOTIONS:
            emotion = self.emotion(phase_key)
            return [emotion_text(emotion)] if emotion else []
        if kind == Lane.Kind.TOUCHPOINTS:
            return [tp["name"] for tp in self.touchpoints.get((phase_key, lane["key"]), [])]
        if kind == Lane.Kind.OPPORTUNITIES:
            return [op["title"] for op in self.opportunities.get(phase_key, [])]
        return [card["text"] for card in self.cards.get((phase_key, lane["key"]), [])]


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def printable(text: str) -> str:
    """Text without the control characters XML (SVG, Office files) cannot hold."""
    return _CONTROL.sub("", text)


def emotion_text(emotion: dict) -> str:
    """``Delighted (+2)``: label first, so the cell does not start like a formula."""
    score = f"({emotion['score']:+d})"
    return f"{emotion['label']} {score}" if emotion["label"] else score
