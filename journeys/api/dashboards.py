"""The dashboards' JSON: thin views over ``journeys.dashboards``, read-only for every role."""

from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from journeys.dashboards.journey import journey_dashboard_get
from journeys.dashboards.portfolio import DEFAULT_SORT, portfolio_filters, portfolio_get
from journeys.dashboards.window import window_from_params
from journeys.exceptions import NotFound
from journeys.selectors import journey_get


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


@api_view(["GET"])
def journey_dashboard(request: Request, journey_id: int) -> Response:
    """One journey's dashboard over ?window= or ?since=&until= (404 when it cannot be seen)."""
    journey = journey_get(user=request.user, journey_id=journey_id)
    if journey is None:
        raise NotFound("No such journey.")
    window = window_from_params(request.query_params)
    data = journey_dashboard_get(journey=journey, since=window.since, until=window.until)
    data["window"]["preset"] = window.preset
    return Response(data)
