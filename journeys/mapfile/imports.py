"""Importing a map: a ``journeyboard.map`` document (or a CSV/XLSX grid) becomes a NEW journey.

Everything is checked before anything is written — the JSON Schema, then what a schema cannot
say (keys unique, references that exist, one emotion per phase and source, unique touchpoint
codes) — and the journey is written in one transaction, as one ``journey_imported`` change.
VoC rollups and customer (VoC) emotions in the document are read-only and never imported: a
map shows what customers say only from survey responses imported for it.
"""

import csv
import json
from dataclasses import dataclass, field
from typing import Any
from zipfile import BadZipFile

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import slugify
from jsonschema import Draft202012Validator, FormatChecker
from openpyxl.utils.exceptions import InvalidFileException

from config.file_limits import utf16_of
from journeys.changes import change_record
from journeys.exceptions import AccessDenied, MapImportRefused
from journeys.mapfile import document as doc
from journeys.mapfile.spreadsheet import document_from_csv, document_from_xlsx
from journeys.models import Card, Emotion, Journey, Lane, Opportunity, Phase
from journeys.permissions import Role, has_role, is_admin, visible_journeys
from journeys.positions import GAP, renumbered
from journeys.serializers import JourneySerializer
from personas.models import Persona, PersonaGroup
from touchpoints.models import Touchpoint

MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_ERRORS = 50
IMPORT_FORMATS = ("json", "csv", "xlsx")
_XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class ImportResult:
    journey: Journey
    notes: list[str] = field(default_factory=list)  # what the importer should know (persona…)
    counts: dict[str, int] = field(default_factory=dict)


