"""Importing a map: a ``journeyboard.map`` document (or a CSV/XLSX grid) becomes a NEW journey.

Everything is checked before anything is written — the JSON Schema, then what a schema cannot
say (keys unique, references that exist, one emotion per phase and source, unique touchpoint
codes) — and the journey is written in one transaction, as one ``journey_imported`` change.
VoC rollups in the document are read-only and never imported.
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

from journeys.changes import change_record
from journeys.exceptions import AccessDenied, ImportRefused
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
        raise ImportRefused(
            f"The map file has {count} problem{'s' if count != 1 else ''}; nothing was imported.",
            errors=errors,
        )


def document_validate(document: Any) -> None:
    """Refuse a document that is not a valid ``journeyboard.map`` v1, naming each bad path."""
    if not isinstance(document, dict) or document.get("format") != doc.FORMAT:
        raise ImportRefused(
            f'This is not a Journeyboard map (expected "format": "{doc.FORMAT}").',
            code="not_a_map",
        )
    if document.get("schema_version") != doc.SCHEMA_VERSION:
        raise ImportRefused(
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
    errors: dict[str, list[str]] = {}

    def keys_of(kind: str, required: bool = True) -> set[str]:
        seen: set[str] = set()
        for i, item in enumerate(document[kind]):
            key = item.get("key")
            if key is None and not required:
                continue
            if key in seen:
                errors.setdefault(f"{kind}[{i}].key", []).append(f"Key {key!r} is used twice.")
            seen.add(key)
        return seen

    phases, lanes = keys_of("phases"), keys_of("lanes")
    touchpoints = keys_of("touchpoints")
    keys_of("cards", required=False)
    keys_of("opportunities", required=False)

    def must_name(kind: str, i: int, attr: str, keys: set[str], word: str) -> None:
        value = document[kind][i].get(attr)
        if value is not None and value not in keys:
            errors.setdefault(f"{kind}[{i}].{attr}", []).append(f"No {word} has key {value!r}.")

    for kind in ("cards", "touchpoints"):
        for i in range(len(document[kind])):
            must_name(kind, i, "phase", phases, "phase")
            must_name(kind, i, "lane", lanes, "lane")
    seen_emotions: set[tuple[str, str]] = set()
    for i, emotion in enumerate(document["emotions"]):
        must_name("emotions", i, "phase", phases, "phase")
        slot = (emotion["phase"], emotion.get("source", Emotion.Source.TEAM))
        if slot in seen_emotions:
            errors.setdefault(f"emotions[{i}]", []).append(
                f"Phase {slot[0]!r} already has a {slot[1]} emotion."
            )
        seen_emotions.add(slot)
    for i in range(len(document["opportunities"])):
        must_name("opportunities", i, "phase", phases, "phase")
        must_name("opportunities", i, "touchpoint", touchpoints, "touchpoint")
    codes: set[str] = set()
    for i, tp in enumerate(document["touchpoints"]):
        if tp.get("code"):
            if tp["code"] in codes:
                errors.setdefault(f"touchpoints[{i}].code", []).append(
                    f"Code {tp['code']!r} is used twice."
                )
            codes.add(tp["code"])
    _refuse(errors)


def document_from_upload(
    *, data: bytes, filename: str = "", content_type: str = "", format: str | None = None
) -> tuple[dict[str, Any], str]:
    """A document from an uploaded file, and the format it was read as: JSON, or a CSV/XLSX
    grid (the format named, else told by the file's name, content type or first bytes)."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRefused(
            f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB.", code="too_large"
        )
    kind = format or _detect(data, filename, content_type)
    if kind not in IMPORT_FORMATS:
        raise ImportRefused(
            f"Cannot import {kind!r}; choose one of {', '.join(IMPORT_FORMATS)}.",
            code="unknown_format",
            formats=list(IMPORT_FORMATS),
        )
    title = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0].strip() or "Imported map"
    try:
        if kind == "json":
            return json.loads(data.decode("utf-8-sig")), kind
        if kind == "csv":
            return document_from_csv(data.decode("utf-8-sig"), title=title), kind
        return document_from_xlsx(data, title=title), kind
    except ImportRefused:
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
        raise ImportRefused(f"The file could not be read as {kind.upper()}: {error}") from None


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
        # Only among the maps the importer sees: a restricted title is not theirs to learn.
        if visible_journeys(actor).filter(title=fields["title"]).exists():
            # A copy beside its original must be told apart in the list.
            fields["title"] = f"{fields['title'][:189]} (imported)"
            notes.append(f"A journey with that title exists: this one is “{fields['title']}”.")
        persona = _persona_for(actor, document.get("persona"), notes)
        journey = Journey.objects.create(**fields, persona=persona, owner=actor)
        phases = Phase.objects.bulk_create(
            Phase(journey=journey, position=pos, **{f: p.get(f, "") for f in doc.PHASE_FIELDS})
            for p, pos in zip(document["phases"], renumbered(len(document["phases"])), strict=True)
        )
        lanes = Lane.objects.bulk_create(
            Lane(journey=journey, position=pos, name=lane["name"], kind=lane["kind"])
            for lane, pos in zip(document["lanes"], renumbered(len(document["lanes"])), strict=True)
        )
        phase_id = {p["key"]: obj.pk for p, obj in zip(document["phases"], phases, strict=True)}
        lane_id = {r["key"]: obj.pk for r, obj in zip(document["lanes"], lanes, strict=True)}
        cards = document["cards"]
        Card.objects.bulk_create(
            Card(
                journey=journey,
                phase_id=phase_id[c["phase"]],
                lane_id=lane_id[c["lane"]],
                position=pos,
                created_by=actor,
                **{f: c.get(f, "") for f in doc.CARD_FIELDS},
            )
            for c, pos in zip(
                cards, _positions(cards, lambda c: (c["phase"], c["lane"])), strict=True
            )
        )
        tps = document["touchpoints"]
        phase_names = {p["key"]: p["name"] for p in document["phases"]}
        touchpoints = Touchpoint.objects.bulk_create(
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
        touchpoint_id = {t["key"]: obj.pk for t, obj in zip(tps, touchpoints, strict=True)}
        Emotion.objects.bulk_create(
            Emotion(
                journey=journey,
                phase_id=phase_id[e["phase"]],
                **{f: e[f] for f in doc.EMOTION_FIELDS if f in e},
            )
            for e in document["emotions"]
        )
        ops = document["opportunities"]
        owners = _owners(ops, notes)
        Opportunity.objects.bulk_create(
            Opportunity(
                journey=journey,
                phase_id=phase_id[o["phase"]],
                touchpoint_id=touchpoint_id.get(o.get("touchpoint")),
                position=pos,
                **{f: o[f] for f in doc.OPPORTUNITY_FIELDS if f in o},
                **_plan(o.get("action_plan") or {}, owners),
            )
            for o, pos in zip(ops, _positions(ops, lambda o: o["phase"]), strict=True)
        )
        counts = {
            "phases": len(phases),
            "lanes": len(lanes),
            "cards": len(cards),
            "touchpoints": len(tps),
            "emotions": len(document["emotions"]),
            "opportunities": len(ops),
        }
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
