from journeys.api.items import MapItemViewSet
from touchpoints import services
from touchpoints.models import Touchpoint
from touchpoints.serializers import TouchpointSerializer


class TouchpointViewSet(MapItemViewSet):
    model, item_name, serializer_class = Touchpoint, "touchpoint", TouchpointSerializer
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

    def _services_module(self):
        return services
