"""Survey exports name touchpoints however their tools write them: codes in any case, names,
a hospital's own numbers, with non-breaking spaces and full-width letters. Each value matches the
same touchpoint on every import path, and the value table a person edits comes first."""

import importlib
from datetime import UTC, datetime

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from feedback import services
from feedback.matching import match_key
from feedback.models import SurveyResponse
from feedback.rows import row_clean
from feedback.writer import responses_write
from tests.factories import SurveySourceFactory
from touchpoints import services as touchpoint_services

pytestmark = pytest.mark.django_db

# (response id, touchpoint value, channel, phase) → the touchpoint code it must land on.
TRICKY = [
    ("v1", "111", "", "", "pts"),  # the trust's own number, in the value table
    ("v2", "PTS\u00a0- Patient Transport", "", "", "pts"),  # value table, NBSP
    ("v3", "pts - patient transport", "", "", "pts"),
    ("c1", "PTS", "", "", "pts"),  # the code, in any case and spacing
    ("c2", " pts ", "", "", "pts"),
    ("c3", "PTS\u00a0", "", "", "pts"),
    ("c4", "\uff30\uff34\uff33", "", "", "pts"),  # full-width ＰＴＳ
    ("n1", "Patient\tTransport", "", "", "pts"),  # the touchpoint's name
    ("n2", "patient\u2007transport", "", "", "pts"),  # figure space
    ("n3", "PATIENT\u202fTRANSPORT", "", "", "pts"),  # narrow no-break space
    ("n4", "A&E   department", "", "", "a-e"),
    ("n5", "ÉQUIPE D’ACCUEIL", "", "", "accueil"),  # accents, upper case
    ("n6", "", "A&E Department", "", "a-e"),  # no touchpoint value: the channel names it
    ("r1", "", "Phone", "", "phone-line"),  # nothing matches by name: the channel rule
    ("u1", "walk-in", "", "", None),
    ("u2", "Walk-In\u00a0", "", "", None),
    ("u3", "Ward\x1c7", "", "", None),  # an ASCII separator is whitespace to Python
    ("u4", "WARD\u20287", "", "", None),  # so is the line separator
    ("u5", "Patient Transport Two", "", "", None),  # a name no touchpoint has
    ("u6", "\u0130STANBUL Desk", "", "", None),  # Python's lower() makes two letters of İ
]
KEYS = {
    "u1": "walk-in",
    "u2": "walk-in",
    "u3": "ward 7",
    "u4": "ward 7",
    "u6": "i\u0307stanbul desk",
    "n6": "a&e department",
}


@pytest.fixture
def trust_map(five_phase_map, editor):
    journey, phases = five_phase_map.journey, five_phase_map.phases
    for code, name in [
        ("pts", "Patient Transport"),
        ("a-e", "A&E Department"),
        ("accueil", "Équipe d’accueil"),
        ("phone-line", "Phone line"),
        ("twin-1", "Twin desk"),  # two touchpoints named alike: the name matches neither
        ("twin-2", "Twin desk"),
    ]:
        touchpoint_services.touchpoint_create(
            actor=editor, journey_id=journey.pk, phase_id=phases[1].pk, name=name, code=code
        )
    return five_phase_map


def _source(trust_map):
    return SurveySourceFactory(
        journey=trust_map.journey,
        import_settings={"touchpoint_values": {"111": "pts", "pts - patient transport": "pts"}},
        matching_rules=[{"channel": "phone", "touchpoint": "phone-line"}],
    )


def _csv(rows) -> bytes:
    lines = ["response_id,submitted_at,nps,comment,channel,touchpoint,phase"]
    for rid, value, channel, phase, _ in rows:
        lines.append(f'{rid},2024-05-01,9,ok,"{channel}","{value}","{phase}"')
    return ("\n".join(lines) + "\n").encode()


