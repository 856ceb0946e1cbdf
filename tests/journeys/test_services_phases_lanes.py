"""Phases and lanes shape the grid; deleting one that still holds content needs a yes."""

import pytest

from journeys import services
from journeys.exceptions import NotEmpty
from journeys.models import Card, Emotion, Lane, Opportunity, Phase
from touchpoints.models import Touchpoint
from touchpoints.services import touchpoint_create

pytestmark = pytest.mark.django_db


def _fill(map_, editor, phase_name="Conversion"):
    phase = map_.phase(phase_name)
    services.card_create(
        actor=editor,
        journey_id=map_.journey.pk,
        phase_id=phase.pk,
        lane_id=map_.actions.pk,
        text="Signs",
    )
    touchpoint_create(actor=editor, journey_id=map_.journey.pk, phase_id=phase.pk, name="Email")
    services.emotion_create(actor=editor, journey_id=map_.journey.pk, phase_id=phase.pk, score=-1)
    services.opportunity_create(
        actor=editor, journey_id=map_.journey.pk, phase_id=phase.pk, title="Faster"
    )
    return phase


def test_deleting_a_phase_that_holds_content_is_refused_and_keeps_everything(
    five_phase_map, editor
):
    phase = _fill(five_phase_map, editor)

    with pytest.raises(NotEmpty) as refused:
        services.phase_delete(actor=editor, phase_id=phase.pk)

    assert refused.value.code == "phase_not_empty"
    assert refused.value.details["counts"] == {
        "opportunities": 1,
        "emotions": 1,
        "cards": 1,
        "touchpoints": 1,
    }
    assert "Conversion" in refused.value.message
    assert Phase.objects.filter(pk=phase.pk).exists()
    assert Card.objects.filter(phase=phase).count() == 1


def test_deleting_a_phase_with_its_content_when_asked(five_phase_map, editor):
    phase = _fill(five_phase_map, editor)

    services.phase_delete(actor=editor, phase_id=phase.pk, cascade=True)

    assert not Phase.objects.filter(pk=phase.pk).exists()
    for model in (Card, Touchpoint, Emotion, Opportunity):
        assert not model.objects.filter(journey=five_phase_map.journey, phase_id=phase.pk).exists()
    assert Phase.objects.filter(journey=five_phase_map.journey).count() == 4


def test_deleting_an_empty_phase_needs_no_confirmation(five_phase_map, editor):
    phase = five_phase_map.phase("Services")
    services.phase_delete(actor=editor, phase_id=phase.pk)
    assert not Phase.objects.filter(pk=phase.pk).exists()


def test_deleting_a_lane_that_holds_cards_is_refused(five_phase_map, editor):
    _fill(five_phase_map, editor)
    with pytest.raises(NotEmpty) as refused:
        services.lane_delete(actor=editor, lane_id=five_phase_map.actions.pk)
    assert refused.value.code == "lane_not_empty"
    assert refused.value.details["counts"] == {"cards": 1}
    services.lane_delete(actor=editor, lane_id=five_phase_map.actions.pk, cascade=True)
    assert not Lane.objects.filter(pk=five_phase_map.actions.pk).exists()


def test_a_phase_is_added_between_two_others(five_phase_map, editor):
    phase = services.phase_create(
        actor=editor, journey_id=five_phase_map.journey.pk, name="Onboarding", index=4
    )
    names = list(
        Phase.objects.filter(journey=five_phase_map.journey)
        .order_by("position")
        .values_list("name", flat=True)
    )
    assert names == [
        "Awareness",
        "Consideration",
        "Conversion",
        "Post-Purchase",
        "Onboarding",
        "Services",
    ]
    assert phase.version == 1


def test_phases_reorder_by_moving_one(five_phase_map, editor):
    services.phase_move(actor=editor, phase_id=five_phase_map.phase("Services").pk, index=0)
    names = list(
        Phase.objects.filter(journey=five_phase_map.journey)
        .order_by("position")
        .values_list("name", flat=True)
    )
    assert names[0] == "Services"
    assert names[1:] == ["Awareness", "Consideration", "Conversion", "Post-Purchase"]


def test_lanes_reorder_and_rename(five_phase_map, editor):
    feelings = five_phase_map.lane(Lane.Kind.EMOTIONS)
    services.lane_move(actor=editor, lane_id=feelings.pk, index=0)
    lane = services.lane_update(
        actor=editor, lane_id=feelings.pk, version=2, changes={"name": "Emotions"}
    )
    first = Lane.objects.filter(journey=five_phase_map.journey).order_by("position").first()
    assert (first.pk, lane.name, lane.version) == (feelings.pk, "Emotions", 3)
