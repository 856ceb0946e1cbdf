"""The editor and the journey dashboard say which window their customer numbers cover, open with
the same one, and flag the same phases where the team's estimate differs from the customers'."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from feedback import services as feedback_services
from journeys import services
from journeys.dashboards.window import default_window
from journeys.models import Emotion
from tests.factories import SurveySourceFactory
from touchpoints import services as touchpoint_services

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    """A browser's session (the editor page is for people signed in, not API tokens)."""
    client = Client()
    client.force_login(user)
    return client


HEADER = "response_id,submitted_at,nps,csat,ces,comment,channel,touchpoint\n"


def a_year_of_answers(editor):
    """Two measured phases: Consideration's customers were happy a year ago and unhappy lately;
    Conversion's are happy throughout. The team guesses both are delighted."""
    journey = services.journey_create(
        actor=editor, title="A year of answers", template="five_phase"
    )
    phases = list(journey.phases.order_by("position"))
    for phase, code in ((phases[1], "compare"), (phases[2], "checkout")):
        touchpoint_services.touchpoint_create(
            actor=editor, journey_id=journey.pk, phase_id=phase.pk, name=code, code=code
        )
        services.emotion_create(actor=editor, journey_id=journey.pk, phase_id=phase.pk, score=3)
    today = timezone.localdate()
    rows = []
    for month in range(12):  # one answer a month per touchpoint, 15 days to 345 days ago
        day = today - timedelta(days=15 + 30 * month)
        recent = month < 3
        answer = "0,1,7" if recent else "10,5,1"
        rows.append(f"cmp{month},{day},{answer},,web,compare")
        rows.append(f"chk{month},{day},10,5,1,,web,checkout")
    upload = SimpleUploadedFile("year.csv", (HEADER + "\n".join(rows) + "\n").encode())
    source = SurveySourceFactory(journey=journey)
    run = feedback_services.import_file_start(actor=editor, source=source, upload=upload)
    feedback_services.import_run_execute(run.pk)
    return journey, phases


def editor_flags(data) -> dict[int, bool]:
    """The phases the editor flags, as emotions.js decides: the VoC point it draws (the map's
    measured emotion) against the team's, by the threshold the page was served."""
    team = {e["phase"]: e["score"] for e in data["map"]["emotions"] if e["source"] == "team"}
    voc = {e["phase"]: e["score"] for e in data["map"]["emotions"] if e["source"] == "voc"}
    rule = data["voc"]["disagreement"]
    return {phase: phase in team and abs(team[phase] - voc[phase]) >= rule for phase in voc}


def test_the_editor_and_the_dashboard_open_on_the_same_window_and_flag_the_same_phases(
    client_for, editor
):
    journey, _ = a_year_of_answers(editor)
    client = client_for(editor)

    data = signed_in(editor).get(f"/journeys/{journey.pk}/").context["editor_data"]
    dashboard = client.get(f"/api/journeys/{journey.pk}/dashboard/").json()

    window = default_window().as_dict()
    assert data["voc"]["window"] == dashboard["window"] == window
    assert data["voc"]["window"]["description"] == window["description"]
    page = signed_in(editor).get(f"/journeys/{journey.pk}/").content.decode()
    assert f"Customer numbers: {window['description']}" in page

    # The same numbers per phase, the same customer emotion, and the same phases flagged.
    by_phase = {row["id"]: row for row in dashboard["phases"]}
    measured = {
        p: row["voc_emotion"] for p, row in by_phase.items() if row["voc_emotion"] is not None
    }
    drawn = {
        e["phase"]: e["score"] for e in data["map"]["emotions"] if e["source"] == Emotion.Source.VOC
    }
    assert drawn == measured == {int(p): m["voc_emotion"] for p, m in data["voc"]["phases"].items()}
    flagged = {p for p, row in by_phase.items() if row["differs"]}
    assert {p for p, differs in editor_flags(data).items() if differs} == flagged
    # A year's answers: Consideration's happy past outweighs its unhappy present, so neither
    # phase differs from the team's delighted guess over all time…
    assert flagged == set()


def test_over_the_last_90_days_both_flag_what_the_recent_answers_say(client_for, editor):
    journey, phases = a_year_of_answers(editor)
    client = client_for(editor)
    window = client.get(f"/api/journeys/{journey.pk}/dashboard/?window=90").json()
    flagged = {row["id"] for row in window["phases"] if row["differs"]}
    assert flagged == {phases[1].pk}  # the recent answers are unhappy
    assert window["window"]["description"].startswith("last 90 days, ")
    # The editor's numbers API, over the same days, measures the same customer emotion.
    days = window["window"]
    voc = client.get(
        f"/api/journeys/{journey.pk}/voc/?since={days['since']}&until={days['until']}"
    ).json()
    assert {int(p): m["voc_emotion"] for p, m in voc["phases"].items()} == {
        row["id"]: row["voc_emotion"] for row in window["phases"] if row["voc_emotion"] is not None
    }
