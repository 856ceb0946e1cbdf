"""ASGI entry point: HTTP goes to Django, WebSockets through Channels with session auth
(origin-checked against ALLOWED_HOSTS)."""

import os

from config.http_handler import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Django must be set up before the routing modules import models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config.serving import tune_for_live_serving  # noqa: E402
from config.ws_auth import SessionUserMiddleware  # noqa: E402
from journeys.realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            SessionUserMiddleware(URLRouter(websocket_urlpatterns))
        ),
    }
)
tune_for_live_serving()
