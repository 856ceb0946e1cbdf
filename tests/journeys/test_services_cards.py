"""A CX editor adds, edits, moves and deletes cards; every change is versioned and logged."""

import pytest
from django.db import transaction

from journeys import services
from journeys.exceptions import AccessDenied, InvalidInput, NotFound, VersionConflict
from journeys.models import Card, JourneyEvent
from journeys.positions import GAP
from tests.factories import CardFactory, JourneyFactory, PhaseFactory

pytestmark = pytest.mark.django_db


def _card(map_, editor, phase="Awareness", text="Asks a friend", index=None):
    return services.card_create(
        actor=editor,
        journey_id=map_.journey.pk,
        phase_id=map_.phase(phase).pk,
        lane_id=map_.actions.pk,
        text=text,
        index=index,
    )


def test_card_create_bumps_revision_and_logs_the_event(five_phase_map, editor):
    before = five_phase_map.journey.revision
    card = _card(five_phase_map, editor)

    five_phase_map.journey.refresh_from_db()
    assert five_phase_map.journey.revision == before + 1
    event = JourneyEvent.objects.get(journey=five_phase_map.journey, revision=before + 1)
    assert event.kind == "card_created"
    assert event.actor == editor
    assert event.payload["card"]["id"] == card.pk
    assert event.payload["card"]["text"] == "Asks a friend"
    assert card.created_by == editor


