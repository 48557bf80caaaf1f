"""Analyze with a custom model: the image checks of Image Analysis 4.0, then the trained model.

Loaded models are cached per process (a few, least recently used first out), keyed by the model
row's UUID, so a name that is deleted and trained again never gets the old weights. A process that
answers analyze calls (each gunicorn worker, see config/gunicorn.py) runs ``models_keep_warm`` in
a thread: it imports torch once, runs one throw-away inference of each kind (the first forward
pass of a process is the slow one), loads the models that succeeded last, and then loads each
model that succeeds from then on within ``WARM_POLL_SECONDS``, so no prediction pays for a load.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

from django.db import close_old_connections
from django.utils import timezone
from PIL import Image

from sandbox.vision import conf
from sandbox.vision.errors import VisionApiError, invalid_request, model_not_found
from sandbox.vision.fetch import decode_image
from sandbox.vision.models import VisionModel

logger = logging.getLogger(__name__)
CACHE_SIZE = 4
WARM_POLL_SECONDS = 1.0  # how soon a process loads a model that has just succeeded
WARM_OVERLAP = timedelta(seconds=10)  # each look reaches back this far: a success committed late is seen
_cache: OrderedDict[str, Any] = OrderedDict()
_lock = threading.Lock()
_loading: dict[str, threading.Lock] = {}  # one load per model at a time; the others wait for it


def model_forget(model_id: str) -> None:
    with _lock:
        _cache.pop(model_id, None)


def model_cached(model_id: str) -> bool:
    """Whether this process holds the model loaded (the next analyze with it loads nothing)."""
    with _lock:
        return model_id in _cache


def model_load(model: VisionModel) -> Any:
    """The trainer's TrainedModel of a succeeded model, from the cache when it is there."""
    key = str(model.pk)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        loading = _loading.setdefault(key, threading.Lock())
    with loading:  # a second request for the same model waits for this load instead of repeating it
        with _lock:
            if key in _cache:
                _cache.move_to_end(key)
                return _cache[key]
        try:
            from trainer import TrainedModel

            trained = TrainedModel.load(model.model_dir)
            with _lock:
                _cache[key] = trained
                _cache.move_to_end(key)
                while len(_cache) > CACHE_SIZE:
                    _cache.popitem(last=False)
        finally:
            with _lock:
                _loading.pop(key, None)
    return trained


def models_warm(since: datetime | None = None) -> list[str]:
    """Load (and run once) the succeeded models that this process does not hold: the ``CACHE_SIZE``
    that succeeded last, or those that succeeded at or after ``since``. Their names, newest last."""
    rows = VisionModel.objects.filter(status=VisionModel.Status.SUCCEEDED).exclude(model_dir="")
    if since is not None:
        rows = rows.filter(updated__gte=since)
    warmed = []
    for model in reversed(rows.order_by("-updated")[:CACHE_SIZE]):
        if model_cached(str(model.pk)):
            continue
        try:
            trained = model_load(model)
            trained.predict(Image.new("RGB", (trained.input_size, trained.input_size)))
        except Exception:  # a model folder removed meanwhile, or no torch: analyze will say so
            logger.warning("Could not load model %s ahead of its predictions", model.name, exc_info=True)
            continue
        warmed.append(model.name)
    return warmed


def _first_passes() -> None:
    """One inference of an untrained model of each kind: torch's first forward pass in a process
    sets up its kernels and threads (about 0.1 s), which the first prediction would otherwise pay."""
    from trainer import untrained_model

    for kind in ("classifier", "detector"):
        model = untrained_model(kind, ["a", "b"])
        model.predict(Image.new("RGB", (model.input_size, model.input_size)))


def models_keep_warm(stop: threading.Event | None = None) -> None:
    """The warm-up thread of a process that answers analyze calls (it never returns unless stopped)."""
    try:
        import trainer  # noqa: F401
    except ImportError:
        return  # no torch here: analyze answers that the trainer cannot be imported
    with contextlib.suppress(OSError, AttributeError):  # Linux: lower this thread only, under requests
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    stop = stop or threading.Event()
    since = None
    while not stop.is_set():
        checked = timezone.now()
        try:
            if since is None:
                _first_passes()
            warmed = models_warm(since)
            if warmed:
                logger.info("Models loaded ahead of their predictions: %s", ", ".join(warmed))
            since = checked - WARM_OVERLAP
        except Exception:
            logger.warning("Keeping models warm failed; trying again", exc_info=True)
        finally:
            close_old_connections()
        stop.wait(WARM_POLL_SECONDS)


def image_open(data: bytes) -> tuple[Image.Image, tuple[int, int]]:
    """The decoded picture and the size the file holds; or the service's InvalidRequest with its
    inner code. A JPEG is decoded at the smallest DCT scale that covers
    ``conf.TRAINING_PICTURE_SIDE`` (a model's input is at most 320 px, and a 12-megapixel phone
    photo decodes to 36 MB at full scale); boxes are scaled back to the file's pixels."""
    if not data or len(data) > conf.ANALYZE_MAX_BYTES:
        raise invalid_request(
            f"The image size is not allowed to be zero or larger than {conf.ANALYZE_MAX_BYTES} bytes.",
            "InvalidImageSize",
        )
    try:
        picture, size = decode_image(data, conf.TRAINING_PICTURE_SIDE, draft_only=True)
    except ValueError as exc:
        raise invalid_request("The input data is not a valid image.", "InvalidImageFormat") from exc
    if min(size) < conf.ANALYZE_MIN_SIDE or max(size) > conf.ANALYZE_MAX_SIDE:
        raise invalid_request(
            f"The image dimension is not allowed to be smaller than {conf.ANALYZE_MIN_SIDE} and larger than "
            f"{conf.ANALYZE_MAX_SIDE}.",
            "InvalidImageSize",
        )
    return picture, size


def analyze(*, model_name: str, data: bytes, api_version: str) -> dict[str, Any]:
    model = VisionModel.objects.filter(name=model_name).first()
    if model is None:
        raise model_not_found(model_name)
    if model.status != VisionModel.Status.SUCCEEDED:
        raise invalid_request(
            f"Model '{model_name}' is {model.status}; only a succeeded model can analyze.", "ModelNotReady"
        )
    picture, (width, height) = image_open(data)
    began = time.perf_counter()
    try:
        trained = model_load(model)
    except ImportError as exc:
        raise VisionApiError(
            500, "InternalServerError", f"The local trainer cannot be imported ({exc})."
        ) from exc
    loaded = time.perf_counter()
    found = trained.predict(picture)
    # bench/predict.py reads this line for its split of the service call.
    logger.info(
        "analyze %s: load %.1f ms, inference %.1f ms",
        model_name,
        (loaded - began) * 1000,
        (time.perf_counter() - loaded) * 1000,
    )
    tags: list[dict[str, Any]] = []
    objects: list[dict[str, Any]] = []
    if trained.kind == "classifier":
        tags = [{"name": p.class_name, "confidence": round(float(p.confidence), 6)} for p in found]
    else:
        sx, sy = width / picture.width, height / picture.height  # back to the file's pixels
        objects = [
            {
                "boundingBox": {
                    "x": round(p.x * sx),
                    "y": round(p.y * sy),
                    "w": round(p.w * sx),
                    "h": round(p.h * sy),
                },
                "tags": [{"name": p.class_name, "confidence": round(float(p.confidence), 6)}],
            }
            for p in found
        ]
    return {
        "modelVersion": api_version,
        "metadata": {"width": width, "height": height},
        "customModelResult": {"tagsResult": {"values": tags}, "objectsResult": {"values": objects}},
    }
