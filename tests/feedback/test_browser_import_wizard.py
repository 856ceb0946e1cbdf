"""In real Chromium, on a real server with a real Celery worker: an editor takes survey exports
as they really come out of survey tools through the import wizard of the Survey data panel —
day-first and month-first dates in one file, a reversed 1–5 scale with "don't know" codes,
labelled answers in a Latin-1 file with semicolons, non-breaking spaces in touchpoint names,
an XLSX with Excel serial dates — and the map shows what they said.

The first test also makes the README's screenshots of the wizard (docs/import-wizard-mapping.png,
docs/import-wizard-dry-run.png)."""

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import Locator, Page, expect

from feedback.models import ImportRun, SurveyResponse, SurveySource
from touchpoints import services as touchpoint_services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

DOCS = Path(__file__).resolve().parents[2] / "docs"
NBSP = "\u00a0"


# --- Files in the shapes real exports come in -----------------------------------------------------


def recent_days(count: int, *, day_over_12: bool) -> list[date]:
    """``count`` days of the last months whose day of the month is over 12 (a date written
    30/09 can only be day-first) or 12 at most (05/10 reads either way)."""
    days, day = [], date.today() - timedelta(days=2)
    while len(days) < count:
        if (day.day > 12) == day_over_12:
            days.append(day)
        day -= timedelta(days=1)
    return days


