"""What a visitor with a share link sees: the read-only map (or its dashboard), no account needed.

A link that was revoked or has expired answers 410 with a page that says so; a token that never
existed answers 404 with the same page, so neither tells an outsider which tokens are real.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from journeys import services
from journeys.models import ShareLink
from journeys.pages import editor_data_get
from journeys.selectors import share_link_resolve


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
    services.share_link_opened(share_link=link)
    journey = link.journey
    if link.target == ShareLink.Target.DASHBOARD:
        return _private(shared_dashboard_page(request, link))
    editor_data = editor_data_get(journey, request=request, can_edit=False, shared=True)
    editor_data["liveUrl"] = f"/ws/share/{link.token}/"
    return _private(
        render(
            request,
            "journeys/editor.html",
            {
                "journey": journey,
                "editor_data": editor_data,
                "can_edit": False,
                "shared_link": link,
            },
        )
    )


def shared_dashboard_page(request: HttpRequest, link: ShareLink) -> HttpResponse:
    raise NotImplementedError  # wired once the journey dashboard lands
