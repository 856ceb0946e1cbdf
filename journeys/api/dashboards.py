"""The dashboards' JSON: thin views over ``journeys.dashboards``, read-only for every role."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from journeys.api.answers import JourneyDashboardSerializer, PortfolioSerializer
from journeys.dashboards.journey import journey_dashboard_get
from journeys.dashboards.portfolio import (
    DEFAULT_SORT,
    SORT_KEYS,
    portfolio_filters,
    portfolio_get,
)
from journeys.dashboards.window import WINDOW_PRESETS, window_from_params
from journeys.exceptions import NotFound
from journeys.models import Journey
from journeys.selectors import journey_get

WINDOW_PARAMETERS = [
    OpenApiParameter("window", str, enum=list(WINDOW_PRESETS), description="The last N days."),
    OpenApiParameter("since", OpenApiTypes.DATE, description="A custom window's first day."),
    OpenApiParameter("until", OpenApiTypes.DATE, description="Its last day (today if left out)."),
]


@extend_schema(
    parameters=[
        *WINDOW_PARAMETERS,
        OpenApiParameter("persona", int),
        OpenApiParameter("status", str, enum=Journey.Status.values),
        OpenApiParameter("state", str, enum=Journey.State.values),
        OpenApiParameter(
            "sort", str, enum=[*SORT_KEYS, *(f"-{key}" for key in SORT_KEYS)], default=DEFAULT_SORT
        ),
    ],
    responses=PortfolioSerializer,
)
@api_view(["GET"])
def portfolio(request: Request) -> Response:
    """Every visible journey's health: ?window=30|90|365|all or ?since=&until=, ?persona=,
    ?status=, ?state=, ?sort=<column> (``-`` for descending)."""
    data = portfolio_get(
        user=request.user,
        window=window_from_params(request.query_params),
        filters=portfolio_filters(request.query_params),
        sort=request.query_params.get("sort") or DEFAULT_SORT,
    )
    return Response(data)


@extend_schema(parameters=WINDOW_PARAMETERS, responses=JourneyDashboardSerializer)
@api_view(["GET"])
def journey_dashboard(request: Request, journey_id: int) -> Response:
    """One journey's dashboard over ?window= or ?since=&until= (404 when it cannot be seen)."""
    journey = journey_get(user=request.user, journey_id=journey_id)
    if journey is None:
        raise NotFound("No such journey.")
    window = window_from_params(request.query_params)
    data = journey_dashboard_get(
        journey=journey, since=window.since, until=window.until, preset=window.preset
    )
    data["window"]["preset"] = window.preset
    return Response(data)
