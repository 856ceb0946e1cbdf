from journeys.api.items import MapItemViewSet
from touchpoints.serializers import TouchpointSerializer
from touchpoints.services import TOUCHPOINT


class TouchpointViewSet(MapItemViewSet):
    kind, serializer_class = TOUCHPOINT, TouchpointSerializer
    filterset_fields = [
        "journey",
        "phase",
        "lane",
        "channel",
        "department",
        "is_moment_that_matters",
        "code",
    ]
    search_fields = ["name", "description", "code"]