def _path(parts) -> str:
    """``phases[2].name`` from jsonschema's deque of keys and indexes."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def _refuse(errors: dict[str, list[str]]) -> None:
    if errors:
        count = sum(len(v) for v in errors.values())
        raise MapImportRefused(
            f"The map file has {count} problem{'s' if count != 1 else ''}; nothing was imported.",
            errors=errors,
        )


def document_validate(document: Any) -> None:
    """Refuse a document that is not a valid ``journeyboard.map`` v1, naming each bad path."""
    if not isinstance(document, dict) or document.get("format") != doc.FORMAT:
        raise MapImportRefused(
            f'This is not a Journeyboard map (expected "format": "{doc.FORMAT}").',
            code="not_a_map",
        )
    if document.get("schema_version") != doc.SCHEMA_VERSION:
        raise MapImportRefused(
            f"Schema version {document.get('schema_version')!r} is not supported; this "
            f"Journeyboard reads version {doc.SCHEMA_VERSION}.",
            code="unsupported_schema_version",
            supported=[doc.SCHEMA_VERSION],
        )
    errors: dict[str, list[str]] = {}
    validator = Draft202012Validator(doc.schema(), format_checker=FormatChecker())
    for error in validator.iter_errors(document):
        if len(errors) >= MAX_ERRORS:
            break
        errors.setdefault(_path(error.absolute_path), []).append(error.message)
    _refuse(errors)
    _references_check(document)


def _references_check(document: dict[str, Any]) -> None:
    """What a schema cannot say: keys unique, references that exist, one emotion per phase and
    source, touchpoint codes unique."""
    errors: dict[str, list[str]] = {}
    known = {
        "phase": _unique_keys(document, "phases", errors),
        "lane": _unique_keys(document, "lanes", errors),
        "touchpoint": _unique_keys(document, "touchpoints", errors),
    }
    _unique_keys(document, "cards", errors, required=False)
    _unique_keys(document, "opportunities", errors, required=False)
    for kind in ("cards", "touchpoints"):
        for i in range(len(document[kind])):
            _must_name(document, kind, i, ("phase", "lane"), known, errors)
    _one_emotion_per_phase_and_source(document, known, errors)
    for i in range(len(document["opportunities"])):
        _must_name(document, "opportunities", i, ("phase", "lane", "touchpoint"), known, errors)
    _codes_unique(document, errors)
    _refuse(errors)


def _unique_keys(
    document: dict[str, Any], kind: str, errors: dict[str, list[str]], required: bool = True
) -> set[str]:
    """The keys of one kind of item, each used once (cards' and opportunities' are optional)."""
    seen: set[str] = set()
    for i, item in enumerate(document[kind]):
        key = item.get("key")
        if key is None and not required:
            continue
        if key in seen:
            errors.setdefault(f"{kind}[{i}].key", []).append(f"Key {key!r} is used twice.")
        seen.add(key)
    return seen


def _must_name(
    document: dict[str, Any],
    kind: str,
    i: int,
    attrs: tuple[str, ...],
    known: dict[str, set[str]],
    errors: dict[str, list[str]],
) -> None:
    """Each of the item's references (``phase``, ``lane``, ``touchpoint``) names a key that
    exists."""
    for attr in attrs:
        value = document[kind][i].get(attr)
        if value is not None and value not in known[attr]:
            errors.setdefault(f"{kind}[{i}].{attr}", []).append(f"No {attr} has key {value!r}.")


def _one_emotion_per_phase_and_source(
    document: dict[str, Any], known: dict[str, set[str]], errors: dict[str, list[str]]
) -> None:
    seen: set[tuple[str, str]] = set()
    for i, emotion in enumerate(document["emotions"]):
        _must_name(document, "emotions", i, ("phase",), known, errors)
        slot = (emotion["phase"], emotion.get("source", Emotion.Source.TEAM))
        if slot in seen:
            errors.setdefault(f"emotions[{i}]", []).append(
                f"Phase {slot[0]!r} already has a {slot[1]} emotion."
            )
        seen.add(slot)


def _codes_unique(document: dict[str, Any], errors: dict[str, list[str]]) -> None:
    codes: set[str] = set()
    for i, tp in enumerate(document["touchpoints"]):
        if tp.get("code"):
            if tp["code"] in codes:
                errors.setdefault(f"touchpoints[{i}].code", []).append(
                    f"Code {tp['code']!r} is used twice."
                )
            codes.add(tp["code"])


def document_from_upload(
    *, data: bytes, filename: str = "", content_type: str = "", format: str | None = None
) -> tuple[dict[str, Any], str]:
    """A document from an uploaded file, and the format it was read as: JSON, or a CSV/XLSX
    grid (the format named, else told by the file's name, content type or first bytes)."""
    if len(data) > MAX_IMPORT_BYTES:
        raise MapImportRefused(
            f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB.", code="too_large"
        )
    kind = format or _detect(data, filename, content_type)
    if kind not in IMPORT_FORMATS:
        raise MapImportRefused(
            f"Cannot import {kind!r}; choose one of {', '.join(IMPORT_FORMATS)}.",
            code="unknown_format",
            formats=list(IMPORT_FORMATS),
        )
    title = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0].strip() or "Imported map"
    try:
        if kind == "json":
            return json.loads(data.decode("utf-8-sig")), kind
        if kind == "csv":
            # Excel's "Unicode text" is UTF-16: read it, rather than call its columns missing.
            text = data.decode(utf16_of(data) or "utf-8-sig")
            return document_from_csv(text, title=title), kind
        return document_from_xlsx(data, title=title), kind
    except MapImportRefused:
        raise
    # Not JSON, not a workbook, bad bytes, a CSV field beyond the csv module's limit.
    except (
        ValueError,
        KeyError,
        OSError,
        BadZipFile,
        InvalidFileException,
        csv.Error,
        RecursionError,
    ) as error:
        raise MapImportRefused(f"The file could not be read as {kind.upper()}: {error}") from None


def _detect(data: bytes, filename: str, content_type: str) -> str:
    name = filename.lower()
    for ext in IMPORT_FORMATS:
        if name.endswith(f".{ext}"):
            return ext
    if data.startswith(_XLSX_MAGIC) or "spreadsheetml" in content_type:
        return "xlsx"
    if "json" in content_type or data.lstrip()[:1] in (b"{", b"["):
        return "json"
    return "csv"


# --- Writing ----------------------------------------------------------------------------------


def _persona_for(actor, persona: dict | None, notes: list[str]) -> Persona | None:
    """Reuse a library persona of the same name; else create it (admins only) or go without."""
    if not persona:
        return None
    existing = Persona.objects.filter(name=persona["name"]).order_by("pk").first()
    if existing is not None:
        notes.append(f"Linked to the persona “{existing.name}” already in the library.")
        return existing
    if not is_admin(actor):
        notes.append(
            f"The persona “{persona['name']}” is not in the library and only admins add "
            "personas: the map was imported without one."
        )
        return None
    fields = {f: persona[f] for f in doc.PERSONA_FIELDS if f in persona}
    group = persona.get("group")
    if group:
        fields["group"], _ = PersonaGroup.objects.get_or_create(
            name=group, defaults={"created_by": actor, "updated_by": actor}
        )
    notes.append(f"Added the persona “{persona['name']}” to the library.")
    return Persona.objects.create(created_by=actor, updated_by=actor, **fields)


