"""Analyze with a custom model: the image checks of Image Analysis 4.0, then the trained model.

Loaded models are cached per process (a few, least recently used first out), keyed by the model
row's UUID, so a name that is deleted and trained again never gets the old weights.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections import OrderedDict
from typing import Any

from PIL import Image, UnidentifiedImageError

from sandbox.vision import conf
from sandbox.vision.errors import VisionApiError, invalid_request, model_not_found
from sandbox.vision.models import VisionModel

CACHE_SIZE = 4
_cache: OrderedDict[str, Any] = OrderedDict()
_lock = threading.Lock()


def trainer_import() -> None:
    """Import the trainer (and torch) now, so that no prediction pays for it; quiet without torch."""
    with contextlib.suppress(ImportError):
        import trainer  # noqa: F401


def model_forget(model_id: str) -> None:
    with _lock:
        _cache.pop(model_id, None)


def model_load(model: VisionModel) -> Any:
    """The trainer's TrainedModel of a succeeded model, from the cache when it is there."""
    key = str(model.pk)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    from trainer import TrainedModel

    trained = TrainedModel.load(model.model_dir)
    with _lock:
        _cache[key] = trained
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return trained


def image_open(data: bytes) -> Image.Image:
    """The decoded picture, or the service's InvalidRequest with its inner code."""
    if not data or len(data) > conf.ANALYZE_MAX_BYTES:
        raise invalid_request(
            f"The image size is not allowed to be zero or larger than {conf.ANALYZE_MAX_BYTES} bytes.",
            "InvalidImageSize",
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            picture = image.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise invalid_request("The input data is not a valid image.", "InvalidImageFormat") from exc
    if min(picture.size) < conf.ANALYZE_MIN_SIDE or max(picture.size) > conf.ANALYZE_MAX_SIDE:
        raise invalid_request(
            f"The image dimension is not allowed to be smaller than {conf.ANALYZE_MIN_SIDE} and larger than "
            f"{conf.ANALYZE_MAX_SIDE}.",
            "InvalidImageSize",
        )
    return picture


def analyze(*, model_name: str, data: bytes, api_version: str) -> dict[str, Any]:
    model = VisionModel.objects.filter(name=model_name).first()
    if model is None:
        raise model_not_found(model_name)
    if model.status != VisionModel.Status.SUCCEEDED:
        raise invalid_request(
            f"Model '{model_name}' is {model.status}; only a succeeded model can analyze.", "ModelNotReady"
        )
    picture = image_open(data)
    try:
        trained = model_load(model)
    except ImportError as exc:
        raise VisionApiError(
            500, "InternalServerError", f"The local trainer cannot be imported ({exc})."
        ) from exc
    found = trained.predict(picture)
    tags: list[dict[str, Any]] = []
    objects: list[dict[str, Any]] = []
    if trained.kind == "classifier":
        tags = [{"name": p.class_name, "confidence": round(float(p.confidence), 6)} for p in found]
    else:
        objects = [
            {
                "boundingBox": {"x": int(p.x), "y": int(p.y), "w": int(p.w), "h": int(p.h)},
                "tags": [{"name": p.class_name, "confidence": round(float(p.confidence), 6)}],
            }
            for p in found
        ]
    return {
        "modelVersion": api_version,
        "metadata": {"width": picture.width, "height": picture.height},
        "customModelResult": {"tagsResult": {"values": tags}, "objectsResult": {"values": objects}},
    }
