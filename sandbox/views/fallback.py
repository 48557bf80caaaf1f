from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from sandbox.errors import CvError


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under the API: JSON, as the service answers, not the site's HTML 404."""
    raise CvError(404, "NotFound", "Resource not found")
