"""What a visitor with a share link sees: the read-only map (or its dashboard), no account needed.

A link that was revoked or has expired answers 410 with a page that says so; a token that never
existed answers 404 with the same page, so neither tells an outsider which tokens are real.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from config.errors import error_answer
from journeys import services
from journeys.dashboards.journey import journey_dashboard_get
from journeys.dashboards.window import Window, window_from_params
from journeys.exceptions import InvalidInput
from journeys.models import ShareLink
from journeys.selectors import share_link_resolve
from journeys.web.dashboards import WINDOW_CHOICES
from journeys.web.editor import editor_data_get


def _private(response: HttpResponse) -> HttpResponse:
    # The token is in the address: keep it out of Referer headers, caches and search engines.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def share_link_invalid(request: HttpRequest, *, status: int, reason: str) -> HttpResponse:
    return _private(
        render(request, "journeys/share_invalid.html", {"reason": reason}, status=status)
    )


@never_cache
def share_link_page(request: HttpRequest, token: str) -> HttpResponse:
    link = share_link_resolve(token=token)
    if link is None:
        return share_link_invalid(request, status=404, reason="unknown")
    state = link.state_at(timezone.now())
    if state != "active":
        return share_link_invalid(request, status=410, reason=state)
    first_open = request.method == "GET" and not _opened_before(request, link)
    if first_open:
        services.share_link_opened(share_link=link)
    response = _private(_shared_page(request, link))
    if first_open:
        _remember_opened(response, link)
    return response


# A visitor's browser remembers, in a signed cookie scoped to the link's address, that it has
# opened the link: reloads, a second tab and the page's own data requests count as one open.
_OPENED_COOKIE = "jb_opened"
_OPENED_SALT = "journeys.share-link-opened"


def _opened_before(request: HttpRequest, link: ShareLink) -> bool:
    opened = request.get_signed_cookie(_OPENED_COOKIE, default=None, salt=_OPENED_SALT)
    return opened == str(link.pk)


def _remember_opened(response: HttpResponse, link: ShareLink) -> None:
    response.set_signed_cookie(
        _OPENED_COOKIE,
        str(link.pk),
        salt=_OPENED_SALT,
        max_age=365 * 24 * 3600,
        path=reverse("share-link", kwargs={"token": link.token}),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _shared_page(request: HttpRequest, link: ShareLink) -> HttpResponse:
    journey = link.journey
    if link.target == ShareLink.Target.DASHBOARD:
        return shared_dashboard_page(request, link)
    editor_data = editor_data_get(journey, request=request, can_edit=False, shared=True)
    editor_data["liveUrl"] = f"/ws/share/{link.token}/"
    return render(
        request,
        "journeys/editor.html",
        {
            "journey": journey,
            "editor_data": editor_data,
            "can_edit": False,
            "shared_link": link,
        },
    )


def _shared_dashboard_data(link: ShareLink, window: Window) -> dict:
    """The journey dashboard as its team sees it, less the customers' comments."""
    data = journey_dashboard_get(
        journey=link.journey, since=window.since, until=window.until, preset=window.preset
    )
    data["window"]["preset"] = window.preset
    data["comments"] = []
    return data


def _page_window(params) -> Window:
    # A page shows the default window rather than an error for a hand-edited address.
    try:
        return window_from_params(params)
    except InvalidInput:
        return window_from_params({})


def shared_dashboard_page(request: HttpRequest, link: ShareLink) -> HttpResponse:
    return render(
        request,
        "journeys/dashboard.html",
        {
            "journey": link.journey,
            "dashboard": _shared_dashboard_data(link, _page_window(request.GET)),
            "window_choices": WINDOW_CHOICES,
            "data_url": reverse("share-link-data", kwargs={"token": link.token}),
            "socket_path": f"/ws/share/{link.token}/",
            # A dashboard link opens no map: its opportunities do not link into the editor.
            "opportunity_url": "",
            "map_url": None,
            "shared_link": link,
        },
    )


@never_cache
def share_link_data(request: HttpRequest, token: str) -> HttpResponse:
    """A shared dashboard's data, for its live refresh; 410 once the link is dead."""
    link = share_link_resolve(token=token)
    if link is None or link.target != ShareLink.Target.DASHBOARD:
        return _private(JsonResponse({"code": "not_found", "detail": "No such link."}, status=404))
    if link.state_at(timezone.now()) != "active":
        gone = {"code": "link_gone", "detail": "This link is no longer valid."}
        return _private(JsonResponse(gone, status=410))
    try:
        window = window_from_params(request.GET)
    except InvalidInput as invalid:
        # The page's script asks only for windows it offers: say what is wrong, in our shape.
        status, body = error_answer(invalid)
        return _private(JsonResponse(body, status=status))
    data = _shared_dashboard_data(link, window)
    return _private(JsonResponse(data, encoder=DjangoJSONEncoder))