def _matches(source) -> dict[str, tuple[str, str | None]]:
    return {
        r.external_id: (r.match_key, r.touchpoint.code if r.touchpoint else None)
        for r in SurveyResponse.objects.filter(source=source).select_related("touchpoint")
    }


def test_every_spelling_matches_the_same_touchpoint_on_both_import_paths(trust_map, editor, caplog):
    by_file, by_rows = _source(trust_map), _source(trust_map)
    upload = SimpleUploadedFile("trust.csv", _csv(TRICKY), content_type="text/csv")
    with caplog.at_level("INFO", logger="feedback.services"):
        run = services.import_file_start(actor=editor, source=by_file, upload=upload)
        run = services.import_run_execute(run.pk)
    if connection.vendor == "postgresql":
        assert "goes row by row" not in caplog.text  # the COPY path took the whole file
    # The row-by-row writer, as XLSX files, syncs and webhooks use it.
    clean = [
        row_clean(
            n,
            {
                "response_id": rid,
                "submitted_at": "2024-05-01",
                "nps": "9",
                "comment": "ok",
                "channel": channel,
                "touchpoint": value,
                "phase": phase,
            },
        )
        for n, (rid, value, channel, phase, _) in enumerate(TRICKY, start=1)
    ]
    with transaction.atomic():
        responses_write(by_rows, clean)

    expected = {rid: code for rid, _, _, _, code in TRICKY}
    fast, slow = _matches(by_file), _matches(by_rows)
    assert {rid: code for rid, (_, code) in fast.items()} == expected
    assert fast == slow  # the same keys and the same touchpoints, value by value
    assert {rid: fast[rid][0] for rid in KEYS} == KEYS
    assert fast["c4"][0] == "pts" and fast["n5"][0] == "équipe d’accueil"
    assert run.unmatched == 6


def test_a_value_table_entry_wins_over_a_code_and_a_name(trust_map, editor):
    source = SurveySourceFactory(
        journey=trust_map.journey, import_settings={"touchpoint_values": {"pts": "a-e"}}
    )
    upload = SimpleUploadedFile("t.csv", _csv([("x1", "PTS", "", "", None)]))
    services.import_run_execute(
        services.import_file_start(actor=editor, source=source, upload=upload).pk
    )
    assert _matches(source) == {"x1": ("pts", "a-e")}


def test_the_migration_fills_what_stored_responses_named(trust_map):
    source = _source(trust_map)
    at = datetime(2024, 5, 1, tzinfo=UTC)
    for n, (code, channel) in enumerate([("PTS\u00a0", "web"), ("", "Phone"), ("", "")]):
        SurveyResponse.objects.create(
            source=source,
            external_id=f"old{n}",
            submitted_at=at,
            content_hash="x",
            touchpoint_code=code,
            channel=channel,
        )
    migration = importlib.import_module("feedback.migrations.0009_response_match_key_filled")
    migration.BATCH = 2  # more than one batch

    class Editor:  # what RunPython hands over
        pass

    schema_editor = Editor()
    schema_editor.connection = connection
    migration.match_keys_fill(apps, schema_editor)
    keys = dict(
        SurveyResponse.objects.filter(source=source).values_list("external_id", "match_key")
    )
    assert keys == {"old0": "pts", "old1": "phone", "old2": ""}
    assert match_key("PTS\u00a0") == "pts"


def test_a_pushed_response_keeps_and_matches_what_it_named(trust_map):
    source = _source(trust_map)
    records = [
        {
            "response_id": "w1",
            "submitted_at": "2024-05-01T10:00:00Z",
            "nps": 9,
            "touchpoint": "111",
        },
        {"response_id": "w2", "submitted_at": "2024-05-01T10:00:00Z", "nps": 9, "channel": "PHONE"},
    ]
    services.webhook_records_import(source=source, records=records)
    assert _matches(source) == {"w1": ("111", "pts"), "w2": ("phone", "phone-line")}
