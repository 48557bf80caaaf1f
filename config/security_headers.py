"""Content-Security-Policy on every response, and ``Cache-Control: private, no-store`` on what a
signed-in person is shown.

Django 5.2 has no CSP of its own (6.0 adds one), so this small middleware sets it. Every script and
stylesheet is a vendored file under /static/ (htmx comes from django-htmx's static files), no page
has an inline ``<script>``, ``on*=`` handler or ``style="..."`` attribute, and htmx is told not to
inject its indicator ``<style>`` nor to ``eval`` (the ``htmx-config`` meta tag in base.html). Sizes
and colours that come from data (progress bars, label colours, boxes drawn on images) are carried
in ``data-*`` attributes and set from static/js/app.js through the CSSOM, which the policy allows.

It sits before WhiteNoise so that static files get the policy too; they keep WhiteNoise's own
caching headers. A view that sets its own ``Cache-Control`` (the gallery's thumbnails, the prediction
image) keeps it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # data: and blob: let a page show an image it made itself; no page does today.
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
NO_STORE = "private, no-store"


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.static_prefix = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        user = getattr(request, "user", None)  # unset for what WhiteNoise answered
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.static_prefix)
            and "Cache-Control" not in response.headers
        ):
            # Workspace pages, fragments and downloads: not kept by the browser nor by a proxy, so
            # they are gone after sign-out and never shown to the next person on a shared machine.
            response.headers["Cache-Control"] = NO_STORE
        return response
