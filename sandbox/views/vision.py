"""Vision (Image Analysis 4.0 model customization) stand-in: the slice Check connections calls."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from sandbox.http import vision_error

VISION_API_VERSIONS = {"2023-02-01-preview", "2023-04-01-preview"}


def vision_datasets(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return vision_error(405, "MethodNotAllowed", f"{request.method} is not supported here.")
    if request.GET.get("api-version") not in VISION_API_VERSIONS:
        return vision_error(
            400,
            "InvalidApiVersion",
            "Supported api-version values: " + ", ".join(sorted(VISION_API_VERSIONS)),
        )
    return JsonResponse({"value": []})
