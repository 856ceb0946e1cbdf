"""Invariants the database itself keeps, whatever path a write takes."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import RestrictedError

from journeys.models import Journey
from journeys.positions import GAP, position_at, renumbered
from tests.factories import CardFactory, EmotionFactory, OpportunityFactory, TouchpointFactory


@pytest.mark.django_db
@pytest.mark.parametrize("score", [-4, 4])
def test_an_emotion_score_outside_the_scale_cannot_be_stored(score):
    with pytest.raises(IntegrityError), transaction.atomic():
        EmotionFactory(score=score)


@pytest.mark.django_db
def test_a_phase_holds_one_team_emotion():
    emotion = EmotionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        EmotionFactory(journey=emotion.journey, phase=emotion.phase)
    EmotionFactory(journey=emotion.journey, phase=emotion.phase, source="voc")


@pytest.mark.django_db
def test_a_phase_with_cards_cannot_be_deleted_directly():
    card = CardFactory()
    with pytest.raises(RestrictedError):
        card.phase.delete()
    with pytest.raises(RestrictedError):
        card.lane.delete()


@pytest.mark.django_db
def test_deleting_a_journey_takes_its_whole_map():
    card = CardFactory()
    TouchpointFactory(journey=card.journey, phase=card.phase)
    card.journey.delete()
    assert not Journey.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("impact", "effort", "priority"), [(5, 1, 25), (1, 5, 1), (3, 3, 9)])
def test_opportunity_priority_is_derived_by_the_database(impact, effort, priority):
    opportunity = OpportunityFactory(impact=impact, effort=effort)
    opportunity.refresh_from_db()
    assert opportunity.priority == priority


@pytest.mark.django_db
def test_opportunity_impact_is_between_1_and_5():
    with pytest.raises(IntegrityError), transaction.atomic():
        OpportunityFactory(impact=6)


@pytest.mark.django_db
def test_touchpoint_codes_are_unique_per_journey():
    touchpoint = TouchpointFactory(code="web")
    TouchpointFactory(code="web")  # another journey
    with pytest.raises(IntegrityError), transaction.atomic():
        TouchpointFactory(journey=touchpoint.journey, phase=touchpoint.phase, code="web")


def test_a_position_between_neighbours_is_their_midpoint():
    assert position_at([GAP, 2 * GAP], 1) == GAP + GAP // 2
    assert position_at([GAP], 1) == 2 * GAP
    assert position_at([GAP], 0) == GAP // 2
    assert position_at([], 0) == GAP
    assert position_at([GAP], 99) == 2 * GAP


def test_no_position_fits_between_adjacent_neighbours():
    assert position_at([5, 6], 1) is None
    assert position_at([1], 0) is None


def test_renumbering_spreads_positions_evenly():
    assert renumbered(3) == [GAP, 2 * GAP, 3 * GAP]