def _positions(items: list[dict], scope) -> list[int]:
    """Gapped positions in document order, counted per cell (or per phase)."""
    counters: dict[Any, int] = {}
    out = []
    for item in items:
        key = scope(item)
        counters[key] = counters.get(key, 0) + GAP
        out.append(counters[key])
    return out


def _codes(document: dict, phase_names: dict[str, str]) -> list[str]:
    """Touchpoint codes as exported; a missing one derived as the editor does (phase + name)."""
    taken = {tp["code"] for tp in document["touchpoints"] if tp.get("code")}
    codes = []
    for tp in document["touchpoints"]:
        if tp.get("code"):
            codes.append(tp["code"])
            continue
        wanted = slugify(f"{phase_names[tp['phase']]} {tp['name']}")[:70] or "tp"
        code, n = wanted, 2
        while code in taken:
            code, n = f"{wanted}-{n}", n + 1
        taken.add(code)
        codes.append(code)
    return codes


def journey_import(
    *, actor, document: Any, title: str | None = None, source_format: str = "json"
) -> ImportResult:
    """A new journey, owned by the importer, identical to the document's map."""
    if not has_role(actor, Role.EDITOR):
        raise AccessDenied("Importing maps needs the Editor role.")
    document_validate(document)
    notes: list[str] = []
    fields = dict(document["journey"])
    if title:
        fields["title"] = title[:200]
    with transaction.atomic():
        fields["title"] = _title_told_apart(actor, fields["title"], notes)
        persona = _persona_for(actor, document.get("persona"), notes)
        journey = Journey.objects.create(**fields, persona=persona, owner=actor)
        phase_id = _phases_create(journey, document["phases"])
        lane_id = _lanes_create(journey, document["lanes"])
        _cards_create(journey, actor, document["cards"], phase_id, lane_id)
        touchpoint_id = _touchpoints_create(journey, document, phase_id, lane_id)
        emotions = _team_emotions(document["emotions"], notes)
        _emotions_create(journey, emotions, phase_id)
        owners = _owners(document["opportunities"], notes)
        _opportunities_create(
            journey,
            document,
            phase_id,
            _opportunity_lanes(document, lane_id),
            touchpoint_id,
            owners,
        )
        counts = {
            kind: len(document[kind])
            for kind in ("phases", "lanes", "cards", "touchpoints", "opportunities")
        }
        counts["emotions"] = len(emotions)
        change_record(
            journey=journey,
            actor=actor,
            kind="journey_imported",
            payload={
                "journey": dict(JourneySerializer(journey).data),
                "format": source_format,
                "counts": counts,
            },
        )
    return ImportResult(journey=journey, notes=notes, counts=counts)


def _title_told_apart(actor, title: str, notes: list[str]) -> str:
    """The document's title, unless the importer sees a journey of that title already."""
    # Only among the maps the importer sees: a restricted title is not theirs to learn.
    if not visible_journeys(actor).filter(title=title).exists():
        return title
    # A copy beside its original must be told apart in the list.
    title = f"{title[:189]} (imported)"
    notes.append(f"A journey with that title exists: this one is “{title}”.")
    return title


def _phases_create(journey: Journey, phases: list[dict]) -> dict[str, int]:
    """The document's phases in its order; their ids by document key."""
    created = Phase.objects.bulk_create(
        Phase(journey=journey, position=pos, **{f: p.get(f, "") for f in doc.PHASE_FIELDS})
        for p, pos in zip(phases, renumbered(len(phases)), strict=True)
    )
    return {p["key"]: obj.pk for p, obj in zip(phases, created, strict=True)}


def _lanes_create(journey: Journey, lanes: list[dict]) -> dict[str, int]:
    """The document's lanes in its order; their ids by document key."""
    created = Lane.objects.bulk_create(
        Lane(journey=journey, position=pos, name=lane["name"], kind=lane["kind"])
        for lane, pos in zip(lanes, renumbered(len(lanes)), strict=True)
    )
    return {r["key"]: obj.pk for r, obj in zip(lanes, created, strict=True)}


