"""Predictions and dataset thumbnails drawn with Pillow: per-class colours, labels readable on any background.

The colours come from ``config.colors``, so a class is drawn in the colour every page shows it in.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from config.colors import category_rgb, text_rgb


def _fit(image: Image.Image, side: int) -> Image.Image:
    """An RGB copy ``side`` px on its long side (small images are enlarged)."""
    image = image.convert("RGB")
    scale = side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BICUBIC)


def class_colour(name: str) -> tuple[int, int, int]:
    """The class's colour: the one palette of ``config.colors``."""
    return category_rgb(name)


def text_colour(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white, whichever has the higher contrast on ``colour``."""
    return text_rgb(colour)


def draw_box(
    draw: ImageDraw.ImageDraw,
    box: tuple[float, float, float, float],
    label: str,
    colour: tuple[int, int, int],
    width: int,
    font: ImageFont.ImageFont | ImageFont.FreeTypeFont,
) -> None:
    """A box (x, y, w, h in pixels) in ``colour`` with a black edge, and its label on a filled tab."""
    x, y, w, h = box
    draw.rectangle([x, y, x + w, y + h], outline=(0, 0, 0), width=width + 2)
    draw.rectangle([x, y, x + w, y + h], outline=colour, width=width)
    if label:
        draw_tab(draw, box, label, colour, width, font)


def draw_tab(
    draw: ImageDraw.ImageDraw,
    box: tuple[float, float, float, float],
    label: str,
    colour: tuple[int, int, int],
    width: int,
    font: ImageFont.ImageFont | ImageFont.FreeTypeFont,
) -> None:
    """The label of a box on a tab filled with ``colour``: above the box, or inside it at the top edge."""
    x, y = box[0], box[1]
    left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
    ty = y - (bottom - top) - 6 if y - (bottom - top) - 6 >= 0 else y + width
    draw.rectangle([x, ty, x + right - left + 8, ty + bottom - top + 6], fill=colour, outline=(0, 0, 0))
    draw.text((x + 4, ty + 3 - top), label, fill=text_colour(colour), font=font)


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
    # Weakest first: each box and its label cover only weaker ones, so a weak label never hides a
    # confident box. Ties keep the service's order.
    for name, confidence, box in sorted(objects, key=lambda o: o[1]):
        if confidence >= threshold:
            draw_box(draw, box, f"{name} {confidence:.0%}", class_colour(name), width, font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def prediction_png(path: Path, objects: list[dict], threshold: float) -> bytes:
    key = tuple((o["name"], round(o["confidence"], 4), tuple(o["box"])) for o in objects)
    return _draw(str(path), path.stat().st_mtime, key, round(threshold, 2))


# --- Dataset gallery thumbnails ------------------------------------------------------------------

THUMB_SIDE = 320


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # 4:4:4 chroma keeps thin coloured lines their colour.
    image.save(out, "JPEG", quality=85, subsampling=0, optimize=True)
    return out.getvalue()


def annotated_thumbnail(
    image: Image.Image,
    *,
    boxes: Sequence[tuple[str, float, float, float, float]],
    labels: Sequence[str],
    side: int = THUMB_SIDE,
) -> bytes:
    """A JPEG ``side`` px on its long side (small images are enlarged) with the labels drawn.

    ``boxes`` are (class name, x, y, w, h) relative to the image (0..1): drawn as boxes. Without
    boxes, ``labels`` (classification) are drawn as colour tabs along the bottom edge.
    """
    image = _fit(image, side)
    draw = ImageDraw.Draw(image)
    # Thumbnails are shown at about 200 px: labels are drawn large enough to read there.
    font = ImageFont.load_default(size=max(12, side // 20))
    width = max(3, side // 80)
    pixels = [
        (name, (x * image.width, y * image.height, w * image.width, h * image.height))
        for name, x, y, w, h in boxes
    ]
    for name, box in pixels:  # every box first, then every label, so that no box hides a label
        draw_box(draw, box, "", class_colour(name), width, font)
    for name, box in pixels:
        draw_tab(draw, box, name, class_colour(name), width, font)
    if not boxes:
        x, bottom = 4, image.height - 4
        for name in dict.fromkeys(labels):  # each label once, in order
            left, top, right, low = draw.textbbox((0, 0), name, font=font)
            colour = class_colour(name)
            draw.rectangle(
                [x, bottom - (low - top) - 8, x + right - left + 10, bottom], fill=colour, outline=(0, 0, 0)
            )
            draw.text((x + 5, bottom - (low - top) - 4 - top), name, fill=text_colour(colour), font=font)
            x += right - left + 14
    return _jpeg(image)


def placeholder_tile(reason: str, side: int = THUMB_SIDE) -> bytes:
    """A grey 4:3 tile that says why the image could not be shown."""
    image = Image.new("RGB", (side, side * 3 // 4), (236, 239, 244))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, image.width - 1, image.height - 1], outline=(185, 28, 28), width=2)
    title = ImageFont.load_default(size=max(14, side // 14))
    font = ImageFont.load_default(size=max(12, side // 20))
    draw.text((12, 12), "Image unavailable", fill=(185, 28, 28), font=title)
    lines = textwrap.wrap(reason, width=max(10, (side - 24) * 2 // font.size))
    top = 24 + title.size
    for number, line in enumerate(lines[: (image.height - top) // (font.size + 4)]):
        draw.text((12, top + number * (font.size + 4)), line, fill=(27, 35, 51), font=font)
    return _jpeg(image)


# --- Error gallery: ground truth solid, predictions dashed -----------------------------------------


def dashed_rectangle(
    draw: ImageDraw.ImageDraw,
    box: tuple[float, float, float, float],
    colour: tuple[int, int, int],
    width: int,
    dash: int = 9,
) -> None:
    """A box (x, y, w, h) drawn in dashes of ``colour`` over a white under-dash, so it reads on
    dark and light pictures alike and never looks like a ground-truth box."""
    x, y, w, h = box
    corners = [(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)]
    for (x0, y0), (x1, y1) in zip(corners, corners[1:], strict=False):
        length = max(abs(x1 - x0), abs(y1 - y0))
        steps = max(1, int(length // dash))
        for n in range(steps):
            a, b = n / steps, min(1.0, (n + 0.5) / steps)
            start = (x0 + (x1 - x0) * a, y0 + (y1 - y0) * a)
            end = (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b)
            draw.line([start, end], fill=(255, 255, 255), width=width + 2)
            draw.line([start, end], fill=colour, width=width)


def error_thumbnail(
    image: Image.Image,
    *,
    truth: dict,
    predictions: Sequence[Sequence],
    threshold: float,
    side: int = THUMB_SIDE,
) -> bytes:
    """An analyzed image with its ground truth (solid boxes, tab above) and the predictions at or
    above ``threshold`` (dashed boxes, tab below with the confidence). A classifier's labels are
    tabs along the bottom (truth, solid edge) and the top (predictions, with confidences)."""
    image = _fit(image, side)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(12, side // 22))
    width = max(2, side // 110)
    shown = sorted((p for p in predictions if float(p[1]) >= threshold), key=lambda p: float(p[1]))
    boxes = truth.get("boxes") or []
    if boxes or any(len(p) >= 6 for p in predictions):
        px = lambda b: (b[0] * image.width, b[1] * image.height, b[2] * image.width, b[3] * image.height)  # noqa: E731
        for b in boxes:
            draw_box(draw, px(b[1:5]), "", class_colour(str(b[0])), width, font)
        for p in shown:
            dashed_rectangle(draw, px(p[2:6]), class_colour(str(p[0])), width)
        for b in boxes:
            draw_tab(draw, px(b[1:5]), str(b[0]), class_colour(str(b[0])), width, font)
        for p in shown:
            x, y, w, h = px(p[2:6])
            label = f"{p[0]} {float(p[1]):.0%}"
            left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
            ty = min(y + h + width, image.height - (bottom - top) - 6)
            colour = class_colour(str(p[0]))
            draw.rectangle(
                [x, ty, x + right - left + 8, ty + bottom - top + 6],
                fill=(255, 255, 255),
                outline=colour,
                width=2,
            )
            draw.text((x + 4, ty + 3 - top), label, fill=(27, 35, 51), font=font)
        return _jpeg(image)
    font = ImageFont.load_default(size=max(14, side // 15))  # labels are all a classifier's tile shows
    rows = [
        (list(dict.fromkeys(str(t) for t in truth.get("labels") or [])), True),
        (list(reversed(shown)), False),
    ]
    for labels, is_truth in rows:
        x = 4
        for entry in labels:
            name = entry if is_truth else f"{entry[0]} {float(entry[1]):.0%}"
            colour = class_colour(entry if is_truth else str(entry[0]))
            left, top, right, low = draw.textbbox((0, 0), name, font=font)
            y0 = image.height - (low - top) - 12 if is_truth else 4
            if is_truth:
                draw.rectangle(
                    [x, y0, x + right - left + 10, y0 + low - top + 8], fill=colour, outline=(0, 0, 0)
                )
                draw.text((x + 5, y0 + 4 - top), name, fill=text_colour(colour), font=font)
            else:
                draw.rectangle(
                    [x, y0, x + right - left + 10, y0 + low - top + 8],
                    fill=(255, 255, 255),
                    outline=colour,
                    width=2,
                )
                draw.text((x + 5, y0 + 4 - top), name, fill=(27, 35, 51), font=font)
            x += right - left + 14
    return _jpeg(image)
