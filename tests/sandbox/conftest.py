"""Fixtures for driving the sandbox with the official Custom Vision SDK over HTTP."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator

import pytest
from azure.cognitiveservices.vision.customvision.training import CustomVisionTrainingClient
from msrest.authentication import ApiKeyCredentials
from PIL import Image, ImageDraw

from sandbox.injection import throttle_reset
from sandbox.keys import sandbox_key
from sandbox.services.faults import faults_invalidate

CLASSIFICATION_GENERAL = "ee85a74c-405e-4adc-bb47-ffa8ca0c9f31"
DETECTION_GENERAL = "da2e3a8a-40a5-4171-82f4-58522f70fbc1"


def sdk_client(base_url: str, key: str | None = None) -> CustomVisionTrainingClient:
    return CustomVisionTrainingClient(
        f"{base_url}/sandbox",
        ApiKeyCredentials(in_headers={"Training-key": key or sandbox_key("customvision")}),
    )


def api_url(base_url: str, path: str) -> str:
    return f"{base_url}/sandbox/customvision/v3.4-preview/training/{path.lstrip('/')}"


def key_headers() -> dict[str, str]:
    return {"Training-Key": sandbox_key("customvision")}


def picture(seed: int, fmt: str = "JPEG", size: tuple[int, int] = (64, 48)) -> bytes:
    """A small, distinct picture per seed."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(3):
        x, y = rng.randrange(size[0] - 10), rng.randrange(size[1] - 10)
        draw.rectangle([x, y, x + 10, y + 10], fill=tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


@pytest.fixture
def sandbox_url(live_server, settings) -> str:
    """The live server's URL, also used for the signed image URLs."""
    settings.VISIONPORT_PUBLIC_URL = live_server.url
    return live_server.url


@pytest.fixture
def client(sandbox_url) -> CustomVisionTrainingClient:
    return sdk_client(sandbox_url)


@pytest.fixture(autouse=True)
def _fresh_faults() -> Iterator[None]:
    """No fault settings leak from one test to the next through the per-process cache."""
    faults_invalidate()
    throttle_reset()
    yield
    faults_invalidate()
    throttle_reset()
