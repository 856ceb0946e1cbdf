"""ASGI entry point: HTTP goes to Django, WebSockets through Channels with session auth
(origin-checked against ALLOWED_HOSTS)."""

import os
import sys

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Django must be set up before the routing modules import models.
django_asgi_app = get_asgi_application()
# Edits run in worker threads beside the event loop that delivers events; the default 5 ms
# GIL switch interval lets one starve the other for that long per hand-over.
sys.setswitchinterval(float(os.environ.get("JOURNEYBOARD_SWITCH_INTERVAL", "0.001")))

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config.ws_auth import SessionUserMiddleware  # noqa: E402
from journeys.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            SessionUserMiddleware(URLRouter(websocket_urlpatterns))
        ),
    }
)
