"""The dashboards' HTML pages: the portfolio (rendered on the server, sortable by link) and one
journey's dashboard (its first data rendered into the page; the JavaScript keeps it live)."""

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from journeys.dashboards.health import HEALTH_FORMULA
from journeys.dashboards.journey import journey_dashboard_get
from journeys.dashboards.portfolio import DEFAULT_SORT, SORT_KEYS, portfolio_filters, portfolio_get
from journeys.dashboards.window import DEFAULT_PRESET, window_from_params
from journeys.exceptions import InvalidInput
from journeys.models import Journey
from journeys.selectors import journey_get
from journeys.web.editor import signed_in
from personas.models import Persona

TEXT_COLUMNS = ("title", "persona", "status", "state")

WINDOW_CHOICES = [
    ("30", "Last 30 days"),
    ("90", "Last 90 days"),
    ("365", "Last 365 days"),
    ("all", "All time"),
]


class DashboardFilterForm(forms.Form):
    persona = forms.ModelChoiceField(
        queryset=Persona.objects.order_by("name"), required=False, empty_label="Any persona"
    )
    status = forms.ChoiceField(
        choices=[("", "Any status"), *Journey.Status.choices], required=False
    )
    state = forms.ChoiceField(choices=[("", "Any state"), *Journey.State.choices], required=False)
    window = forms.ChoiceField(choices=WINDOW_CHOICES, required=False, initial=DEFAULT_PRESET)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


def _first_message(invalid: InvalidInput) -> str:
    """What was wrong with the window, as the page tells it (a date out of range, the order)."""
    for messages_ in invalid.details.get("errors", {}).values():
        return messages_[0]
    return invalid.message


def sparkline_points(points: list[dict[str, Any]], width: int = 80, height: int = 22) -> str:
    """An SVG polyline's points for NPS over time (−100…+100 mapped to the height)."""
    if len(points) < 2:
        return ""
    step = width / (len(points) - 1)
    return " ".join(
        f"{i * step:.1f},{height - (p['nps'] + 100) / 200 * height:.1f}"
        for i, p in enumerate(points)
    )


@signed_in
def portfolio_page(request: HttpRequest) -> HttpResponse:
    """Every journey the user may see, with its health, filterable and sortable."""
    form = DashboardFilterForm(request.GET or None)
    params: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        params = {
            "persona": str(data["persona"].pk) if data["persona"] else "",
            "status": data["status"],
            "state": data["state"],
            "window": data["window"],
            "since": data["since"].isoformat() if data["since"] else "",
            "until": data["until"].isoformat() if data["until"] else "",
        }
    elif form.is_bound:
        messages.error(request, "Some filters were not understood and were left out.")
    sort = request.GET.get("sort") or DEFAULT_SORT
    if sort.lstrip("-") not in SORT_KEYS:
        sort = DEFAULT_SORT
    try:
        window = window_from_params(params)
    except InvalidInput as invalid:
        window = window_from_params({})
        messages.error(request, f"{_first_message(invalid)} Showing {window.description}.")
    portfolio = portfolio_get(
        user=request.user, window=window, filters=portfolio_filters(params), sort=sort
    )
    for row in portfolio["journeys"]:
        row["sparkline_points"] = sparkline_points(row["sparkline"])
    # Each column header links to this page sorted by it: numbers high first, words A–Z,
    # and the other way round when it is the current sort.
    kept = {k: v for k, v in request.GET.items() if k != "sort" and v}
    columns = {}
    for key in SORT_KEYS:
        first = key if key in TEXT_COLUMNS else f"-{key}"
        then = first.removeprefix("-") if first.startswith("-") else f"-{first}"
        columns[key] = {
            "query": "?" + urlencode({**kept, "sort": then if sort == first else first}),
            "active": sort.lstrip("-") == key,
            "descending": sort.startswith("-"),
        }
    return render(
        request,
        "journeys/portfolio.html",
        {
            "portfolio": portfolio,
            "form": form if form.is_bound else DashboardFilterForm(),
            "columns": columns,
            "formula": HEALTH_FORMULA,
        },
    )


@signed_in
def journey_dashboard_page(request: HttpRequest, journey_id: int) -> HttpResponse:
    """One journey's dashboard; the same selector can serve it to a share link later."""
    journey = journey_get(user=request.user, journey_id=journey_id)
    if journey is None:
        raise Http404("No such journey.")
    try:
        window = window_from_params(request.GET)
    except InvalidInput as invalid:
        window = window_from_params({})
        messages.error(request, f"{_first_message(invalid)} Showing {window.description}.")
    dashboard = journey_dashboard_get(
        journey=journey, since=window.since, until=window.until, preset=window.preset
    )
    dashboard["window"]["preset"] = window.preset
    return render(
        request,
        "journeys/dashboard.html",
        {
            "journey": journey,
            "dashboard": dashboard,
            "window_choices": WINDOW_CHOICES,
            "data_url": reverse("journey-dashboard-data", args=[journey.pk]),
            # Watching: the dashboard follows the map but is not shown on it as someone present.
            "socket_path": f"/ws/journeys/{journey.pk}/?watch=1",
            "opportunity_url": reverse("journey-editor", args=[journey.pk]) + "?opportunity={id}",
            "map_url": reverse("journey-editor", args=[journey.pk]),
        },
    )
