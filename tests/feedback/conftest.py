import pytest

from tests.factories import SurveySourceFactory
from touchpoints import services as touchpoint_services


@pytest.fixture(autouse=True)
def outbound_to_fake_vendors(settings):
    """The fake vendors listen on 127.0.0.1, which connectors refuse unless a deployment allows
    it: these tests allow it, as one with a local feed would (the refusal tests take it away)."""
    settings.JOURNEYBOARD_OUTBOUND_ALLOW = ["127.0.0.1"]


@pytest.fixture
def survey_map(five_phase_map, editor):
    """A map with two touchpoints, coded for matching, and an upload source on it."""
    phases = five_phase_map.phases
    checkout = touchpoint_services.touchpoint_create(
        actor=editor,
        journey_id=five_phase_map.journey.pk,
        phase_id=phases[2].pk,
        name="Online checkout",
        code="checkout",
    )
    store = touchpoint_services.touchpoint_create(
        actor=editor,
        journey_id=five_phase_map.journey.pk,
        phase_id=phases[1].pk,
        name="Store visit",
        code="store-visit",
    )
    five_phase_map.checkout, five_phase_map.store = checkout, store
    five_phase_map.source = SurveySourceFactory(journey=five_phase_map.journey)
    return five_phase_map
