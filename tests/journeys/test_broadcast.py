"""A committed change reaches everyone listening on the map's channel-layer group."""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from journeys.realtime.broadcast import journey_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener(five_phase_map):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    group = journey_group(five_phase_map.journey.pk)
    async_to_sync(layer.group_add)(group, channel)
    yield lambda: async_to_sync(layer.receive)(channel)
    async_to_sync(layer.group_discard)(group, channel)


def test_a_committed_card_reaches_the_maps_group_with_its_revision(
    five_phase_map, editor, listener, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        card = five_phase_map.add_card(editor, "Asks a friend")

    message = listener()
    event = json.loads(message["text"])
    assert (message["type"], event["type"]) == ("journey.event", "event")
    assert (event["kind"], event["journey"], event["actor"]) == (
        "card_created",
        five_phase_map.journey.pk,
        editor.pk,
    )
    five_phase_map.journey.refresh_from_db()
    assert event["revision"] == five_phase_map.journey.revision
    assert event["payload"]["card"]["id"] == card.pk
