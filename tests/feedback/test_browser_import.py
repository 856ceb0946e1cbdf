"""In real Chromium, on a real server with a real Celery worker: an editor uploads a survey
export, watches the progress bar finish, and the map shows NPS and the customers' emotion."""

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from feedback.models import SurveyResponse, SurveySource
from journeys.models import Emotion
from touchpoints import services as touchpoint_services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def survey_export(path: Path) -> Path:
    """30 promoters and 10 detractors of ``checkout`` (NPS +50), one bad row the import
    reports, and one response naming a touchpoint that does not exist."""
    rows = ["response_id,submitted_at,nps,csat,comment,touchpoint"]
    rows += [f"p{n},2024-05-{n % 28 + 1:02d},10,5,Quick and friendly,checkout" for n in range(30)]
    rows += [f"d{n},2024-05-{n % 28 + 1:02d},2,1,Payment failed twice,checkout" for n in range(10)]
    rows += ["x1,yesterday,9,5,,checkout"]
    rows += ["u1,2024-05-20,10,5,Found the shop by chance,counter"]  # no such touchpoint
    path.write_text("\n".join(rows) + "\n")
    return path


def test_an_uploaded_survey_shows_nps_and_the_voc_emotion_on_the_map(
    page_for, editor, five_phase_map, celery_worker_process, tmp_path
):
    checkout = touchpoint_services.touchpoint_create(
        actor=editor,
        journey_id=five_phase_map.journey.pk,
        phase_id=five_phase_map.phases[2].pk,
        name="Online checkout",
        code="checkout",
    )
    survey = survey_export(tmp_path / "post-purchase.csv")

    page = page_for(editor)
    page.goto(f"/journeys/{five_phase_map.journey.pk}/")
    page.wait_for_selector("body[data-editor-ready=true]")
    expect(page.locator(".voc-point")).to_have_count(0)

    page.get_by_role("button", name="📊 Survey data").click()
    panel = page.locator("[data-import-panel]")
    panel.get_by_label("Survey file (CSV or XLSX)").set_input_files(str(survey))
    # The import wizard: its guesses (the columns are named as ours) taken as they are.
    panel.get_by_role("button", name="Upload and preview").click()
    for _ in range(5):
        panel.get_by_role("button", name="Next").click()
    panel.get_by_role("button", name="Import", exact=True).click()

    expect(panel.locator("progress")).to_be_visible()
    expect(panel.locator(".import-state")).to_have_text("Imported", timeout=30_000)
    expect(panel.locator("progress")).to_have_attribute("value", "100")
    expect(panel).to_contain_text("41 new")
    expect(panel).to_contain_text("1 refused")
    expect(panel).to_contain_text("1 unmatched")
    expect(panel.get_by_role("link", name="Download the refused rows (CSV)")).to_be_visible()
    # Every response of the new source, as CSV, from the link beside it.
    with page.expect_download() as download:
        panel.get_by_role("link", name="Download the responses of Survey uploads (CSV)").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert exported[0].startswith("response_id,submitted_at,nps,csat,ces,comment,")
    assert len(exported) == 1 + 41  # the refused row is not a response

    # Without a reload: the touchpoint's NPS, and the customers' emotion in its phase.
    touchpoint = page.locator(f'[data-key="touchpoint-{checkout.pk}"]')
    expect(touchpoint.locator('[data-metric="nps"]')).to_have_text("NPS +50", timeout=10_000)
    voc = page.locator(f'.cell[data-phase="{five_phase_map.phases[2].pk}"] .voc-point')
    expect(voc).to_have_count(1)
    expected = Emotion.objects.get(phase=five_phase_map.phases[2], source="voc").score
    expect(voc).to_have_attribute("data-voc-score", str(expected))
    expect(voc).to_have_attribute("data-n", "40")

    # The unmatched response is listed in the map's queue by what it named; mapped, it counts.
    panel.get_by_role("button", name="Review the 1 unmatched responses").click()
    queue = page.locator("[data-unmatched-panel]")
    group = queue.locator(".unmatched-group")
    expect(group).to_contain_text("“counter”")
    group.get_by_role("combobox").select_option(label="Online checkout")
    group.get_by_role("button", name="Map").click()
    expect(queue).to_contain_text("No unmatched responses to review.")
    expect(touchpoint.locator('[data-metric="nps"]')).to_have_text("NPS +51")  # 31 of 41 vs 10

    # The touchpoint's panel quotes what customers said (once the worker has scored them).
    deadline = time.monotonic() + 30
    while SurveyResponse.objects.filter(sentiment__isnull=True).exclude(comment="").exists():
        assert time.monotonic() < deadline, "comments were not scored"
        time.sleep(0.2)
    touchpoint.click()
    expect(page.locator("[data-side-panel] .voice")).to_contain_text("Payment failed twice")
    expect(page.locator("[data-side-panel] .voice")).to_contain_text("Quick and friendly")
    expect(page.locator("[data-import-panel]")).to_be_hidden()  # one side panel at a time

    # A second upload goes to the source the first one created: no duplicate responses.
    page.locator("[data-side-panel] button.close").click()
    page.get_by_role("button", name="📊 Survey data").click()
    expect(panel.get_by_label("Survey source")).to_have_value(str(SurveySource.objects.get().pk))