def _cards_create(
    journey: Journey, actor, cards: list[dict], phase_id: dict[str, int], lane_id: dict[str, int]
) -> None:
    Card.objects.bulk_create(
        Card(
            journey=journey,
            phase_id=phase_id[c["phase"]],
            lane_id=lane_id[c["lane"]],
            position=pos,
            created_by=actor,
            **{f: c.get(f, "") for f in doc.CARD_FIELDS},
        )
        for c, pos in zip(cards, _positions(cards, lambda c: (c["phase"], c["lane"])), strict=True)
    )


def _touchpoints_create(
    journey: Journey, document: dict, phase_id: dict[str, int], lane_id: dict[str, int]
) -> dict[str, int]:
    """The touchpoints with their codes (derived where the document has none); their ids by
    document key."""
    tps = document["touchpoints"]
    phase_names = {p["key"]: p["name"] for p in document["phases"]}
    created = Touchpoint.objects.bulk_create(
        Touchpoint(
            journey=journey,
            phase_id=phase_id[t["phase"]],
            lane_id=lane_id[t["lane"]],
            position=pos,
            code=code,
            **{f: t[f] for f in doc.TOUCHPOINT_FIELDS if f in t and f != "code"},
        )
        for t, pos, code in zip(
            tps,
            _positions(tps, lambda t: (t["phase"], t["lane"])),
            _codes(document, phase_names),
            strict=True,
        )
    )
    return {t["key"]: obj.pk for t, obj in zip(tps, created, strict=True)}


def _team_emotions(emotions: list[dict], notes: list[str]) -> list[dict]:
    """The team's estimates only. A customer (VoC) emotion is measured from survey responses,
    which a map file does not carry: the imported map shows no customer curve until survey data
    is imported for it (then it is measured, not copied)."""
    team = [e for e in emotions if e.get("source", Emotion.Source.TEAM) != Emotion.Source.VOC]
    if left_out := len(emotions) - len(team):
        notes.append(
            f"{left_out} customer (VoC) emotion point(s) were left out: they are measured from "
            "survey responses, which the file does not carry. Import survey data for this map "
            "to see its customer curve."
        )
    return team


def _emotions_create(journey: Journey, emotions: list[dict], phase_id: dict[str, int]) -> None:
    Emotion.objects.bulk_create(
        Emotion(
            journey=journey,
            phase_id=phase_id[e["phase"]],
            **{f: e[f] for f in doc.EMOTION_FIELDS if f in e},
        )
        for e in emotions
    )


def _opportunity_lanes(document: dict[str, Any], lane_id: dict[str, int]) -> dict[str, int]:
    """The file's Opportunities lanes by key: an opportunity that names another kind of lane
    shows in the map's first Opportunities lane instead (it would show nowhere else)."""
    return {
        lane["key"]: lane_id[lane["key"]]
        for lane in document["lanes"]
        if lane.get("kind") == Lane.Kind.OPPORTUNITIES
    }


def _opportunities_create(
    journey: Journey,
    document: dict[str, Any],
    phase_id: dict[str, int],
    lane_id: dict[str, int],
    touchpoint_id: dict[str, int],
    owners: dict[str, int],
) -> None:
    opportunities = document["opportunities"]
    Opportunity.objects.bulk_create(
        Opportunity(
            journey=journey,
            phase_id=phase_id[o["phase"]],
            lane_id=lane_id.get(o.get("lane")),
            touchpoint_id=touchpoint_id.get(o.get("touchpoint")),
            position=pos,
            **{f: o[f] for f in doc.OPPORTUNITY_FIELDS if f in o},
            **_plan(o.get("action_plan") or {}, owners),
        )
        for o, pos in zip(
            opportunities, _positions(opportunities, lambda o: o["phase"]), strict=True
        )
    )


def _owners(opportunities: list[dict], notes: list[str]) -> dict[str, int]:
    """Action plan owners matched to active users by username (one query)."""
    wanted = {
        o["action_plan"]["owner"]["username"]
        for o in opportunities
        if (o.get("action_plan") or {}).get("owner")
    }
    if not wanted:
        return {}
    found = dict(
        get_user_model()
        .objects.filter(username__in=wanted, is_active=True)
        .values_list("username", "pk")
    )
    missing = sorted(wanted - set(found))
    if missing:
        notes.append(
            f"No user here is called {', '.join(missing)}: those action plans have no owner."
        )
    return found


def _plan(plan: dict, owners: dict[str, int]) -> dict[str, Any]:
    owner = plan.get("owner")
    return {
        "owner_id": owners.get(owner["username"]) if owner else None,
        "due_date": plan.get("due_date"),
        "kpi": plan.get("kpi") or "",
        "target": plan.get("target") or "",
    }
