"""The sandbox's HTTP surface (first slice: the calls Check connections makes).

Custom Vision Training errors are flat ``{"code", "message"}`` except the APIM-style 401;
Vision errors are ``{"error": {...}}`` with ``x-ms-error-code`` (../shared/wire-formats.md §1.7, §5).
The full APIs arrive with the migration and customization capabilities.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from sandbox.keys import sandbox_key

VISION_API_VERSIONS = {"2023-02-01-preview", "2023-04-01-preview"}


def _key_matches(given: str | None, service: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), sandbox_key(service).encode())


def _enabled(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    from django.conf import settings

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.SANDBOX_ENABLED:
            raise Http404
        return view(request, *args, **kwargs)

    return login_not_required(csrf_exempt(wrapper))


def vision_error(status: int, code: str, message: str) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": message}}, status=status)
    response["x-ms-error-code"] = code
    return response


@_enabled
@require_GET
def cv_projects(request: HttpRequest, version: str) -> HttpResponse:
    # Django's request.headers is case-insensitive, which is what the real service does too.
    if not _key_matches(request.headers.get("Training-Key"), "customvision"):
        return JsonResponse(
            {"error": {"code": "401", "message": "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}},
            status=401,
        )
    return JsonResponse([], safe=False)


@_enabled
@require_GET
def vision_datasets(request: HttpRequest) -> HttpResponse:
    if not _key_matches(request.headers.get("Ocp-Apim-Subscription-Key"), "vision"):
        return vision_error(401, "401", "Access denied due to invalid subscription key or wrong API endpoint.")
    if request.GET.get("api-version") not in VISION_API_VERSIONS:
        return vision_error(400, "InvalidApiVersion", "Supported api-version values: " + ", ".join(sorted(VISION_API_VERSIONS)))
    return JsonResponse({"value": []})
