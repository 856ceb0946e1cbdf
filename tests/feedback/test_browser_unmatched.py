"""In real Chromium, on a real server with a real Celery worker: an editor imports a file whose
touchpoint column holds the trust's own numbers, opens the map's Unmatched panel, maps a value
to a touchpoint — its metric pill counts the responses — and the next file's same value
matches on arrival."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from feedback.models import SurveySource
from touchpoints import services as touchpoint_services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def export(path: Path, rows: list[tuple[str, str]]) -> Path:
    lines = ["response_id,submitted_at,nps,comment,touchpoint"]
    lines += [f"{rid},2024-05-0{n % 9 + 1},9,Fine,{value}" for n, (rid, value) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def import_file(page, path: Path, unmatched: int) -> None:
    page.get_by_role("button", name="📊 Survey data").click()
    panel = page.locator("[data-import-panel]")
    panel.get_by_label("Survey file (CSV or XLSX)").set_input_files(str(path))
    # Through the import wizard: the first file with its guesses taken as they are, the next
    # with the mapping the source saved.
    panel.get_by_role("button", name="Upload and preview").click()
    saved = panel.get_by_role("button", name="Import with the saved mapping")
    expect(panel.locator(".preview-table")).to_be_visible()
    if saved.is_visible():
        saved.click()
    else:
        for _ in range(5):
            panel.get_by_role("button", name="Next").click()
        panel.get_by_role("button", name="Import", exact=True).click()
    expect(panel.locator(".import-state")).to_have_text("Imported", timeout=30_000)
    expect(panel).to_contain_text(f"{unmatched} unmatched")


def test_an_editor_maps_an_unmatched_value_and_the_next_import_uses_it(
    page_for, editor, five_phase_map, celery_worker_process, tmp_path
):
    transport = touchpoint_services.touchpoint_create(
        actor=editor,
        journey_id=five_phase_map.journey.pk,
        phase_id=five_phase_map.phases[3].pk,
        name="Patient Transport",
        code="pts",
    )
    first = export(
        tmp_path / "first.csv",
        [("a1", "111"), ("a2", "111"), ("a3", "111 "), ("a4", "PTS\u00a0"), ("a5", "Walk-in")],
    )
    page = page_for(editor)
    page.goto(f"/journeys/{five_phase_map.journey.pk}/")
    page.wait_for_selector("body[data-editor-ready=true]")
    toolbar = page.locator('[data-action="unmatched"]')
    expect(toolbar).to_have_text("Unmatched (0)")

    import_file(page, first, unmatched=4)
    expect(toolbar).to_have_text("Unmatched (4)")  # refreshed as the import finished
    pill = page.locator(f'[data-key="touchpoint-{transport.pk}"] .metric-n')
    expect(pill).to_have_text("n 1")  # "PTS\u00a0" matched the code

    toolbar.click()
    queue = page.locator("[data-unmatched-panel]")
    expect(queue).to_be_visible()
    expect(page.locator("[data-import-panel]")).to_be_hidden()  # one side panel at a time
    groups = queue.locator(".unmatched-group")
    expect(groups).to_have_count(2)
    numbers = groups.filter(has_text="“111”")
    expect(numbers).to_contain_text("3")
    numbers.get_by_role("combobox").select_option(label="Patient Transport")
    numbers.get_by_role("button", name="Map").click()

    expect(pill).to_have_text("n 4")
    expect(toolbar).to_have_text("Unmatched (1)")
    expect(groups).to_have_count(1)

    # Ignored: gone from the queue and the count, listed again with "Show ignored".
    groups.filter(has_text="“Walk-in”").get_by_role("button", name="Ignore").click()
    expect(toolbar).to_have_text("Unmatched (0)")
    expect(queue).to_contain_text("No unmatched responses to review.")
    queue.get_by_label("Show ignored").check()
    expect(groups.filter(has_text="“Walk-in”")).to_contain_text("ignored")
    expect(groups.get_by_role("button", name="Un-ignore")).to_be_visible()

    # The value is a rule of the source now: after a reload (the queue is the map's, not the
    # last import's), the next file's "111" is matched on arrival.
    source = SurveySource.objects.get(journey=five_phase_map.journey)
    # (Beside what the wizard saved for the file's values that matched already: "pts".)
    assert source.import_settings["touchpoint_values"] == {"111": "pts", "pts": "pts"}
    page.reload()
    page.wait_for_selector("body[data-editor-ready=true]")
    expect(toolbar).to_have_text("Unmatched (0)")
    import_file(page, export(tmp_path / "second.csv", [("b1", "111"), ("b2", "Walk-in")]), 1)
    expect(pill).to_have_text("n 5")
    expect(toolbar).to_have_text("Unmatched (0)")  # Walk-in is still ignored


def test_a_viewer_reads_the_queue_and_sees_a_peer_s_mapping_arrive(
    page_for, editor, viewer, five_phase_map, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from feedback import services
    from tests.factories import SurveySourceFactory

    touchpoint_services.touchpoint_create(
        actor=editor,
        journey_id=five_phase_map.journey.pk,
        phase_id=five_phase_map.phases[1].pk,
        name="Front desk",
        code="desk",
    )
    source = SurveySourceFactory(journey=five_phase_map.journey, name="Ward survey")
    body = export(tmp_path / "ward.csv", [("w1", "Reception"), ("w2", "reception ")]).read_bytes()
    run = services.import_file_start(
        actor=editor, source=source, upload=SimpleUploadedFile("ward.csv", body)
    )
    services.import_run_execute(run.pk)

    watching = page_for(viewer)
    watching.goto(f"/journeys/{five_phase_map.journey.pk}/")
    watching.wait_for_selector("body[data-editor-ready=true]")
    expect(watching.locator("[data-connection]")).to_have_attribute("data-status", "live")
    toolbar = watching.locator('[data-action="unmatched"]')
    expect(toolbar).to_have_text("Unmatched (2)")
    toolbar.click()
    group = watching.locator("[data-unmatched-panel] .unmatched-group")
    expect(group).to_contain_text("“Reception”")
    expect(group).to_contain_text("Ward survey")
    expect(group.get_by_role("button")).to_have_count(0)  # reading only: no Map, no Ignore

    mapping = page_for(editor)
    mapping.goto(f"/journeys/{five_phase_map.journey.pk}/")
    mapping.wait_for_selector("body[data-editor-ready=true]")
    mapping.locator('[data-action="unmatched"]').click()
    theirs = mapping.locator("[data-unmatched-panel] .unmatched-group")
    theirs.get_by_role("combobox").select_option(label="Front desk")
    theirs.get_by_role("button", name="Map").click()

    # The viewer's page is told over the socket: its queue and count refresh by themselves.
    expect(toolbar).to_have_text("Unmatched (0)")
    expect(watching.locator("[data-unmatched-panel]")).to_contain_text(
        "No unmatched responses to review."
    )
