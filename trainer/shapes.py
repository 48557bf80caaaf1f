"""Synthetic shapes on backgrounds, with exact boxes: data a from-scratch model can learn from.

``easy`` sets draw filled shapes on a gradient or flat, lightly textured background. ``hard`` sets
add textured backgrounds (smooth colour noise, stripes, fine texture), distractors (lines and
irregular unlabelled blobs), outline-only shapes (one in five), blur and stronger noise. Every image
comes from a ``numpy`` generator seeded by the caller, so a seed gives the same pixels each run.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from trainer.data import Box, Sample

SHAPE_NAMES = ("circle", "square", "triangle", "star", "cross", "hexagon", "crescent", "diamond")
_SUPERSAMPLE = 2


def _polygon(kind: str, rng: np.random.Generator) -> list[np.ndarray]:
    """Unit-sized outlines around (0, 0) before stretch and rotation; a second ring is a hole."""

    def ring(count: int, radius: float = 1.0, phase: float = 0.0) -> np.ndarray:
        angles = phase + np.arange(count) * 2 * np.pi / count
        return np.stack([np.cos(angles), np.sin(angles)], 1) * radius

    if kind == "circle":
        return [ring(64)]
    if kind == "square":
        return [ring(4, 1.0, np.pi / 4) / math.sqrt(2) * 1.6]
    if kind == "triangle":
        return [ring(3, 1.0, -np.pi / 2)]
    if kind == "star":
        points = ring(10, 1.0, -np.pi / 2)
        points[1::2] *= 0.42
        return [points]
    if kind == "hexagon":
        return [ring(6)]
    if kind == "diamond":
        return [ring(4, 1.0, 0.0) * np.array([0.6, 1.0])]
    if kind == "cross":
        a, b = 0.3, 0.9
        return [
            np.array(
                [
                    [-a, -b],
                    [a, -b],
                    [a, -a],
                    [b, -a],
                    [b, a],
                    [a, a],
                    [a, b],
                    [-a, b],
                    [-a, a],
                    [-b, a],
                    [-b, -a],
                    [-a, -a],
                ]
            )
        ]
    if kind == "crescent":
        return [ring(64), ring(64, 0.8) + np.array([0.45, -0.1])]
    raise ValueError(f"unknown shape {kind!r}")


def _background(rng: np.random.Generator, width: int, height: int, hard: bool) -> np.ndarray:
    """A float RGB background in 0..255."""
    first, second = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx / width + np.sin(angle) * yy / height + 1) / 2
    ramp = ramp.clip(0, 1)[..., None]
    image = first * (1 - ramp) + second * ramp
    style = rng.integers(0, 4) if hard else rng.integers(0, 2)
    if style == 1:  # flat with a fine texture
        image = np.broadcast_to(first, image.shape) + rng.normal(0, 6, (height, width, 1))
    elif style == 2:  # smooth colour noise
        coarse = rng.uniform(0, 255, (4, 4, 3)).astype(np.uint8)
        image = 0.4 * image + 0.6 * np.asarray(
            Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC), np.float32
        )
    elif style == 3:  # stripes
        period, phase = rng.uniform(6, 24), rng.uniform(0, 2 * np.pi)
        wave = np.sin((np.cos(angle + 1) * xx + np.sin(angle + 1) * yy) * 2 * np.pi / period + phase)
        image = image + wave[..., None] * rng.uniform(15, 40)
    if hard:
        image = image + rng.normal(0, rng.uniform(4, 14), (height, width, 3))
    return image.astype(np.float32)


def _mask(
    kind: str,
    rng: np.random.Generator,
    width: int,
    height: int,
    cx: float,
    cy: float,
    radius: float,
    outline: bool,
) -> np.ndarray:
    """An anti-aliased 0..1 mask of one shape drawn around (cx, cy)."""
    rings = _polygon(kind, rng)
    stretch = np.array([rng.uniform(0.8, 1.2), rng.uniform(0.8, 1.2)])
    theta = rng.uniform(0, 2 * np.pi)
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    s = _SUPERSAMPLE
    layer = Image.new("L", (width * s, height * s), 0)
    draw = ImageDraw.Draw(layer)
    for number, points in enumerate(rings):
        xy = (points * stretch) @ rotation.T * radius + np.array([cx, cy])
        polygon = [(float(x) * s, float(y) * s) for x, y in xy]
        if outline and number == 0:
            draw.polygon(polygon, outline=255, width=max(2, round(radius * 0.18 * s)))
        else:
            draw.polygon(polygon, fill=0 if number else 255)
    layer = layer.resize((width, height), Image.Resampling.BOX)
    return np.asarray(layer, np.float32) / 255.0


def _colour(rng: np.random.Generator, local: np.ndarray) -> np.ndarray:
    """A colour clearly apart from the background colour ``local``."""
    best, best_distance = None, -1.0
    for _ in range(20):
        colour = rng.uniform(0, 255, 3)
        distance = float(np.linalg.norm(colour - local))
        if distance > 110:
            return colour
        if distance > best_distance:
            best, best_distance = colour, distance
    return best  # type: ignore[return-value]


def _paint(image: np.ndarray, mask: np.ndarray, colour: np.ndarray, rng: np.random.Generator) -> None:
    """Composite ``colour`` with a light linear shading through ``mask``, in place."""
    height, width = mask.shape
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    shade = 1 - rng.uniform(0, 0.3) * (np.cos(angle) * xx / width + np.sin(angle) * yy / height + 1) / 2
    layer = (colour * shade[..., None]).clip(0, 255)
    image *= 1 - mask[..., None]
    image += layer * mask[..., None]


def _clutter(image: np.ndarray, rng: np.random.Generator) -> None:
    """Up to 5 random lines and 2 irregular blobs: distractors without a label."""
    height, width = image.shape[:2]
    pil = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(pil)
    for _ in range(rng.integers(0, 6)):
        draw.line(
            [tuple(rng.uniform(0, (width, height))), tuple(rng.uniform(0, (width, height)))],
            fill=255,
            width=int(rng.integers(1, 4)),
        )
    mask = np.asarray(pil, np.float32) / 255
    _paint(image, mask, rng.uniform(0, 255, 3), rng)
    for _ in range(rng.integers(0, 3)):
        blob = Image.new("L", (width, height), 0)
        centre, radius = (
            rng.uniform(0.15, 0.85, 2) * (width, height),
            rng.uniform(0.05, 0.15) * min(width, height),
        )
        angles = np.sort(rng.uniform(0, 2 * np.pi, 9))
        radii = radius * rng.uniform(0.5, 1.3, 9)
        points = [
            (centre[0] + r * np.cos(a), centre[1] + r * np.sin(a)) for a, r in zip(angles, radii, strict=True)
        ]
        ImageDraw.Draw(blob).polygon(points, fill=255)
        blob = blob.filter(ImageFilter.GaussianBlur(1.5))
        _paint(image, np.asarray(blob, np.float32) / 255, rng.uniform(0, 255, 3), rng)


def _finish(image: np.ndarray, rng: np.random.Generator, hard: bool) -> Image.Image:
    sigma = rng.uniform(4, 18) if hard else rng.uniform(0, 4)
    image = image + rng.normal(0, sigma, image.shape)
    pil = Image.fromarray(image.clip(0, 255).astype(np.uint8))
    if hard and rng.random() < 0.3:
        pil = pil.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.4)))
    return pil


def _scene(
    rng: np.random.Generator,
    width: int,
    height: int,
    kinds: list[int],
    names: tuple[str, ...],
    sides: tuple[float, float],
    hard: bool,
) -> tuple[Image.Image, list[Box]]:
    """One image with the given shapes placed apart; returns it with tight relative boxes."""
    image = _background(rng, width, height, hard)
    if hard:
        _clutter(image, rng)
    boxes: list[Box] = []
    taken: list[tuple[float, float, float, float]] = []
    for cls in kinds:
        for _ in range(30):
            radius = rng.uniform(*sides) / 2
            cx, cy = rng.uniform(radius, width - radius), rng.uniform(radius, height - radius)
            if all(
                abs(cx - x) > (radius + r) * 0.9 or abs(cy - y) > (radius + r) * 0.9 for x, y, r, _ in taken
            ):
                break
        else:
            continue
        outline = hard and rng.random() < 0.2
        mask = _mask(names[cls], rng, width, height, cx, cy, radius, outline)
        ys, xs = np.nonzero(mask > 0.5)
        if len(xs) < 4:
            continue
        local = image[int(cy), int(cx)]
        _paint(image, mask, _colour(rng, local), rng)
        taken.append((cx, cy, radius, cls))
        left, top = xs.min() / width, ys.min() / height
        boxes.append((cls, left, top, (xs.max() + 1) / width - left, (ys.max() + 1) / height - top))
    return _finish(image, rng, hard), boxes


def classification_samples(
    per_class: int, *, classes: int = 4, size: int = 128, hard: bool = False, seed: int = 0
) -> list[Sample]:
    """``per_class`` images of each of the first ``classes`` shapes, one shape per image, shuffled."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.repeat(np.arange(classes), per_class))
    samples = []
    for label in labels:
        image, _ = _scene(rng, size, size, [int(label)], SHAPE_NAMES, (0.35 * size, 0.8 * size), hard)
        samples.append(Sample(image, label=int(label)))
    return samples


def detection_samples(
    count: int,
    *,
    classes: int = 4,
    max_objects: int = 4,
    hard: bool = False,
    seed: int = 0,
    sides: tuple[float, float] = (20, 90),
) -> list[Sample]:
    """``count`` images of 240-320 x 200-280 px with 1..``max_objects`` shapes of side ``sides`` px."""
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(count):
        width, height = int(rng.integers(240, 321)), int(rng.integers(200, 281))
        kinds = [int(k) for k in rng.integers(0, classes, int(rng.integers(1, max_objects + 1)))]
        image, boxes = _scene(rng, width, height, kinds, SHAPE_NAMES, sides, hard)
        samples.append(Sample(image, boxes=boxes))
    return samples
