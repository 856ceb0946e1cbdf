from rest_framework import serializers

from journeys.serializers import PlacedItemSerializer
from touchpoints.models import Touchpoint


class TouchpointSerializer(PlacedItemSerializer):
    phase = serializers.IntegerField(source="phase_id")
    # Left out on create: the journey's first touchpoints lane.
    lane = serializers.IntegerField(source="lane_id", required=False)
    code = serializers.SlugField(max_length=80, required=False)

    class Meta:
        model = Touchpoint
        fields = [
            "id",
            "journey",
            "phase",
            "lane",
            "name",
            "channel",
            "department",
            "description",
            "is_moment_that_matters",
            "code",
            "position",
            "index",
            "version",
            "updated_by",
        ]
