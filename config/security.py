"""The Content-Security-Policy every answer carries (Django 5.2 has none of its own).

Strict, because the product's pages need nothing more: scripts are ES modules and vendored files
served from the site itself, styles are stylesheets (no ``<style>`` blocks, no ``style=""``
attributes; scripts set styles through the CSSOM, which the policy allows), and no page is
framed (the same as ``X-Frame-Options: DENY``). An injected ``<script>`` or ``onclick=""``, were
one ever to slip through the templates' escaping, would not run.
"""

from django.conf import settings
from django.utils.deprecation import MiddlewareMixin

STRICT_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # data: for the favicon (an inline SVG) and the icons of the API docs' stylesheet.
        "img-src 'self' data:",
        "font-src 'self'",
        # 'self' covers the page's own WebSocket (ws:/wss: on the same host) in CSP 3.
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware(MiddlewareMixin):
    """Adds the policy (``CONTENT_SECURITY_POLICY``) to answers that do not set their own.

    MiddlewareMixin: usable in the async chain as in the sync one, so it adds no thread hop."""

    def process_response(self, request, response):
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