def patient_feedback_export(path: Path, *, ids: range, month_first: int = 4) -> dict:
    """A patient-feedback export: comment id, trust, a day-first date (with ``month_first`` rows
    written month-first by another system), the service, a 1–5 answer where 1 is "very good"
    (6 and 7 mean "don't know") and the free-text answer. Services are written with
    non-breaking spaces, as pasted from a web page; "Walk-in clinic" is on no map.

    Per block of 25 rows: 10 patient transport (8 × very good, 2 × very poor), 8 urgent care
    line (3 × good, 3 × poor, a 6 and a 7), 3 walk-in clinic, 4 month-first."""
    pts = f"PTS{NBSP}-{NBSP}Patient Transport"
    lines = ["Comment ID,Trust,Date,Service,Q1,Answer"]
    only_day_first = recent_days(len(ids), day_over_12=True)
    either_way = recent_days(len(ids), day_over_12=False)
    plan = (
        [(pts, "1", "Driver was kind")] * 8
        + [(pts, "5", "Waited three hours")] * 2
        + [("111", "2", "Quick advice")] * 3
        + [("111", "4", "Could not get through")] * 3
        + [("111", "6", "Not sure")]
        + [("111", "7", "Cannot remember")]
        + [("Walk-in clinic", "2", "Fine")] * 3
    )
    refused = []
    for n, comment_id in enumerate(ids):
        service, answer, comment = plan[n % len(plan)] if n % 25 < 21 else (pts, "1", "Good")
        day = (only_day_first if n % 2 else either_way)[n]
        if n % 25 >= 25 - month_first:
            # Another system's rows: month first, on a day over 12 (9/30/2024).
            day = only_day_first[n]
            written = f"{day.month}/{day.day}/{day.year}"
            refused.append((n + 2, str(comment_id), written))
        else:
            written = f"{day.day:02d}/{day.month:02d}/{day.year}"
        lines.append(f"{comment_id},RX1,{written},{service},{answer},{comment}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"path": path, "refused": refused}


def labelled_export(path: Path) -> Path:
    """A Latin-1, semicolon-separated export whose answers are words, not numbers."""
    day = date.today() - timedelta(days=3)
    labels = ["Very satisfied"] * 6 + ["Satisfied"] * 2 + ["Dissatisfied", "Very dissatisfied"]
    labels += ["Don't know", "Neither satisfied nor dissatisfied"]
    lines = ["ID;Submitted;How satisfied were you?;Feedback;Touchpoint"]
    for n, label in enumerate(labels):
        where = "STORE  VISIT" if n % 2 else f"Store{NBSP}visit"
        lines.append(
            f"L{n};{day.isoformat()}T10:{n:02d}:00;{label};Café was {label.lower()};{where}"
        )
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    return path


def excel_serial(moment: datetime) -> float:
    return (moment - datetime(1899, 12, 30)).total_seconds() / 86400


def serial_dates_workbook(path: Path) -> dict:
    """An XLSX whose dates are Excel serial numbers (cells holding numbers, not dates)."""
    book = Workbook()
    sheet = book.active
    sheet.append(["Response ID", "Created", "Recommend", "Touchpoint"])
    first = datetime.combine(date.today() - timedelta(days=5), datetime.min.time()) + timedelta(
        hours=14, minutes=30
    )
    for n in range(12):
        moment = first - timedelta(days=n)
        sheet.append([f"X{n}", round(excel_serial(moment), 6), 10 if n < 9 else 3, "checkout"])
    book.save(path)
    return {"path": path, "first": first}


# --- Driving the wizard ---------------------------------------------------------------------------


def open_survey_data(page: Page, journey_id: int) -> Locator:
    page.goto(f"/journeys/{journey_id}/")
    page.wait_for_selector("body[data-editor-ready=true]")
    page.get_by_role("button", name="📊 Survey data").click()
    return page.locator("[data-import-panel]")


def step(panel: Locator, number: int) -> Locator:
    return panel.locator(f'section[data-step="{number}"]')


def upload(panel: Locator, path: Path) -> None:
    panel.get_by_label("Survey file (CSV or XLSX)").set_input_files(str(path))
    panel.get_by_role("button", name="Upload and preview").click()
    expect(step(panel, 2)).to_be_visible(timeout=15_000)


def next_step(panel: Locator, number: int) -> Locator:
    """Next, from step ``number - 1``: the new step's heading has the focus."""
    panel.get_by_role("button", name="Next").click()
    section = step(panel, number)
    expect(section).to_be_visible()
    expect(section.locator("h3")).to_be_focused()
    return section


def fits_the_panel(panel: Locator) -> bool:
    return panel.evaluate("(el) => el.scrollWidth <= el.clientWidth")


def dry_run_counts(panel: Locator) -> dict[str, str]:
    section = step(panel, 7)
    expect(section.locator('.dry-run-state[data-state="done"]')).to_be_visible(timeout=30_000)
    return {
        kind: section.locator(f'[data-count="{kind}"]').inner_text()
        for kind in ("import", "refused", "unmatched")
    }


def import_and_wait(panel: Locator, button: str = "Import") -> None:
    panel.get_by_role("button", name=button, exact=True).click()
    expect(panel.locator(".import-state")).to_have_text("Imported", timeout=30_000)


def pill(page: Page, touchpoint, metric: str) -> Locator:
    return page.locator(f'[data-key="touchpoint-{touchpoint.pk}"] [data-metric="{metric}"]')


# --- The stories ----------------------------------------------------------------------------------


@pytest.fixture
def hospital_map(five_phase_map, editor):
    """A map with the two services patients write about, coded, and one touchpoint nobody names."""
    journey, phases = five_phase_map.journey, five_phase_map.phases
    make = touchpoint_services.touchpoint_create
    five_phase_map.pts = make(
        actor=editor,
        journey_id=journey.pk,
        phase_id=phases[1].pk,
        name="Patient transport service",
        code="pts",
    )
    five_phase_map.line = make(
        actor=editor,
        journey_id=journey.pk,
        phase_id=phases[2].pk,
        name="Urgent care line",
        code="urgent-line",
    )
    return five_phase_map


def screenshot(panel: Locator, name: str) -> None:
    """The README's pictures of the wizard (the editor with the panel open), made afresh."""
    panel.page.screenshot(path=str(DOCS / name))
    assert (DOCS / name).stat().st_size > 20_000


def first_rows_and_columns(panel: Locator) -> None:
    """Steps 2 and 3 of the patient-feedback export: its rows, then its columns."""
    rows = step(panel, 2)
    expect(rows.locator("h3")).to_be_focused()
    expect(rows.locator("tbody tr").first.locator("th")).to_have_text("2")  # header: row 1
    expect(rows.locator("tbody tr").first).to_contain_text("5001")
    expect(rows.locator("thead")).to_contain_text("Comment ID")
    expect(rows.get_by_role("button", name="Import with the saved mapping")).to_have_count(0)
    assert fits_the_panel(panel)  # a wide table scrolls in its own box, not the panel

    # Guesses by name are filled in; Q1 is the CSAT answer; Trust is kept on each response.
    columns = next_step(panel, 3)
    expect(columns.get_by_label("Comment ID", exact=True)).to_have_value("response_id")
    expect(columns.get_by_label("Date", exact=True)).to_have_value("submitted_at")
    expect(columns.get_by_label("Service", exact=True)).to_have_value("touchpoint")
    expect(columns.get_by_label("Answer", exact=True)).to_have_value("comment")
    columns.get_by_label("Q1", exact=True).select_option("csat")
    columns.get_by_label("Trust", exact=True).select_option(label="Keep as attribute")
    assert fits_the_panel(panel)
    screenshot(panel, "import-wizard-mapping.png")


def dates_answers_and_touchpoints(panel: Locator) -> None:
    """Steps 4 to 6: mixed dates read day-first, a reversed scale, the services' value table."""
    dates = next_step(panel, 4)
    # The file mixes formats, and says so before anything is read the wrong way.
    expect(dates.get_by_role("alert")).to_contain_text("mixes date formats")
    day_first = dates.get_by_label(re.compile("^Day first"))
    expect(day_first).to_be_checked()
    expect(day_first).to_have_accessible_name(re.compile("suggested"))
    dates.get_by_label("Time zone of times written without one").fill("Europe/London")

    # The answers run the other way, and 6 and 7 mean "don't know".
    csat = next_step(panel, 5).locator('fieldset[data-field="csat"]')
    expect(csat.locator("legend")).to_contain_text("“Q1”")
    expect(csat.get_by_label(re.compile("^“6” × 1$"))).to_have_value("")
    expect(csat.locator(".refused")).to_have_count(2)  # 6 and 7 are not on the scale
    csat.get_by_role("button", name="Reverse 1–5").click()
    csat.get_by_role("button", name="Everything else → no answer").click()
    expect(csat.get_by_label(re.compile("^“1” × "))).to_have_value("5")
    expect(csat.get_by_label(re.compile("^“5” × "))).to_have_value("1")
    expect(csat.get_by_label(re.compile("^“6” × "))).to_have_value("none")
    expect(csat.locator(".refused")).to_have_count(0)

    # The services, written with non-breaking spaces, map to touchpoints through the table.
    table = next_step(panel, 6)
    pts = table.get_by_label(re.compile(r"^“PTS\s-\sPatient Transport” × 14$"))
    expect(pts).to_have_value("")  # neither the code nor the name: a person decides
    pts.select_option(label="Patient transport service (pts)")
    table.get_by_label(re.compile("^“111” × 8$")).select_option("urgent-line")
    expect(table.get_by_label(re.compile("^“Walk-in clinic” × 3$"))).to_have_value("")


def dry_run_of_the_patient_feedback(panel: Locator, refused: list) -> None:
    """Step 7's dry run: what would happen, the first reasons, and nothing written."""
    check = next_step(panel, 7)
    check.get_by_role("button", name="Dry run").click()
    assert dry_run_counts(panel) == {
        "import": "21 would import (21 new · 0 updated · 0 unchanged)",
        "refused": "4 refused",
        "unmatched": "3 unmatched",
    }
    reasons = check.locator(".dry-run-reasons li")
    sheet_row, response_id, written = refused[0]
    expect(reasons.first).to_contain_text(f"Row {sheet_row}, response {response_id}")
    expect(reasons.first).to_contain_text(f"submitted at — {written} is not day-first")
    expect(check.locator(".dry-run-unmatched")).to_contain_text("“Walk-in clinic” × 3")
    assert not SurveyResponse.objects.exists()
    assert fits_the_panel(panel)
    screenshot(panel, "import-wizard-dry-run.png")


def assert_saved_as_shown(source: SurveySource) -> None:
    source.refresh_from_db()
    # Every field is named: a column or null, "not read" (none left for the server to guess).
    assert {field: column for field, column in source.field_mapping.items() if column} == {
        "response_id": "Comment ID",
        "submitted_at": "Date",
        "csat": "Q1",
        "comment": "Answer",
        "touchpoint": "Service",
    }
    settings = source.import_settings
    assert settings["date_format"] == "day_first"
    assert settings["time_zone"] == "Europe/London"
    assert settings["attribute_columns"] == ["Trust"]
    reversed_scale = {"1": 5, "2": 4, "4": 2, "5": 1, "6": None, "7": None}  # no 3 in the file
    assert settings["score_values"]["csat"] == reversed_scale
    assert settings["touchpoint_values"] == {"pts - patient transport": "pts", "111": "urgent-line"}


def test_a_patient_feedback_export_goes_through_the_wizard_and_the_next_upload_reuses_it(
    page_for, editor, hospital_map, celery_worker_process, tmp_path
):
    export = patient_feedback_export(tmp_path / "patient-feedback.csv", ids=range(5001, 5026))
    page = page_for(editor)
    panel = open_survey_data(page, hospital_map.journey.pk)
    expect(panel.get_by_role("link", name="Download the CSV template")).to_have_attribute(
        "href", f"/api/journeys/{hospital_map.journey.pk}/survey-template.csv"
    )
    upload(panel, export["path"])
    first_rows_and_columns(panel)
    dates_answers_and_touchpoints(panel)
    dry_run_of_the_patient_feedback(panel, export["refused"])
    source = SurveySource.objects.get(journey=hospital_map.journey)
    assert_saved_as_shown(source)

    # Import: the real import's counts are the dry run's.
    import_and_wait(panel)
    expect(panel).to_contain_text("21 new")
    expect(panel).to_contain_text("4 refused")
    expect(panel).to_contain_text("3 unmatched")
    run = ImportRun.objects.get(source=source)
    dry = run.dry_run
    assert (dry["read"], dry["imported"], dry["updated"], dry["unchanged"]) == (
        run.read,
        run.imported,
        run.updated,
        run.unchanged,
    )
    assert (dry["refused"], dry["unmatched"]) == (run.failed, run.unmatched)
    assert SurveyResponse.objects.get(external_id="5001").attributes == {"Trust": "RX1"}
    # 8 × very good (5) and 2 × very poor (1); 3 good, 3 poor and two "don't know" (no answer).
    expect(pill(page, hospital_map.pts, "csat")).to_have_text("CSAT 80%", timeout=10_000)
    expect(pill(page, hospital_map.line, "csat")).to_have_text("CSAT 50%")
    line = page.locator(f'[data-key="touchpoint-{hospital_map.line.pk}"]')
    expect(line.locator(".metric-n")).to_have_text("n 8")

    # The next export of the same source: the saved mapping fits it and imports at once.
    again = patient_feedback_export(tmp_path / "patient-feedback-2.csv", ids=range(5021, 5046))
    expect(panel.get_by_label("Survey source")).to_have_value(str(source.pk))
    upload(panel, again["path"])
    columns = next_step(panel, 3)
    expect(columns.get_by_label("Q1", exact=True)).to_have_value("csat")
    expect(columns.get_by_label("Trust", exact=True)).to_have_value("attribute")
    panel.get_by_role("button", name="Back").click()
    import_and_wait(panel, "Import with the saved mapping")
    expect(panel).to_contain_text("20 new · 1 updated")
    # 5021 was in the first file (walk-in clinic, now patient transport): updated; 5022–5025
    # were refused there (month-first) and are new here; the last four are refused again.
    second = ImportRun.objects.filter(source=source).latest("pk")
    assert (second.read, second.imported, second.updated) == (25, 20, 1)
    assert (second.failed, second.unmatched) == (4, 3)
    assert SurveyResponse.objects.filter(source=source).count() == 41
    expect(pill(page, hospital_map.pts, "csat")).to_have_text("CSAT 80%")
    expect(line.locator(".metric-n")).to_have_text("n 16")


def test_labelled_answers_in_a_latin1_file_are_read_by_the_keyboard_alone(
    page_for, editor, survey_map, celery_worker_process, tmp_path
):
    path = labelled_export(tmp_path / "store-survey.csv")
    page = page_for(editor)
    panel = open_survey_data(page, survey_map.journey.pk)
    panel.get_by_label("Survey source").select_option(label=survey_map.source.name)
    upload(panel, path)
    expect(step(panel, 2)).to_contain_text("Café was very satisfied")

    # Keyboard only from here: Tab to a control, arrows in a list, Enter on a button.
    def press_next(number: int) -> Locator:
        step(panel, number - 1).get_by_role("button", name="Next").focus()
        page.keyboard.press("Enter")
        expect(step(panel, number).locator("h3")).to_be_focused()
        return step(panel, number)

    columns = press_next(3)
    page.keyboard.press("Tab")
    expect(columns.get_by_label("ID", exact=True)).to_be_focused()
    expect(columns.get_by_label("ID", exact=True)).to_have_value("response_id")
    expect(columns.get_by_label("Submitted", exact=True)).to_have_value("submitted_at")
    expect(columns.get_by_label("Feedback", exact=True)).to_have_value("comment")
    question = columns.get_by_label("How satisfied were you?", exact=True)
    question.focus()
    for _ in range(12):  # down the list of fields to CSAT
        if question.input_value() == "csat":
            break
        page.keyboard.press("ArrowDown")
    expect(question).to_have_value("csat")
    press_next(4)
    scores = press_next(5)
    labels = scores.get_by_role("button", name="Labels (Very satisfied… → 5…1)")
    labels.focus()
    page.keyboard.press("Enter")
    expect(scores.get_by_label(re.compile("^“Very satisfied” × 6$"))).to_have_value("5")
    expect(scores.get_by_label(re.compile("^“Don't know” × 1$"))).to_have_value("none")
    expect(scores.locator(".refused")).to_have_count(0)
    table = press_next(6)
    # "Store visit" with an NBSP, and "STORE  VISIT", are one value, the touchpoint's name.
    expect(table.locator("select")).to_have_count(1)
    expect(table.locator("select")).to_have_value("store-visit")
    press_next(7)
    dry_run = panel.get_by_role("button", name="Dry run")
    dry_run.focus()
    page.keyboard.press("Enter")
    assert dry_run_counts(panel)["import"].startswith("12 would import")
    panel.get_by_role("button", name="Import", exact=True).focus()
    page.keyboard.press("Enter")
    expect(panel.locator(".import-state")).to_have_text("Imported", timeout=30_000)
    expect(panel).to_contain_text("12 new")
    expect(panel).to_contain_text("0 refused")
    assert SurveyResponse.objects.get(external_id="L0").comment == "Café was very satisfied"
    assert SurveyResponse.objects.get(external_id="L10").csat is None
    # 6 very satisfied and 2 satisfied of 11 answers (the "don't know" is no answer).
    store = page.locator(f'[data-key="touchpoint-{survey_map.store.pk}"]')
    expect(store.locator('[data-metric="csat"]')).to_have_text("CSAT 73%", timeout=10_000)
    expect(store.locator(".metric-n")).to_have_text("n 12")


def test_an_xlsx_with_excel_serial_dates_imports_on_their_day_and_time(
    page_for, editor, survey_map, celery_worker_process, tmp_path
):
    workbook = serial_dates_workbook(tmp_path / "nps.xlsx")
    page = page_for(editor)
    panel = open_survey_data(page, survey_map.journey.pk)
    panel.get_by_label("Survey source").select_option(label=survey_map.source.name)
    upload(panel, workbook["path"])
    columns = next_step(panel, 3)
    expect(columns.get_by_label("Response ID", exact=True)).to_have_value("response_id")
    expect(columns.get_by_label("Created", exact=True)).to_have_value("submitted_at")
    expect(columns.get_by_label("Recommend", exact=True)).to_have_value("nps")
    dates = next_step(panel, 4)
    expect(dates).to_contain_text("12 Excel serial numbers")
    expect(dates.get_by_label(re.compile("^Excel serial numbers"))).to_be_checked()
    expect(dates.get_by_role("alert")).to_have_count(0)  # one format: nothing to warn about
    next_step(panel, 5)
    next_step(panel, 6)
    next_step(panel, 7).get_by_role("button", name="Dry run").click()
    assert dry_run_counts(panel)["import"].startswith("12 would import")
    import_and_wait(panel)
    expect(panel).to_contain_text("12 new")
    first = SurveyResponse.objects.get(external_id="X0")
    # A serial number holds the time of day too (to a fraction of a second).
    assert abs(first.submitted_at - workbook["first"].replace(tzinfo=UTC)) < timedelta(seconds=1)
    # 9 promoters and 3 detractors of 12: NPS +50.
    expect(pill(page, survey_map.checkout, "nps")).to_have_text("NPS +50", timeout=10_000)
