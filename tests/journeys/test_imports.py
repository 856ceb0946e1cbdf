"""A map file comes back in as a new journey, identical to the one exported — or is refused
with every problem named, and nothing written."""

import copy
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook, load_workbook

from journeys.models import Card, Emotion, Journey, JourneyEvent, Lane, Opportunity, Phase
from journeys.services import journey_update, opportunity_update
from personas.models import Persona
from personas.services import persona_update
from tests.factories import PersonaFactory, UserFactory
from touchpoints.models import Touchpoint
from touchpoints.services import touchpoint_update

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    """A browser's session (the editor page is for people signed in, not API tokens)."""
    client = Client()
    client.force_login(user)
    return client


# What differs between a map and its imported copy: when and where it was exported, and the
# survey data (rollups belong to the original's touchpoints and are never imported).
VOLATILE = ("exported_at", "source", "voc")


def export(client, journey_id: int, fmt: str = "json") -> bytes:
    response = client.get(f"/api/journeys/{journey_id}/export/", {"format": fmt})
    assert response.status_code == 200, response.content[:300]
    return response.content


def comparable(content: bytes) -> dict:
    document = json.loads(content)
    for key in VOLATILE:
        document.pop(key)
    return document


def import_file(client, name: str, content: bytes, **extra):
    upload = SimpleUploadedFile(name, content)
    return client.post("/api/journeys/import/", {"file": upload, **extra}, format="multipart")


