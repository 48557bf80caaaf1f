"""List pages of the Vision API: ``skip`` and ``top`` in, ``{"value": [...], "nextLink": url}`` out."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, JsonResponse

from sandbox.http import query_int
from sandbox.vision import conf
from sandbox.vision.errors import invalid_argument
from sandbox.vision.selectors import Page
from sandbox.wire import json_response


def paging(request: HttpRequest) -> tuple[int, int]:
    skip = query_int(request, "skip", 0, 0, 10**9, invalid=invalid_argument)
    return skip, query_int(request, "top", conf.MAX_TOP, 1, conf.MAX_TOP, invalid=invalid_argument)


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
