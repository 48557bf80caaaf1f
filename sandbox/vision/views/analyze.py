from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from sandbox.http import read_body
from sandbox.vision import conf
from sandbox.vision.body import json_object, pick_str
from sandbox.vision.errors import VisionApiError, invalid_request
from sandbox.vision.fetch import Access, FetchError, fetch_bytes
from sandbox.vision.http import api_version
from sandbox.vision.services.prediction import analyze
from sandbox.wire import json_response


def _image_bytes(request: HttpRequest) -> bytes:
    content_type = (request.content_type or "").lower()
    if content_type in ("application/json", "text/json"):
        url = pick_str(json_object(request), "url", required=True)
        try:
            return fetch_bytes(url, Access(), conf.ANALYZE_MAX_BYTES)
        except FetchError as exc:
            if exc.reason.startswith("larger than"):
                raise invalid_request("The image at the URL is too large.", "InvalidImageSize") from exc
            raise invalid_request(f"The image URL cannot be read: {exc}.", "InvalidImageUrl") from exc
    if content_type.startswith("image/") or content_type == "application/octet-stream":
        return read_body(request)
    raise VisionApiError(
        415,
        "InvalidRequest",
        'Send the image as image/* or application/octet-stream, or JSON {"url": ...}.',
        "UnsupportedMediaType",
    )


def analyze_view(request: HttpRequest) -> HttpResponse:
    model_name = request.GET.get("model-name", "")
    if not model_name:
        if not request.GET.get("features"):
            raise invalid_request("features is required when model-name is not given.", "MissingFeatures")
        raise invalid_request(
            "The sandbox analyzes with custom models only (model-name); prebuilt features are not emulated.",
            "NotSupportedFeature",
        )
    return json_response(
        analyze(model_name=model_name, data=_image_bytes(request), api_version=api_version(request))
    )