def test_an_exported_map_imports_as_an_identical_new_journey(client_for, rich_map, editor):
    client = client_for(editor)
    first = export(client, rich_map.journey.pk)
    response = client.post(
        "/api/journeys/import/?title=Buying a bike (copy)", json.loads(first), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    copy_id = body["journey"]["id"]
    assert copy_id != rich_map.journey.pk and body["url"] == f"/journeys/{copy_id}/"
    assert body["counts"] == {
        "phases": 5,
        "lanes": 7,
        "cards": 6,
        "touchpoints": 2,
        "emotions": 3,  # the team's; the customers' is measured, not imported
        "opportunities": 2,
    }
    second = comparable(export(client, copy_id))
    expected = comparable(first)
    expected["journey"]["title"] = "Buying a bike (copy)"
    expected["emotions"] = [e for e in expected["emotions"] if e["source"] != "voc"]
    assert second == expected

    imported = Journey.objects.get(pk=copy_id)
    assert imported.owner == editor and imported.persona == rich_map.journey.persona
    assert "Linked to the persona “Sam the commuter” already in the library." in body["notes"]
    opportunity = Opportunity.objects.get(journey=imported, title="Size guide on every page")
    assert opportunity.owner.username == "olivia-owner"
    assert opportunity.touchpoint.code == "awareness-instagram-ad"


def test_an_import_is_one_logged_change_broadcast_after_commit(
    client_for, rich_map, editor, django_capture_on_commit_callbacks
):
    document = json.loads(export(client_for(editor), rich_map.journey.pk))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(editor).post("/api/journeys/import/", document, format="json")
    journey_id = response.json()["journey"]["id"]
    events = list(JourneyEvent.objects.filter(journey_id=journey_id))
    assert [(e.revision, e.kind) for e in events] == [(1, "journey_imported")]
    assert events[0].payload["counts"]["cards"] == 6
    assert len(callbacks) == 1


def test_a_copy_beside_its_original_gets_a_title_it_can_be_told_apart_by(
    client_for, rich_map, editor
):
    client = client_for(editor)
    document = json.loads(export(client, rich_map.journey.pk))
    body = client.post("/api/journeys/import/", document, format="json").json()
    assert body["journey"]["title"] == "Buying a bike: online (imported)"
    assert any("(imported)" in note for note in body["notes"])


def test_an_editor_imports_without_a_persona_the_library_lacks(client_for, rich_map, editor):
    document = json.loads(export(client_for(editor), rich_map.journey.pk))
    document["persona"]["name"] = "Nobody we know"
    response = client_for(editor).post("/api/journeys/import/", document, format="json")
    assert response.status_code == 201
    assert Journey.objects.get(pk=response.json()["journey"]["id"]).persona is None
    assert not Persona.objects.filter(name="Nobody we know").exists()
    assert any("only admins add personas" in note for note in response.json()["notes"])


def test_an_admin_import_adds_the_missing_persona_to_the_library(
    client_for, rich_map, editor, admin_user
):
    document = json.loads(export(client_for(editor), rich_map.journey.pk))
    document["persona"].update(name="Nadia the newcomer", group="Newcomers")
    response = client_for(admin_user).post("/api/journeys/import/", document, format="json")
    persona = Journey.objects.get(pk=response.json()["journey"]["id"]).persona
    assert persona.name == "Nadia the newcomer" and persona.group.name == "Newcomers"
    assert persona.goals == ["Save time"] and persona.created_by == admin_user


def test_an_action_plan_owner_who_is_not_here_is_left_out_and_said_so(client_for, rich_map, editor):
    document = json.loads(export(client_for(editor), rich_map.journey.pk))
    document["opportunities"][0]["action_plan"]["owner"] = {"username": "ghost", "name": "G"}
    response = client_for(editor).post("/api/journeys/import/", document, format="json")
    journey_id = response.json()["journey"]["id"]
    op = Opportunity.objects.get(journey_id=journey_id, title="Size guide on every page")
    assert op.owner is None and op.kpi == "Returns for wrong size"
    assert any("ghost" in note for note in response.json()["notes"])


def _bad(document: dict) -> dict:
    bad = copy.deepcopy(document)
    bad["cards"][0]["phase"] = "P99"
    bad["cards"][1]["text"] = ""
    bad["lanes"][0]["kind"] = "swimlane"
    bad["emotions"].append(dict(bad["emotions"][0]))
    bad["opportunities"][0]["impact"] = 9
    return bad


def test_a_bad_document_is_refused_naming_every_bad_path_and_nothing_is_written(
    client_for, rich_map, editor
):
    document = json.loads(export(client_for(editor), rich_map.journey.pk))
    before = (Journey.objects.count(), Card.objects.count(), Phase.objects.count())
    response = client_for(editor).post("/api/journeys/import/", _bad(document), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "import_invalid"
    # The schema's findings come first; references are checked once the shapes are right.
    assert set(body["errors"]) == {"cards[1].text", "lanes[0].kind", "opportunities[0].impact"}
    assert "'swimlane' is not one of" in body["errors"]["lanes[0].kind"][0]
    assert (Journey.objects.count(), Card.objects.count(), Phase.objects.count()) == before


def test_references_to_missing_keys_and_duplicates_are_named(client_for, rich_map, editor):
    document = json.loads(export(client_for(editor), rich_map.journey.pk))
    document["cards"][0]["phase"] = "P99"
    document["emotions"].append(dict(document["emotions"][0]))
    document["touchpoints"][1]["code"] = document["touchpoints"][0]["code"]
    document["opportunities"][0]["touchpoint"] = "T9"
    errors = client_for(editor).post("/api/journeys/import/", document, format="json").json()
    assert errors["errors"] == {
        "cards[0].phase": ["No phase has key 'P99'."],
        "emotions[4]": ["Phase 'P1' already has a team emotion."],
        "opportunities[0].touchpoint": ["No touchpoint has key 'T9'."],
        "touchpoints[1].code": ["Code 'awareness-instagram-ad' is used twice."],
    }


def test_an_unknown_schema_version_is_refused(client_for, editor):
    document = {"format": "journeyboard.map", "schema_version": 2, "journey": {"title": "x"}}
    response = client_for(editor).post("/api/journeys/import/", document, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "unsupported_schema_version"
    assert response.json()["supported"] == [1]
    other = client_for(editor).post("/api/journeys/import/", {"hello": 1}, format="json")
    assert other.json()["code"] == "not_a_map"


def test_a_viewer_may_not_import(client_for, rich_map, viewer):
    document = json.loads(export(client_for(viewer), rich_map.journey.pk))
    assert client_for(viewer).post("/api/journeys/import/", document).status_code == 403


def test_a_json_file_upload_imports_too(client_for, rich_map, editor):
    content = export(client_for(editor), rich_map.journey.pk)
    response = import_file(client_for(editor), "bike.json", content, title="From a file")
    assert response.status_code == 201, response.content
    assert response.json()["journey"]["title"] == "From a file"


def test_a_file_that_is_not_json_says_so(client_for, editor):
    response = import_file(client_for(editor), "map.json", b"{not json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The file could not be read as JSON")


# --- Grids --------------------------------------------------------------------------------------


def test_the_csv_round_trip_is_equal(client_for, rich_map, editor):
    client = client_for(editor)
    first = export(client, rich_map.journey.pk, "csv")
    response = import_file(client, "bike-map.csv", first)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["journey"]["title"] == "bike-map"
    assert body["counts"] == {
        "phases": 5,
        "lanes": 7,
        "cards": 6,
        "touchpoints": 2,
        "emotions": 3,
        "opportunities": 2,
    }
    assert export(client, body["journey"]["id"], "csv") == first
    journey = Journey.objects.get(pk=body["journey"]["id"])
    card = Card.objects.get(journey=journey, text__startswith="=HYPERLINK")
    assert card.text == '=HYPERLINK("http://x")'  # the neutralising quote taken off again
    assert Card.objects.filter(journey=journey, text="Is it worth it?\nMaybe later").exists()
    assert list(Lane.objects.filter(journey=journey).values_list("kind", flat=True)) == [
        "actions",
        "touchpoints",
        "thoughts",
        "emotions",
        "pain_points",
        "process_ownership",
        "opportunities",
    ]
    assert Emotion.objects.get(journey=journey, phase__name="Consideration").label == "Confused"


def _what_people_wrote(rich_map, editor) -> None:
    """The bike map's description, the persona's role and quote, descriptions on a touchpoint
    and an opportunity: what a person writes besides the grid, through the services."""
    journey = rich_map.journey
    journey_update(
        actor=editor,
        journey_id=journey.pk,
        version=Journey.objects.get(pk=journey.pk).version,
        changes={"description": "From the first advert to the first ride.\nOnline only."},
    )
    persona = Persona.objects.get(pk=journey.persona_id)
    persona_update(
        actor=UserFactory(is_superuser=True),
        persona_id=persona.pk,
        version=persona.version,
        changes={"role": "Daily cyclist", "segment": "Commuters", "quote": "Just get me to work."},
    )
    ad = Touchpoint.objects.get(journey=journey, name="Instagram ad")
    touchpoint_update(
        actor=editor,
        touchpoint_id=ad.pk,
        version=ad.version,
        changes={"description": "Carousel ad; links to the bike finder"},
    )
    guide = Opportunity.objects.get(journey=journey, title__startswith="Size")
    opportunity_update(
        actor=editor,
        opportunity_id=guide.pk,
        version=guide.version,
        changes={"description": "A size chart by height on each bike's page"},
    )


def _sheets(content: bytes) -> dict[str, list[tuple]]:
    """Every sheet's cells; the survey numbers (Responses, NPS, CSAT, CES) left out, as they
    belong to the original's touchpoints and are never imported."""
    workbook = load_workbook(io.BytesIO(content))
    sheets = {
        name: list(workbook[name].iter_rows(values_only=True)) for name in workbook.sheetnames
    }
    survey = [sheets["Touchpoints"][0].index(h) for h in ("Responses", "NPS", "CSAT", "CES")]
    sheets["Touchpoints"] = [
        tuple(v for i, v in enumerate(row) if i not in survey) for row in sheets["Touchpoints"]
    ]
    return sheets


def test_the_xlsx_round_trip_is_equal(client_for, rich_map, editor):
    _what_people_wrote(rich_map, editor)
    client = client_for(editor)
    first = export(client, rich_map.journey.pk, "xlsx")
    response = import_file(client, "whatever.xlsx", first)
    assert response.status_code == 201, response.content
    body = response.json()
    # The workbook names the map; the file name is only a fallback.
    assert body["journey"]["title"] == "Buying a bike: online (imported)"
    second = export(client, body["journey"]["id"], "xlsx")

    before, after = _sheets(first), _sheets(second)
    assert list(before) == ["Map", "Touchpoints", "Opportunities", "About"]
    about = before.pop("About")
    assert about == [
        ("Title", "Buying a bike: online"),
        ("Description", "From the first advert to the first ride.\nOnline only."),
        ("Scenario", "Sam wants a bike for the daily commute."),
        ("Persona", "Sam the commuter"),
        ("Persona role", "Daily cyclist"),
        ("Persona segment", "Commuters"),
        ("Persona quote", "Just get me to work."),
    ]
    # The copy's title says it is one; everything else on the sheet is as exported.
    assert after.pop("About") == [("Title", "Buying a bike: online (imported)"), *about[1:]]
    assert after == before
    owner_column = before["Opportunities"][0].index("Owner")
    assert before["Opportunities"][1][owner_column] == "Olivia Owner"
    assert before["Opportunities"][0][-1] == "Owner username"
    assert before["Opportunities"][1][-1] == "olivia-owner"
    assert before["Touchpoints"][1][-1] == "Carousel ad; links to the bike finder"

    copy = Journey.objects.select_related("persona").get(pk=body["journey"]["id"])
    assert copy.description == "From the first advert to the first ride.\nOnline only."
    assert copy.scenario == "Sam wants a bike for the daily commute."
    assert copy.persona_id == rich_map.journey.persona_id  # the library's persona, by name
    # The detail sheets bring back what the grid cannot show.
    ad = Touchpoint.objects.get(journey=copy, name="Instagram ad")
    assert (ad.code, ad.channel, ad.department) == ("awareness-instagram-ad", "social", "marketing")
    assert ad.is_moment_that_matters and ad.description.startswith("Carousel ad; links")
    plan = Opportunity.objects.select_related("owner").get(journey=copy, title__startswith="Size")
    assert (plan.impact, plan.effort, plan.status, plan.touchpoint) == (5, 2, "planned", ad)
    assert (str(plan.due_date), plan.kpi, plan.target) == (
        "2027-03-31",
        "Returns for wrong size",
        "-20%",
    )
    assert plan.description == "A size chart by height on each bike's page"
    assert plan.owner.username == "olivia-owner"


def test_an_xlsx_made_by_hand_names_its_owner_and_persona_in_plain_cells(client_for, editor):
    """A workbook a person typed: the About rows in their own order, the owner's username typed
    in the Owner column, a touchpoint's description — all read."""
    PersonaFactory(name="Pat the patient")
    UserFactory(username="dana")
    workbook = Workbook()
    grid = workbook.active
    grid.title = "Map"
    for row in (
        ["", "Referral", "First visit"],
        ["Touchpoints", "GP letter", "Reception desk"],
        ["Opportunities", "", "Text reminders"],
    ):
        grid.append(row)
    about = workbook.create_sheet("About")
    for row in (
        ["Scenario", "Pat is referred for a scan."],
        [None, None],
        ["Persona", "Pat the patient "],
        ["Title", "Outpatient scan"],
        ["Description", "Referral to results"],
    ):
        about.append(row)
    touchpoints = workbook.create_sheet("Touchpoints")
    touchpoints.append(["Phase", "Lane", "Touchpoint", "Description"])
    touchpoints.append(["First visit", "Touchpoints", "Reception desk", "Check-in by NHS number"])
    opportunities = workbook.create_sheet("Opportunities")
    opportunities.append(["Phase", "Opportunity", "Owner"])
    opportunities.append(["First visit", "Text reminders", "dana"])
    out = io.BytesIO()
    workbook.save(out)

    response = import_file(client_for(editor), "scan.xlsx", out.getvalue())
    assert response.status_code == 201, response.content
    journey = Journey.objects.select_related("persona").get(pk=response.json()["journey"]["id"])
    assert (journey.title, journey.description, journey.scenario) == (
        "Outpatient scan",
        "Referral to results",
        "Pat is referred for a scan.",
    )
    assert journey.persona.name == "Pat the patient"
    desk = Touchpoint.objects.get(journey=journey, name="Reception desk")
    assert desk.description == "Check-in by NHS number"
    reminders = Opportunity.objects.select_related("owner").get(journey=journey)
    assert reminders.owner.username == "dana"


def test_quotes_of_the_users_own_survive_the_round_trip(client_for, five_phase_map, editor):
    texts = ("'tis the season", "'=not a formula, quoted by its author", "-1 day", "@here")
    # One per phase: what a spreadsheet runs is the start of a cell.
    for text, phase in zip(texts, five_phase_map.phases, strict=False):
        five_phase_map.add_card(editor, text, phase=phase)
    client = client_for(editor)
    first = export(client, five_phase_map.journey.pk, "csv")
    assert "''=not a formula" in first.decode("utf-8-sig")
    body = import_file(client, "quotes.csv", first).json()
    cards = Card.objects.filter(journey_id=body["journey"]["id"])
    assert set(cards.values_list("text", flat=True)) == set(texts)
    assert '"-1 day' not in first.decode() and ",'-1 day," in first.decode()


def test_a_hand_made_grid_imports_with_lane_kinds_from_their_names(client_for, editor):
    csv_text = (
        "Stage;Search;Buy\n"
        "Customer actions;Googles it;Pays\n"
        "Touchpoints;Search ad;Checkout\n"
        "Feelings;Hopeful (+2);Relieved (+3)\n"
        "Pain points;;Card declined\n"
    )
    response = import_file(client_for(editor), "hand-made.csv", csv_text.encode())
    assert response.status_code == 201, response.content
    journey_id = response.json()["journey"]["id"]
    lanes = list(Lane.objects.filter(journey_id=journey_id).values_list("name", "kind"))
    assert lanes == [
        ("Customer actions", "actions"),
        ("Touchpoints", "touchpoints"),
        ("Feelings", "emotions"),
        ("Pain points", "pain_points"),
    ]
    assert set(Touchpoint.objects.filter(journey_id=journey_id).values_list("code", flat=True)) == {
        "search-search-ad",
        "buy-checkout",
    }
    assert Emotion.objects.get(journey_id=journey_id, phase__name="Buy").score == 3


def test_a_grid_with_an_unreadable_emotion_is_refused_with_its_path(client_for, editor):
    csv_text = "Lane,Search\nFeelings,pretty good\n"
    response = import_file(client_for(editor), "feelings.csv", csv_text.encode())
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["emotions[0].score"]


# --- The journey list's import form ---------------------------------------------------------------


def test_an_editor_imports_from_the_journey_list_and_lands_on_the_new_map(rich_map, editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    page = client.get("/")
    assert b'action="/journeys/import/"' in page.content
    token = page.cookies["csrftoken"].value
    content = export(client, rich_map.journey.pk)
    upload = SimpleUploadedFile("bike.json", content, content_type="application/json")
    response = client.post(
        "/journeys/import/", {"file": upload, "csrfmiddlewaretoken": token}, follow=True
    )
    imported = Journey.objects.order_by("-pk").first()
    assert response.redirect_chain[-1][0] == f"/journeys/{imported.pk}/"
    assert "Imported “Buying a bike: online (imported)”: 5 phases, 7 lanes" in (
        response.content.decode()
    )


def test_the_import_form_without_the_csrf_token_is_refused(editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    upload = SimpleUploadedFile("bike.json", b"{}")
    assert client.post("/journeys/import/", {"file": upload}).status_code == 403


def test_a_bad_file_on_the_import_form_comes_back_with_its_errors(rich_map, editor):
    client = Client()
    client.force_login(editor)
    document = json.loads(export(client, rich_map.journey.pk))
    document["phases"][0]["name"] = ""
    upload = SimpleUploadedFile("bad.json", json.dumps(document).encode())
    response = client.post("/journeys/import/", {"file": upload}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    text = response.content.decode()
    assert "nothing was imported" in text and "phases[0].name" in text


def test_viewers_see_no_import_form_and_may_not_post_one(viewer):
    client = Client()
    client.force_login(viewer)
    assert b'action="/journeys/import/"' not in client.get("/").content
    upload = SimpleUploadedFile("bike.json", b"{}")
    assert client.post("/journeys/import/", {"file": upload}).status_code == 403


def test_a_file_that_is_not_a_workbook_says_so(client_for, editor):
    response = import_file(client_for(editor), "map.xlsx", b"PK\x03\x04 not really a zip")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The file could not be read as XLSX")


def test_a_restricted_title_the_importer_cannot_see_is_not_given_away(
    client_for, rich_map, editor, other_editor
):
    Journey.objects.filter(pk=rich_map.journey.pk).update(is_restricted=True)
    document = json.loads(export(client_for(editor), rich_map.journey.pk))
    body = client_for(other_editor).post("/api/journeys/import/", document, format="json").json()
    assert body["journey"]["title"] == "Buying a bike: online"


def test_a_file_over_the_limit_is_refused_before_it_is_read(client_for, editor, monkeypatch):
    monkeypatch.setattr("journeys.mapfile.imports.MAX_IMPORT_BYTES", 100)
    response = import_file(client_for(editor), "big.csv", b"Lane,A\n" + b"x,y\n" * 50)
    assert response.status_code == 400 and response.json()["code"] == "too_large"


def test_a_workbook_without_an_extension_is_told_by_its_bytes(client_for, rich_map, editor):
    content = export(client_for(editor), rich_map.journey.pk, "xlsx")
    response = import_file(client_for(editor), "map-download", content)
    assert response.status_code == 201, response.content
    event = JourneyEvent.objects.get(journey_id=response.json()["journey"]["id"])
    assert event.payload["format"] == "xlsx"


# --- Customer emotions come from responses, never from a file ---------------------------------


@pytest.mark.parametrize("fmt", ["json", "xlsx", "csv"])
def test_an_imported_map_file_shows_no_customer_curve_until_survey_data_comes(
    client_for, rich_map, editor, fmt
):
    client = client_for(editor)
    exported = export(client, rich_map.journey.pk, fmt)
    if fmt == "json":
        # A file made to carry a customer curve, as a hand-edited or foreign file may.
        document = json.loads(exported)
        document["emotions"].append(
            {"phase": document["phases"][0]["key"], "source": "voc", "score": 3}
        )
        exported = json.dumps(document).encode()
    response = import_file(client, f"bike-map.{fmt}", exported)
    assert response.status_code == 201, response.content
    body = response.json()
    journey = Journey.objects.get(pk=body["journey"]["id"])

    assert not Emotion.objects.filter(journey=journey, source=Emotion.Source.VOC).exists()
    assert Emotion.objects.filter(journey=journey, source=Emotion.Source.TEAM).count() == 3
    assert body["counts"]["emotions"] == 3
    if fmt == "json":
        assert any("customer (VoC) emotion point(s) were left out" in n for n in body["notes"])
    # The editor's page data: no customer numbers, so no customer curve.
    data = signed_in(editor).get(f"/journeys/{journey.pk}/").context["editor_data"]
    assert [e for e in data["map"]["emotions"] if e["source"] == "voc"] == []
    assert data["voc"]["phases"] == {}
