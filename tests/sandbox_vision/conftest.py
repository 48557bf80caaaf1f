"""Fixtures for driving the Vision stand-in with the official samples package over HTTP.

COCO datasets are written to a local blob container served by signed URL (blobstore.local), the
way a real dataset sits in a blob container: with a container SAS (authentication "sas") or with
per-blob signed URLs that need no credentials ("managedIdentity").
"""

from __future__ import annotations

import io
import json
import random
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cognitive_service_vision_model_customization_python_samples import (
    Authentication,
    AuthenticationKind,
    DatasetClient,
    EvaluationClient,
    PredictionClient,
    ResourceType,
    TrainingClient,
)
from cognitive_service_vision_model_customization_python_samples.models import ModelResponse
from PIL import Image, ImageDraw

from blobstore.local import LocalBlobStore
from sandbox.injection import throttle_reset
from sandbox.keys import sandbox_key
from sandbox.services.faults import faults_invalidate

# Training tasks go to the session's queue, with a trainer config that lets budgets of seconds train
# on a busy 2-core machine: tests/settings.py sets both in the environment, before the settings (and
# the worker, which inherits that environment) read it.

API_VERSION = "2023-04-01-preview"
SHAPES = ("circle", "square")


@dataclass
class Vision:
    url: str
    key: str
    datasets: DatasetClient
    training: TrainingClient
    evaluation: EvaluationClient
    prediction: PredictionClient

    def api(self, path: str) -> str:
        return f"{self.url}/computervision/{path.lstrip('/')}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Ocp-Apim-Subscription-Key": self.key}

    @property
    def params(self) -> dict[str, str]:
        return {"api-version": API_VERSION}


def vision_clients(url: str, key: str) -> Vision:
    multi = ResourceType.MULTI_SERVICE_RESOURCE
    return Vision(
        url,
        key,
        DatasetClient(multi, None, url, key),
        TrainingClient(multi, None, url, key),
        EvaluationClient(multi, None, url, key),
        PredictionClient(multi, None, url, key),
    )


@pytest.fixture
def vision(live_server, settings) -> Vision:
    settings.VISIONPORT_PUBLIC_URL = live_server.url
    return vision_clients(live_server.url, sandbox_key("vision"))


@pytest.fixture(autouse=True)
def _fresh_faults() -> Iterator[None]:
    faults_invalidate()
    throttle_reset()
    yield
    faults_invalidate()
    throttle_reset()


# --- Pictures and COCO files ------------------------------------------------------------------


def shape_picture(shape: str, seed: int, size: tuple[int, int] = (96, 96)) -> tuple[bytes, tuple[float, ...]]:
    """A PNG of one shape on a plain background, and its relative box (left, top, width, height)."""
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, (230 + rng.randrange(20), 230 + rng.randrange(20), 230))
    draw = ImageDraw.Draw(image)
    side = rng.randrange(width // 3, width // 2)
    left, top = rng.randrange(2, width - side - 2), rng.randrange(2, height - side - 2)
    colour = (rng.randrange(0, 120), rng.randrange(0, 120), rng.randrange(0, 120))
    if shape == "circle":
        draw.ellipse([left, top, left + side, top + side], fill=colour)
    else:
        draw.rectangle([left, top, left + side, top + side], fill=colour)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue(), (left / width, top / height, side / width, side / height)


def jpeg(size: tuple[int, int], colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


class DatasetFolder:
    """A blob container holding datasets: images plus COCO files, readable by signed URL."""

    def __init__(self) -> None:
        self.container = f"vision-test-{uuid.uuid4().hex[:10]}"
        self.store = LocalBlobStore("storage", "", self.container)
        self.store.create_container()
        self.sas = self.store.container_sas(expires_in=3600)

    def put_image(self, name: str, data: bytes) -> None:
        self.store.put(name, data, "image/png")

    def link(self, name: str, *, signed: bool) -> str:
        return self.store.signed_url(name, expires_in=3600) if signed else self.store.url(name)

    def coco(
        self,
        folder: str,
        *,
        kind: str = "imageClassification",
        per_class: int = 8,
        signed: bool = False,
        seed: int = 0,
        shapes: tuple[str, ...] = SHAPES,
    ) -> dict[str, Any]:
        """Write ``per_class`` pictures of each shape and return their COCO (not yet written)."""
        images: list[dict[str, Any]] = []
        annotations: list[dict[str, Any]] = []
        for n in range(per_class * len(shapes)):
            shape_index = n % len(shapes)
            data, box = shape_picture(shapes[shape_index], seed * 1000 + n)
            name = f"{folder}/images/{n + 1}.png"
            self.put_image(name, data)
            images.append(
                {
                    "id": n + 1,
                    "width": 96,
                    "height": 96,
                    "file_name": name,
                    "coco_url": self.link(name, signed=signed),
                }
            )
            annotation: dict[str, Any] = {"id": n + 1, "image_id": n + 1, "category_id": shape_index + 1}
            if kind == "imageObjectDetection":
                annotation["bbox"] = [round(v, 4) for v in box]
            annotations.append(annotation)
        categories = [{"id": i + 1, "name": s} for i, s in enumerate(shapes)]
        return {"images": images, "annotations": annotations, "categories": categories}

    def put_coco(self, name: str, coco: Any, *, signed: bool = False) -> str:
        self.store.put(name, json.dumps(coco).encode(), "application/json")
        return self.link(name, signed=signed)

    def remove(self) -> None:
        shutil.rmtree(self.store.root, ignore_errors=True)


@pytest.fixture
def folder(vision) -> Iterator[DatasetFolder]:
    data = DatasetFolder()
    yield data
    data.remove()


def sas_auth(folder: DatasetFolder) -> Authentication:
    return Authentication(AuthenticationKind.SAS, folder.sas)


# --- Waiting ----------------------------------------------------------------------------------


def wait_model(vision: Vision, name: str, statuses: set[str], timeout: float = 120) -> ModelResponse:
    """Poll with the samples' query_model until the status is one of ``statuses``."""
    deadline = time.monotonic() + timeout
    while True:
        model = vision.training.query_model(name)
        if model.status.value in statuses:
            return model
        if time.monotonic() > deadline:
            raise AssertionError(f"Model {name} still {model.status.value} after {timeout} s")
        time.sleep(0.25)


def wait_evaluation(vision: Vision, model: str, name: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        run = vision.evaluation.query_run(name, model)
        if run.status.value in ("succeeded", "failed"):
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"Evaluation {name} still {run.status.value} after {timeout} s")
        time.sleep(0.25)
