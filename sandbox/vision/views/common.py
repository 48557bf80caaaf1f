"""The Vision endpoint wrapper (enabled, faults, key, errors), api-version, and list pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse

from sandbox.http import vision_endpoint
from sandbox.vision import conf
from sandbox.vision.errors import VisionApiError, invalid_argument, invalid_request
from sandbox.vision.selectors import Page

View = Callable[..., HttpResponse]


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


def json_response(data: Any, status: int = 200, etag: str = "") -> JsonResponse:
    response = JsonResponse(data, status=status, safe=False)
    if etag:
        response["ETag"] = f'"{etag}"'
    return response


def no_content() -> HttpResponse:
    response = HttpResponse(status=204)
    del response["Content-Type"]
    return response


def paging(request: HttpRequest) -> tuple[int, int]:
    def number(name: str, default: int, low: int, high: int) -> int:
        raw = request.GET.get(name, "")
        if raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise invalid_argument(f"{name} must be an integer.") from None
        if not low <= value <= high:
            raise invalid_argument(f"{name} must be between {low} and {high}.")
        return value

    return number("skip", 0, 0, 10**9), number("top", conf.MAX_TOP, 1, conf.MAX_TOP)


def page_response(
    request: HttpRequest, page: Page[Any], items: list[dict[str, Any]], path: str
) -> JsonResponse:
    """``{"value": [...], "nextLink": url}``; nextLink only when more items remain."""
    skip, top = paging(request)
    data: dict[str, Any] = {"value": items}
    if page.more:
        query = urlencode({"api-version": request.GET.get("api-version", ""), "skip": skip + top, "top": top})
        data["nextLink"] = request.build_absolute_uri(f"/computervision/{path}") + "?" + query
    return json_response(data)
