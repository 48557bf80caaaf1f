"""The request side of the Vision API: its endpoint wrapper (enabled, faults, key, errors) and api-version.

``vision_api(GET=view, PUT=view)`` builds the view for one Vision URL, behind sandbox.http's shared
wrapper; its errors are ``{"error": {"code", "message"[, "innererror"]}}`` (sandbox.vision.errors).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from sandbox.http import View, sandbox_endpoint
from sandbox.vision import conf
from sandbox.vision.errors import VisionApiError, invalid_request


def vision_error(status: int, code: str, message: str) -> HttpResponse:
    return VisionApiError(status, code, message).response()


def vision_endpoint(view: View) -> View:
    return sandbox_endpoint(
        view,
        error_body=vision_error,
        key_header="Ocp-Apim-Subscription-Key",
        service="vision",
        unauthorized=lambda: vision_error(
            401, "401", "Access denied due to invalid subscription key or wrong API endpoint."
        ),
    )


def api_version(request: HttpRequest) -> str:
    version = request.GET.get("api-version", "")
    if version not in conf.API_VERSIONS:
        raise invalid_request(
            f"api-version '{version}' is not supported here; use one of {', '.join(conf.API_VERSIONS)}.",
            "UnsupportedApiVersion",
        )
    return version


def vision_api(**methods: View) -> View:
    """One Vision URL with a view per HTTP method, behind sandbox.http's wrapper.

    VisionApiError is answered here, so its ``innererror`` survives; anything else unexpected
    becomes the wrapper's 500.
    """

    def dispatch(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        try:
            view = methods.get(request.method or "")
            if view is None:
                raise VisionApiError(
                    405, "MethodNotAllowed", f"{request.method} is not supported on this path."
                )
            api_version(request)
            return view(request, *args, **kwargs)
        except VisionApiError as exc:
            return exc.response()

    return vision_endpoint(dispatch)


def _not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return VisionApiError(404, "404", "Resource not found").response()


vision_not_found = vision_endpoint(_not_found)
