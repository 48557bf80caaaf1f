"""Predictions drawn on the image with Pillow: per-class colours, labels readable on any background."""

from __future__ import annotations

import colorsys
import hashlib
import io
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont


def class_colour(name: str) -> tuple[int, int, int]:
    """A stable, saturated colour per class name."""
    hue = int(hashlib.sha256(name.encode()).hexdigest()[:6], 16) / 0xFFFFFF
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 0.95)
    return int(r * 255), int(g * 255), int(b * 255)


@lru_cache(maxsize=256)
def _draw(path: str, mtime: float, objects: tuple, threshold: float) -> bytes:
    with Image.open(path) as original:
        image = original.convert("RGB")
    # Small images are enlarged first, so that labels stay readable and boxes stay thin.
    scale = max(1, round(480 / min(image.size))) if min(image.size) < 480 else 1
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
        objects = tuple((n, c, tuple(v * scale for v in box)) for n, c, box in objects)
    draw = ImageDraw.Draw(image)
    width = max(2, round(min(image.size) / 160))
    font = ImageFont.load_default(size=max(11, round(min(image.size) / 28)))
    for name, confidence, (x, y, w, h) in objects:
        if confidence < threshold:
            continue
        colour = class_colour(name)
        draw.rectangle([x, y, x + w, y + h], outline=(0, 0, 0), width=width + 2)
        draw.rectangle([x, y, x + w, y + h], outline=colour, width=width)
        label = f"{name} {confidence:.0%}"
        left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
        ty = y - (bottom - top) - 6 if y - (bottom - top) - 6 >= 0 else y + width
        draw.rectangle([x, ty, x + right - left + 8, ty + bottom - top + 6], fill=colour, outline=(0, 0, 0))
        luminance = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]
        draw.text((x + 4, ty + 3 - top), label, fill=(0, 0, 0) if luminance > 140 else (255, 255, 255), font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def prediction_png(path: Path, objects: list[dict], threshold: float) -> bytes:
    key = tuple((o["name"], round(o["confidence"], 4), tuple(o["box"])) for o in objects)
    return _draw(str(path), path.stat().st_mtime, key, round(threshold, 2))
