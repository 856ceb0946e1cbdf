"""Shared by the benchmarks: a large map built directly in the database, and live maps."""

from dataclasses import dataclass

PHASES, LANES, CARDS, TOUCHPOINTS = 12, 8, 1000, 100


def build_map(username: str = "bench-viewer", password: str = "bench-pass"):
    """A 12-phase × 8-lane map with 1,000 cards and 100 touchpoints, and a user to read it."""
    from django.contrib.auth import get_user_model

    from journeys.models import Card, Journey, Lane, Phase
    from journeys.positions import GAP
    from journeys.roles import ensure_role_groups
    from personas.models import Persona
    from touchpoints.models import Touchpoint

    ensure_role_groups()
    user = get_user_model().objects.create_user(username, password=password)
    persona = Persona.objects.create(name="Bench persona", goals=["Fast maps"])
    journey = Journey.objects.create(title="Bench map", persona=persona, owner=user)
    phases = Phase.objects.bulk_create(
        Phase(journey=journey, name=f"Phase {i + 1}", position=(i + 1) * GAP) for i in range(PHASES)
    )
    kinds = [
        "actions",
        "touchpoints",
        "thoughts",
        "pain_points",
        "notes",
        "backstage",
        "kpis",
        "channels",
    ]
    lanes = Lane.objects.bulk_create(
        Lane(
            journey=journey,
            name=f"Lane {i + 1}",
            kind=kinds[i % len(kinds)],
            position=(i + 1) * GAP,
        )
        for i in range(LANES)
    )
    card_lanes = [lane for lane in lanes if lane.kind != "touchpoints"]
    Card.objects.bulk_create(
        Card(
            journey=journey,
            phase=phases[i % PHASES],
            lane=card_lanes[(i // PHASES) % len(card_lanes)],
            text=f"Card number {i} with a sentence of text",
            position=(i + 1) * GAP,
        )
        for i in range(CARDS)
    )
    Touchpoint.objects.bulk_create(
        Touchpoint(
            journey=journey,
            phase=phases[i % PHASES],
            lane=lanes[1],
            name=f"Touchpoint {i}",
            code=f"tp-{i}",
            position=(i + 1) * GAP,
        )
        for i in range(TOUCHPOINTS)
    )
    return journey, user


@dataclass(frozen=True)
class LiveMap:
    """A map of the live benchmark and the cell its editors add cards to."""

    journey_id: int
    phase_id: int
    lane_id: int


def build_live_maps(count: int, username: str = "bench-editor"):
    """An editor and ``count`` five-phase maps with one card each (a card as events carry it)."""
    from django.contrib.auth.models import Group

    from journeys import services
    from tests.factories import UserFactory

    editor = UserFactory(username=username)
    editor.groups.add(Group.objects.get(name="Editors"))
    maps = []
    for n in range(count):
        journey = services.journey_create(actor=editor, title=f"Live {n}", template="five_phase")
        phase = journey.phases.order_by("position").first()
        lane = journey.lanes.order_by("position").first()
        maps.append(LiveMap(journey.pk, phase.pk, lane.pk))
    sample = services.card_create(
        actor=editor,
        journey_id=maps[0].journey_id,
        phase_id=maps[0].phase_id,
        lane_id=maps[0].lane_id,
        text="sample",
    )
    return editor, maps, sample
