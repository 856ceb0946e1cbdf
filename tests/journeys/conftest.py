import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from feedback import services as feedback_services
from feedback.models import ResponseRollup, SurveySource
from feedback.writer import monthly_rollups_rebuild
from journeys import services
from journeys.models import Emotion
from tests.conftest import MapFixture
from tests.factories import PersonaFactory, PersonaGroupFactory, UserFactory
from touchpoints.services import touchpoint_create


@pytest.fixture
def rich_map(editor) -> MapFixture:
    """The five-phase bike map with a bit of everything an export must carry, and traps in
    its text (a spreadsheet formula, markup, colons, a line break)."""
    persona = PersonaFactory(name="Sam the commuter", group=PersonaGroupFactory(name="Commuters"))
    journey = services.journey_create(
        actor=editor,
        title="Buying a bike: online",
        template="five_phase",
        persona_id=persona.pk,
        scenario="Sam wants a bike for the daily commute.",
    )
    grid = MapFixture(journey)
    awareness, consideration, conversion = grid.phases[:3]
    add = grid.add_card
    add(editor, "Sees an advert on Instagram")
    add(editor, "Asks a friend: which bike?")
    add(editor, '=HYPERLINK("http://x")', phase=consideration)
    add(editor, "<script>alert('x')</script> & co", phase=consideration)
    services.card_create(
        actor=editor,
        journey_id=journey.pk,
        phase_id=awareness.pk,
        lane_id=grid.lane("thoughts").pk,
        text="Is it worth it?\nMaybe later",
        color="pink",
        tag="doubt",
    )
    services.card_create(
        actor=editor,
        journey_id=journey.pk,
        phase_id=conversion.pk,
        lane_id=grid.lane("process_ownership").pk,
        text="E-commerce team",
    )
    ad = touchpoint_create(
        actor=editor,
        journey_id=journey.pk,
        phase_id=awareness.pk,
        name="Instagram ad",
        channel="social",
        department="marketing",
        is_moment_that_matters=True,
    )
    touchpoint_create(
        actor=editor,
        journey_id=journey.pk,
        phase_id=conversion.pk,
        name="Web shop checkout",
        code="checkout",
    )
    for phase, score, label in ((awareness, 1, "Curious"), (consideration, -2, "Confused")):
        services.emotion_create(
            actor=editor, journey_id=journey.pk, phase_id=phase.pk, score=score, label=label
        )
    services.emotion_create(actor=editor, journey_id=journey.pk, phase_id=conversion.pk, score=3)
    Emotion.objects.create(journey=journey, phase=consideration, source="voc", score=-3)
    owner = UserFactory(username="olivia-owner", first_name="Olivia", last_name="Owner")
    services.opportunity_create(
        actor=editor,
        journey_id=journey.pk,
        phase_id=consideration.pk,
        title="Size guide on every page",
        impact=5,
        effort=2,
        status="planned",
        owner_id=owner.pk,
        due_date=datetime.date(2027, 3, 31),
        kpi="Returns for wrong size",
        target="-20%",
        touchpoint_id=ad.pk,
    )
    services.opportunity_create(
        actor=editor, journey_id=journey.pk, phase_id=conversion.pk, title="Pay later"
    )
    ResponseRollup.objects.create(
        touchpoint=ad,
        journey=journey,
        day=datetime.date(2026, 11, 1),
        responses=10,
        nps_count=10,
        promoters=6,
        detractors=2,
    )
    monthly_rollups_rebuild([ad.pk])  # as an import leaves them
    return MapFixture(journey)


@pytest.fixture
def surveyed_map(editor, five_phase_map):
    """The five-phase map with a checkout touchpoint whose survey says NPS +50 (n = 40)."""
    journey = five_phase_map.journey
    conversion = five_phase_map.phases[2]
    checkout = touchpoint_create(
        actor=editor,
        journey_id=journey.pk,
        phase_id=conversion.pk,
        name="Online checkout",
        code="checkout",
    )
    services.emotion_create(actor=editor, journey_id=journey.pk, phase_id=conversion.pk, score=2)
    rows = ["response_id,submitted_at,nps,csat,comment,touchpoint"]
    rows += [f"p{n},{_days_ago(n % 20)},10,5,Quick and friendly,checkout" for n in range(30)]
    rows += [
        f"d{n},{_days_ago(n % 20)},2,1,<b>Payment</b> failed twice,checkout" for n in range(10)
    ]
    source = SurveySource.objects.create(name="Post-purchase", journey=journey, created_by=editor)
    run = feedback_services.import_file_start(
        actor=editor,
        source=source,
        upload=SimpleUploadedFile("survey.csv", "\n".join(rows).encode()),
    )
    feedback_services.import_run_execute(run.pk)  # inline: no worker needed for the data
    feedback_services.responses_sentiment_update(source_id=source.pk)
    opportunity = services.opportunity_create(
        actor=editor,
        journey_id=journey.pk,
        phase_id=conversion.pk,
        title="One-click retry",
        impact=5,
        effort=2,
        status="planned",
        kpi="Checkout NPS",
        target="+60",
    )
    return five_phase_map, checkout, opportunity


def _days_ago(days: int) -> str:
    from datetime import timedelta

    from django.utils import timezone

    return (timezone.localdate() - timedelta(days=days)).isoformat()