def test_card_create_broadcasts_only_after_commit(
    five_phase_map, editor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _card(five_phase_map, editor)
    assert len(callbacks) == 1


def test_card_create_rolled_back_broadcasts_nothing(
    five_phase_map, editor, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _card(five_phase_map, editor)
        raise RuntimeError("the outer work failed")
    assert callbacks == []
    assert not Card.objects.exists()


def test_cards_are_ordered_by_index_in_their_cell(five_phase_map, editor):
    first = _card(five_phase_map, editor, text="first")
    last = _card(five_phase_map, editor, text="last")
    middle = _card(five_phase_map, editor, text="middle", index=1)
    top = _card(five_phase_map, editor, text="top", index=0)

    texts = list(Card.objects.order_by("position").values_list("text", flat=True))
    assert texts == ["top", "first", "middle", "last"]
    assert first.position < middle.position < last.position
    assert top.position > 0


def test_card_update_with_the_current_version_applies_and_bumps_version(five_phase_map, editor):
    card = _card(five_phase_map, editor)
    updated = services.card_update(
        actor=editor,
        card_id=card.pk,
        version=1,
        changes={"text": "Asks two friends", "color": "pink"},
    )
    assert (updated.text, updated.color, updated.version) == ("Asks two friends", "pink", 2)


def test_card_update_with_a_stale_version_is_refused_with_the_current_card(
    five_phase_map, editor, other_editor
):
    card = _card(five_phase_map, editor)
    services.card_update(actor=other_editor, card_id=card.pk, version=1, changes={"text": "Theirs"})

    with pytest.raises(VersionConflict) as refused:
        services.card_update(actor=editor, card_id=card.pk, version=1, changes={"text": "Mine"})

    assert refused.value.current.text == "Theirs"
    assert refused.value.current.version == 2
    card.refresh_from_db()
    assert card.text == "Theirs"


def test_card_update_conflict_records_no_event_and_broadcasts_nothing(
    five_phase_map, editor, django_capture_on_commit_callbacks
):
    card = _card(five_phase_map, editor)
    revision = JourneyEvent.objects.filter(journey=five_phase_map.journey).count()
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(VersionConflict),
    ):
        services.card_update(actor=editor, card_id=card.pk, version=7, changes={"text": "x"})
    assert callbacks == []
    assert JourneyEvent.objects.filter(journey=five_phase_map.journey).count() == revision


def test_card_update_cannot_change_its_cell(five_phase_map, editor):
    card = _card(five_phase_map, editor)
    with pytest.raises(InvalidInput):
        services.card_update(
            actor=editor,
            card_id=card.pk,
            version=1,
            changes={"phase_id": five_phase_map.phases[2].pk},
        )


def test_card_move_to_another_phase_changes_only_its_placement(five_phase_map, editor):
    card = _card(five_phase_map, editor, text="Downloads a PDF")
    target = five_phase_map.phase("Consideration")
    existing = _card(five_phase_map, editor, phase="Consideration", text="Discovers brand")

    moved = services.card_move(
        actor=editor, card_id=card.pk, phase_id=target.pk, index=0, version=1
    )

    assert moved.phase_id == target.pk
    assert moved.text == "Downloads a PDF"
    assert moved.position < existing.position
    assert moved.version == 2
    event = JourneyEvent.objects.filter(journey=five_phase_map.journey).latest("revision")
    assert event.kind == "card_moved"


def test_card_move_renumbers_the_cell_when_the_gap_runs_out(five_phase_map, editor):
    a = _card(five_phase_map, editor, text="a")
    b = _card(five_phase_map, editor, text="b")
    Card.objects.filter(pk=a.pk).update(position=10)
    Card.objects.filter(pk=b.pk).update(position=11)
    c = _card(five_phase_map, editor, text="c")

    services.card_move(actor=editor, card_id=c.pk, index=1)

    texts = list(Card.objects.order_by("position").values_list("text", flat=True))
    assert texts == ["a", "c", "b"]
    positions = list(Card.objects.order_by("position").values_list("position", flat=True))
    assert positions == [GAP, 2 * GAP, 3 * GAP]
    event = JourneyEvent.objects.filter(journey=five_phase_map.journey).latest("revision")
    assert event.payload["renumbered"] == {str(a.pk): GAP, str(b.pk): 3 * GAP}


def test_card_cannot_be_placed_in_another_journeys_phase(five_phase_map, editor):
    foreign_phase = PhaseFactory(journey=JourneyFactory())
    with pytest.raises(InvalidInput) as refused:
        services.card_create(
            actor=editor,
            journey_id=five_phase_map.journey.pk,
            phase_id=foreign_phase.pk,
            lane_id=five_phase_map.actions.pk,
            text="x",
        )
    assert "phase" in refused.value.details["errors"]


def test_card_delete_removes_it_and_logs_the_event(five_phase_map, editor):
    card = _card(five_phase_map, editor)
    services.card_delete(actor=editor, card_id=card.pk)
    assert not Card.objects.filter(pk=card.pk).exists()
    event = JourneyEvent.objects.filter(journey=five_phase_map.journey).latest("revision")
    assert (event.kind, event.payload["card"]["id"]) == ("card_deleted", card.pk)


def test_a_viewer_cannot_change_cards(five_phase_map, viewer):
    with pytest.raises(AccessDenied):
        services.card_create(
            actor=viewer,
            journey_id=five_phase_map.journey.pk,
            phase_id=five_phase_map.phases[0].pk,
            lane_id=five_phase_map.actions.pk,
            text="x",
        )


def test_an_editor_outside_a_restricted_journey_cannot_see_its_cards(other_editor):
    card = CardFactory(journey__is_restricted=True)
    with pytest.raises(NotFound):
        services.card_update(actor=other_editor, card_id=card.pk, version=1, changes={"text": "x"})


def test_adding_a_card_costs_the_same_few_queries_on_a_busy_map(five_phase_map, editor):
    # The live editor's hot path: one read (journey, references, last position), then the
    # card, the revision and the event (the last two one statement on PostgreSQL).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _card(five_phase_map, editor)
    with CaptureQueriesContext(connection) as small:
        _card(five_phase_map, editor)
    for n in range(50):
        _card(five_phase_map, editor, phase="Conversion", text=f"card {n}")
    with CaptureQueriesContext(connection) as busy:
        _card(five_phase_map, editor, phase="Conversion")
    statements = [q["sql"] for q in busy.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(busy.captured_queries) == len(small.captured_queries)
    assert len(statements) == (3 if connection.vendor == "postgresql" else 4)


def test_every_wrong_reference_is_named_at_once(five_phase_map, editor, other_editor):
    elsewhere = services.journey_create(actor=other_editor, title="Other", template="five_phase")
    with pytest.raises(InvalidInput) as refused:
        services.card_create(
            actor=editor,
            journey_id=five_phase_map.journey.pk,
            phase_id=elsewhere.phases.first().pk,
            lane_id=elsewhere.lanes.first().pk,
            text="Lost",
        )
    assert set(refused.value.details["errors"]) == {"phase", "lane"}
    assert not Card.objects.filter(text="Lost").exists()


def test_the_journey_read_compiled_once_answers_for_each_edits_own_ids(
    five_phase_map, editor, other_editor
):
    # Edits of one shape share one compiled query; each must still read its own cell and refs.
    first = _card(five_phase_map, editor, phase="Awareness")
    second = _card(five_phase_map, editor, phase="Awareness")
    elsewhere_cell = _card(five_phase_map, editor, phase="Conversion")
    assert (first.position, second.position, elsewhere_cell.position) == (GAP, 2 * GAP, GAP)
    elsewhere = services.journey_create(actor=other_editor, title="Other", template="five_phase")
    with pytest.raises(InvalidInput) as refused:
        services.card_create(
            actor=editor,
            journey_id=five_phase_map.journey.pk,
            phase_id=elsewhere.phases.first().pk,
            lane_id=five_phase_map.actions.pk,
            text="Lost",
        )
    assert set(refused.value.details["errors"]) == {"phase"}
