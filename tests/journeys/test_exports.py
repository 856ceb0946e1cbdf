"""A map leaves the tool in every format people use, for anyone who may read it."""

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from jsonschema import Draft202012Validator
from openpyxl import load_workbook
from pptx import Presentation
from pypdf import PdfReader

from journeys.mapfile.document import schema
from journeys.mapfile.exports import FORMATS
from journeys.mapfile.mermaid import map_mermaid
from journeys.mapfile.pdf import page_count
from journeys.models import Card, Emotion, Journey, Lane, Opportunity
from personas.models import Channel
from tests.factories import (
    CardFactory,
    EmotionFactory,
    JourneyFactory,
    LaneFactory,
    OpportunityFactory,
    PersonaFactory,
    PhaseFactory,
    TouchpointFactory,
    UserFactory,
)
from touchpoints.models import Department

pytestmark = pytest.mark.django_db


def export(client, journey, fmt: str):
    return client.get(f"/api/journeys/{journey.pk}/export/", {"format": fmt})


def test_the_json_export_is_the_whole_map_and_valid_against_the_published_schema(
    client_for, rich_map, viewer
):
    response = export(client_for(viewer), rich_map.journey, "json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="buying-a-bike-online.json"'
    document = json.loads(response.content)
    Draft202012Validator.check_schema(schema())
    assert list(Draft202012Validator(schema()).iter_errors(document)) == []

    assert document["format"] == "journeyboard.map" and document["schema_version"] == 1
    assert document["persona"]["name"] == "Sam the commuter"
    assert document["persona"]["group"] == "Commuters"
    assert [p["name"] for p in document["phases"]][:2] == ["Awareness", "Consideration"]
    lanes = {lane["key"]: lane for lane in document["lanes"]}
    phases = {p["key"]: p["name"] for p in document["phases"]}
    card = next(c for c in document["cards"] if c["text"] == "Is it worth it?\nMaybe later")
    # Cross-referenced by export-local keys, never database ids.
    assert (phases[card["phase"]], lanes[card["lane"]]["kind"]) == ("Awareness", "thoughts")
    assert (card["color"], card["tag"]) == ("pink", "doubt")
    assert {(t["name"], t["code"]) for t in document["touchpoints"]} == {
        ("Instagram ad", "awareness-instagram-ad"),
        ("Web shop checkout", "checkout"),
    }
    assert {(phases[e["phase"]], e["source"], e["score"]) for e in document["emotions"]} == {
        ("Awareness", "team", 1),
        ("Consideration", "team", -2),
        ("Consideration", "voc", -3),
        ("Conversion", "team", 3),
    }
    plan_op = next(o for o in document["opportunities"] if o["title"].startswith("Size"))
    ad = next(t for t in document["touchpoints"] if t["name"] == "Instagram ad")
    assert plan_op["touchpoint"] == ad["key"]
    assert plan_op["priority"] == 20 and plan_op["status"] == "planned"
    assert plan_op["action_plan"] == {
        "owner": {"username": "olivia-owner", "name": "Olivia Owner"},
        "due_date": "2027-03-31",
        "kpi": "Returns for wrong size",
        "target": "-20%",
    }
    # VoC rollups ride along, read-only, keyed like the rest.
    assert document["voc"]["read_only"] is True
    assert document["voc"]["touchpoints"][ad["key"]]["nps"] == 40.0
    assert document["voc"]["phases"][ad["phase"]]["responses"] == 10


def test_the_schema_lists_exactly_the_choices_the_models_accept():
    props = schema()["properties"]
    enum = lambda item, field: props[item]["items"]["properties"][field]["enum"]  # noqa: E731
    assert enum("lanes", "kind") == Lane.Kind.values
    assert enum("cards", "color") == ["", *Card.Color.values]
    assert enum("emotions", "source") == Emotion.Source.values
    assert enum("opportunities", "status") == Opportunity.Status.values
    assert enum("touchpoints", "channel") == Channel.values
    assert enum("touchpoints", "department") == Department.values
    assert props["journey"]["properties"]["status"]["enum"] == Journey.Status.values


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_viewer_downloads_every_format_as_an_attachment(client_for, rich_map, viewer, fmt):
    response = export(client_for(viewer), rich_map.journey, fmt)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == FORMATS[fmt].content_type
    extension = FORMATS[fmt].extension
    assert response["Content-Disposition"] == (
        f'attachment; filename="buying-a-bike-online.{extension}"'
    )
    assert len(response.content) > 100


def test_an_unknown_format_is_a_400_that_lists_the_formats(client_for, rich_map, viewer):
    response = export(client_for(viewer), rich_map.journey, "docx")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_format"
    assert response.json()["formats"] == list(FORMATS)


def test_an_outsider_cannot_export_a_restricted_map(client_for, rich_map, other_editor):
    Journey.objects.filter(pk=rich_map.journey.pk).update(is_restricted=True)
    assert export(client_for(other_editor), rich_map.journey, "pdf").status_code == 404


def test_an_unsafe_title_makes_a_safe_file_name(client_for, viewer):
    journey = JourneyFactory(title='../../etc/"passwd"\r\nX: y')
    response = export(client_for(viewer), journey, "mermaid")
    assert response["Content-Disposition"] == 'attachment; filename="etcpasswd-x-y.mmd"'


def _map(cards: int, touchpoints: int, phases: int = 12, lanes: int = 8) -> Journey:
    journey = JourneyFactory(persona=PersonaFactory())
    phase_objs = PhaseFactory.create_batch(phases, journey=journey)
    lane_objs = LaneFactory.create_batch(lanes, journey=journey)
    for i in range(cards):
        CardFactory(journey=journey, phase=phase_objs[i % phases], lane=lane_objs[i % lanes])
    tp_lane = LaneFactory(journey=journey, kind=Lane.Kind.TOUCHPOINTS)
    LaneFactory(journey=journey, kind=Lane.Kind.EMOTIONS)
    LaneFactory(journey=journey, kind=Lane.Kind.OPPORTUNITIES)
    tps = [
        TouchpointFactory(journey=journey, phase=phase_objs[i % phases], lane=tp_lane)
        for i in range(touchpoints)
    ]
    owner = UserFactory()
    for i, phase in enumerate(phase_objs[: max(1, touchpoints // 10)]):
        EmotionFactory(journey=journey, phase=phase, score=i % 3)
        OpportunityFactory(journey=journey, phase=phase, touchpoint=tps[i], owner=owner)
    return journey


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_costs_the_same_queries_for_1_card_and_1000_cards(
    viewer, client_for, django_assert_num_queries, fmt
):
    small, large = _map(cards=1, touchpoints=1), _map(cards=1000, touchpoints=100)
    client = client_for(viewer)
    for journey in (small, large):
        viewer.__dict__.pop("_journeyboard_role", None)
        # Role; the journey and its collaborators; six kinds of item; two VoC rollup reads.
        with django_assert_num_queries(11):
            assert export(client, journey, fmt).status_code == 200


# --- Spreadsheets -------------------------------------------------------------------------------


def test_the_csv_is_the_grid_with_formulas_neutralised(client_for, rich_map, viewer):
    response = export(client_for(viewer), rich_map.journey, "csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == [
        "Lane \\ Phase",
        "Awareness",
        "Consideration",
        "Conversion",
        "Post-Purchase",
        "Services",
        "Lane kind",
    ]
    by_lane = {row[0]: row[1:] for row in rows[1:]}
    assert by_lane["Actions"][0] == "Sees an advert on Instagram\nAsks a friend: which bike?"
    assert by_lane["Actions"][1].startswith('\'=HYPERLINK("http://x")\n')
    assert by_lane["Touchpoints"][:3] == ["Instagram ad", "", "Web shop checkout"]
    assert by_lane["Feelings"][:3] == ["Curious (+1)", "Confused (-2)", "(+3)"]
    assert by_lane["Opportunities"][1:3] == ["Size guide on every page", "Pay later"]
    assert by_lane["Thoughts"][0] == "Is it worth it?\u2028Maybe later"
    assert by_lane["Feelings"][-1] == "emotions"


def test_the_xlsx_opens_with_the_grid_styled_and_the_details_on_their_own_sheets(
    client_for, rich_map, viewer
):
    response = export(client_for(viewer), rich_map.journey, "xlsx")
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Map", "Touchpoints", "Opportunities", "About"]
    about = list(workbook["About"].iter_rows(values_only=True))
    assert about[:4] == [
        ("Title", "Buying a bike: online"),
        ("Description", None),  # nothing written yet: an empty cell
        ("Scenario", "Sam wants a bike for the daily commute."),
        ("Persona", "Sam the commuter"),
    ]
    assert workbook["About"]["A1"].font.bold and workbook["About"]["B3"].alignment.wrap_text
    assert workbook.properties.title == "Buying a bike: online"
    sheet = workbook["Map"]
    assert sheet["B1"].value == "Awareness" and sheet["A2"].value == "Actions"
    assert sheet["B2"].value == "Sees an advert on Instagram\nAsks a friend: which bike?"
    assert sheet["C2"].value.startswith("'=HYPERLINK(")
    assert sheet["C2"].data_type == "s"  # text, never a formula
    assert sheet["B1"].font.bold and sheet["B2"].alignment.wrap_text
    assert sheet.freeze_panes == "B2"
    assert sheet["G1"].value == "Lane kind" and sheet.column_dimensions["G"].hidden
    touchpoints = list(workbook["Touchpoints"].iter_rows(values_only=True))
    assert touchpoints[1][2:8] == (
        "Instagram ad",
        "awareness-instagram-ad",
        "social",
        "marketing",
        "yes",
        10,
    )
    assert touchpoints[1][8] == 40.0
    opportunities = list(workbook["Opportunities"].iter_rows(values_only=True))
    assert opportunities[0][:3] == ("Phase", "Opportunity", "Touchpoint")
    assert opportunities[1][:8] == (
        "Consideration",
        "Size guide on every page",
        "Instagram ad",
        5,
        2,
        20,
        "planned",
        "Olivia Owner",
    )
    assert opportunities[1][10] == "'-20%"  # a target that starts like a formula


# --- Images, documents, slides, diagrams ---------------------------------------------------------


def test_the_svg_draws_the_map_with_every_text_escaped(client_for, rich_map, viewer):
    body = export(client_for(viewer), rich_map.journey, "svg").content.decode()
    root = ET.fromstring(body)  # well-formed, whatever the cards say
    ns = {"s": "http://www.w3.org/2000/svg"}
    texts = [t.text for t in root.iterfind(".//s:text", ns)]
    assert "Awareness" in texts and "Feelings" in texts
    assert "Persona: Sam the commuter" in texts
    assert any("<script>alert('x')</script> & co" in (t or "") for t in texts)
    assert "<script>" not in body and "&lt;script&gt;" in body
    team = root.find(".//s:polyline[@class='emotion-team']", ns)
    voc = root.find(".//s:polyline[@class='emotion-voc']", ns)
    assert len(team.get("points").split()) == 3
    assert voc.get("stroke-dasharray") and len(voc.get("points").split()) == 1


@pytest.mark.parametrize(
    ("phases", "lanes", "pages", "first_page_phases"),
    [(5, 6, 1, 5), (6, 8, 1, 6), (4, 8, 1, 4), (9, 8, 2, 5), (9, 10, 4, 5), (13, 3, 3, 5)],
)
def test_the_pdf_page_count_follows_the_map_shape(
    client_for, viewer, phases, lanes, pages, first_page_phases
):
    """Up to six phases fit one landscape page; a wider map splits evenly (9 → 5 + 4), so no
    page carries a lone phase."""
    journey = JourneyFactory(title="Wide map")
    phase_objs = PhaseFactory.create_batch(phases, journey=journey)
    lane_objs = LaneFactory.create_batch(lanes, journey=journey)
    CardFactory.create_batch(60, journey=journey, phase=phase_objs[0], lane=lane_objs[0])
    response = export(client_for(viewer), journey, "pdf")
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == pages == page_count(phases, lanes)
    for page in reader.pages:
        width, height = page.mediabox.width, page.mediabox.height
        assert width > height  # landscape
    first = reader.pages[0].extract_text()
    assert f"page {pages} of {pages}" in reader.pages[-1].extract_text()
    assert f"Phases: {phase_objs[0].name} – {phase_objs[first_page_phases - 1].name}" in first
    assert phase_objs[first_page_phases - 1].name in first
    if first_page_phases < phases:
        assert phase_objs[first_page_phases].name not in first
    assert "more lines" in first  # 60 cards do not fit one cell
    assert "Customers' (VoC, from survey data)" in first  # the legend, on every page


def test_the_pdf_shows_the_title_persona_and_cells(client_for, rich_map, viewer):
    reader = PdfReader(io.BytesIO(export(client_for(viewer), rich_map.journey, "pdf").content))
    first = reader.pages[0].extract_text()
    assert "Buying a bike: online" in first and "Persona: Sam the commuter" in first
    assert "• Sees an advert on Instagram" in first and "Confused (-2)" in first
    # Five phases on one page, with the legend and the survey numbers the map shows.
    assert len(reader.pages) == 1 and "page 1 of 1" in first and "Services" in first
    assert "Team's view of the emotion" in first
    assert "★ Instagram ad" in first and "NPS 40 · CSAT" in first and "n=10" in first
    assert "VoC: (-3)" in first


def test_the_slides_are_an_overview_then_one_per_phase(client_for, rich_map, viewer):
    response = export(client_for(viewer), rich_map.journey, "pptx")
    deck = Presentation(io.BytesIO(response.content))
    slides = list(deck.slides)
    assert len(slides) == 1 + 5

    def text(slide) -> str:
        parts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts += [cell.text for row in shape.table.rows for cell in row.cells]
        return "\n".join(parts)

    overview = text(slides[0])
    assert "Buying a bike: online" in overview and "Persona: Sam the commuter" in overview
    assert "Confused (-2)" in overview
    consideration = text(slides[2])
    assert consideration.startswith("Consideration")
    assert "customers (VoC): (-3)" in consideration
    assert "Size guide on every page (impact 5, effort 2, planned, owner Olivia Owner" in (
        consideration
    )
    assert "Instagram ad — NPS 40 (n=10)" in text(slides[1])


def test_the_mermaid_journey_for_a_small_map(db):
    document = {
        "journey": {"title": "Call: support; #1"},
        "persona": {"name": "Pat: caller, 40"},
        "phases": [{"key": "P1", "name": "Ask"}, {"key": "P2", "name": "Wait: forever"}],
        "lanes": [
            {"key": "L1", "name": "Actions", "kind": "actions"},
            {"key": "L2", "name": "Touchpoints", "kind": "touchpoints"},
            {"key": "L3", "name": "Thoughts", "kind": "thoughts"},
        ],
        "cards": [
            {"phase": "P1", "lane": "L1", "text": "Calls at 9:00\nand waits"},
            {"phase": "P1", "lane": "L3", "text": "Not a task"},
            {"phase": "P2", "lane": "L1", "text": "Hangs up %% angry, 100% sure"},
            {"phase": "P2", "lane": "L1", "text": "Section 2 of the form"},
        ],
        "touchpoints": [{"key": "T1", "phase": "P1", "lane": "L2", "name": "Hotline"}],
        "emotions": [
            {"phase": "P1", "source": "team", "score": -3},
            {"phase": "P2", "source": "voc", "score": 3},
        ],
        "opportunities": [],
    }
    # The title keeps its colon as written (Mermaid's title runs to the end of the line, but
    # for "#" and ";"); where ":" separates a task from its score, it is the entity #58;.
    assert map_mermaid(document).decode() == (
        "journey\n"
        "  title Call: support#59; #35;1\n"
        "  section Ask\n"
        "    Calls at 9#58;00 and waits: 1: Pat#58; caller#44; 40\n"
        "    Hotline: 1: Pat#58; caller#44; 40\n"
        "  section Wait#58; forever\n"
        "    Hangs up #37;#37; angry, 100% sure: 3: Pat#58; caller#44; 40\n"
        "    #83;ection 2 of the form: 3: Pat#58; caller#44; 40\n"
    )


def _mermaid_journey_read(text: str) -> dict:
    """The diagram as Mermaid reads it: its journey lexer's rules (title to the end of the line
    but for "#" and ";"; names up to ":", "#" or ";"; comments from "#" or "%%"), then its
    entity codes drawn as the characters they stand for."""
    decoded = re.compile(r"#(\d+);")

    def shown(value: str) -> str:
        return decoded.sub(lambda m: chr(int(m[1])), value).strip()

    read: dict = {"title": None, "sections": []}
    lines = text.splitlines()
    assert lines[0] == "journey"
    for line in lines[1:]:
        line = line.strip()
        if re.match(r"(?i)title\s", line):
            assert re.fullmatch(r"(?i)title\s[^#\n;]+", line), line
            read["title"] = shown(line[6:])
        elif re.match(r"(?i)section\s", line):
            assert re.fullmatch(r"(?i)section\s[^#:\n;]+", line), line
            read["sections"].append((shown(line[8:]), []))
        else:
            assert not re.match(r"(?i)journey|%%|#(?!\d+;)", line), line
            task = re.fullmatch(r"([^#:\n;]+)(:[^#\n;]+)", decoded.sub("_", line))
            assert task, line
            name, score, actors = line.split(": ")
            read["sections"][-1][1].append((shown(name), int(score), shown(actors)))
    return read


def test_a_mermaid_export_reads_back_as_what_people_wrote(client_for, rich_map, editor, viewer):
    rich_map.add_card(editor, "Checks: price; #1 brand, 50%% off", phase=rich_map.phases[1])
    text = export(client_for(viewer), rich_map.journey, "mermaid").content.decode()
    read = _mermaid_journey_read(text)
    assert read["title"] == "Buying a bike: online"
    sections = dict(read["sections"])
    assert list(sections) == [p.name for p in rich_map.phases]
    assert ("Asks a friend: which bike?", 4, "Sam the commuter") in sections["Awareness"]
    assert ("Checks: price; #1 brand, 50%% off", 2, "Sam the commuter") in sections["Consideration"]


@pytest.mark.parametrize("fmt", ["svg", "pptx", "xlsx", "pdf"])
def test_control_characters_in_a_card_do_not_break_the_xml_formats(
    client_for, five_phase_map, editor, viewer, fmt
):
    five_phase_map.add_card(editor, "Rings the \x07bell\x1b[0m")
    response = export(client_for(viewer), five_phase_map.journey, fmt)
    assert response.status_code == 200
    if fmt == "svg":
        assert "Rings the bell[0m" in ET.fromstring(response.content).itertext()


def test_a_map_cell_starting_with_a_pipe_is_neutralised(client_for, five_phase_map, editor):
    five_phase_map.add_card(editor, "|calc", phase=five_phase_map.phases[0])
    text = export(client_for(editor), five_phase_map.journey, "csv").content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    assert "'|calc" in cells and "|calc" not in cells
