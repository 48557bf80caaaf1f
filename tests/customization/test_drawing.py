"""Predictions drawn with Pillow: boxes weakest first, in the category's colour."""

from __future__ import annotations

import io

from PIL import Image

from config.colors import category_rgb
from customization.services.drawing import prediction_png


def _close(a: tuple, b: tuple, tolerance: int = 12) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def test_a_confident_box_is_drawn_over_a_weaker_one(tmp_path) -> None:
    path = tmp_path / "image.png"
    Image.new("RGB", (480, 480), (128, 128, 128)).save(path)
    # The same place, found twice: the service lists the confident one first.
    objects = [
        {"name": "square", "confidence": 0.95, "box": [100, 100, 200, 200]},
        {"name": "star", "confidence": 0.35, "box": [100, 100, 200, 200]},
    ]
    drawn = Image.open(io.BytesIO(prediction_png(path, objects, 0.3))).convert("RGB")
    edge = drawn.getpixel((100, 300))  # on the left edge, below both labels
    assert _close(edge, category_rgb("square")), edge
    assert category_rgb("square") != category_rgb("star")


def test_boxes_under_the_threshold_are_not_drawn(tmp_path) -> None:
    path = tmp_path / "image.png"
    Image.new("RGB", (480, 480), (128, 128, 128)).save(path)
    objects = [{"name": "circle", "confidence": 0.4, "box": [100, 100, 200, 200]}]
    drawn = Image.open(io.BytesIO(prediction_png(path, objects, 0.5))).convert("RGB")
    assert drawn.getpixel((100, 300)) == (128, 128, 128)
    drawn = Image.open(io.BytesIO(prediction_png(path, objects, 0.4))).convert("RGB")
    assert _close(drawn.getpixel((100, 300)), category_rgb("circle"))
